package server

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// runLog records runs of a Coalescer and the most runs of one key at once.
type runLog struct {
	mu      sync.Mutex
	values  map[string][]int
	active  map[string]int
	maxBusy int
}

func newRunLog() *runLog { return &runLog{values: map[string][]int{}, active: map[string]int{}} }

func (l *runLog) start(key string, v int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.values[key] = append(l.values[key], v)
	l.active[key]++
	l.maxBusy = max(l.maxBusy, l.active[key])
}

func (l *runLog) end(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.active[key]--
}

// TestCoalescerFoldsTriggersDuringARun: triggers while a run is blocked
// become exactly one more run, with the newest value.
func TestCoalescerFoldsTriggersDuringARun(t *testing.T) {
	log := newRunLog()
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	c := NewCoalescer(t.Context(), CoalescerOptions{}, func(_ context.Context, key string, v int) {
		log.start(key, v)
		defer log.end(key)
		started <- struct{}{}
		if v == 1 {
			<-release
		}
	})
	c.Trigger("prod", 1)
	<-started
	for v := 2; v <= 50; v++ {
		c.Trigger("prod", v)
	}
	close(release)
	c.Wait()
	if got := fmt.Sprint(log.values["prod"]); got != "[1 50]" {
		t.Fatalf("runs = %s, want [1 50]", got)
	}
}

// TestCoalescerSettlesABurst: on the Coalescer's clock, which the test
// steps, a burst of triggers waits out the settle period and becomes one
// run with the newest value; triggers during that run become exactly one
// more, which settles too; runs of a key never overlap.
func TestCoalescerSettlesABurst(t *testing.T) {
	const settle = time.Second
	clk := clocktesting.NewFakeClock(time.Now())
	log := newRunLog()
	started, release := make(chan int, 10), make(chan struct{})
	c := NewCoalescer(t.Context(), CoalescerOptions{Settle: settle, Clock: clk}, func(_ context.Context, key string, v int) {
		log.start(key, v)
		defer log.end(key)
		started <- v
		<-release
	})
	for v := 1; v <= 100; v++ {
		c.Trigger("prod", v)
	}
	waitForTimer(t, clk)
	clk.Step(settle - time.Millisecond)
	if !clk.HasWaiters() || len(started) != 0 {
		t.Fatal("a run started before the settle period passed")
	}
	clk.Step(time.Millisecond)
	if v := <-started; v != 100 {
		t.Errorf("the burst ran with %d, want the newest value 100", v)
	}

	for v := 101; v <= 200; v++ {
		c.Trigger("prod", v) // while the run works
	}
	release <- struct{}{}
	waitForTimer(t, clk) // the next run settles first
	clk.Step(settle)
	if v := <-started; v != 200 {
		t.Errorf("the triggers during the run ran with %d, want 200", v)
	}
	release <- struct{}{}
	c.Wait()
	if got := fmt.Sprint(log.values["prod"]); got != "[100 200]" {
		t.Errorf("runs = %s, want [100 200]", got)
	}
	if log.maxBusy != 1 {
		t.Errorf("%d runs of one key at once, want 1", log.maxBusy)
	}
}

// waitForTimer waits until something waits on clk.
func waitForTimer(t *testing.T, clk *clocktesting.FakeClock) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !clk.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("nothing waits on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCoalescerKeysRunInParallel: a run of one key waits for a run of
// another to start, which only works if keys do not serialise each other.
func TestCoalescerKeysRunInParallel(t *testing.T) {
	bStarted := make(chan struct{})
	var timedOut atomic.Bool
	c := NewCoalescer(t.Context(), CoalescerOptions{}, func(_ context.Context, key string, _ int) {
		switch key {
		case "a":
			select {
			case <-bStarted:
			case <-time.After(5 * time.Second):
				timedOut.Store(true)
			}
		case "b":
			close(bStarted)
		}
	})
	c.Trigger("a", 1)
	c.Trigger("b", 1)
	c.Wait()
	if timedOut.Load() {
		t.Fatal("key a's run never saw key b's run start: keys are serialised")
	}
}

// TestCoalescerStopsWithContext: a run still settling when the context
// ends never starts.
func TestCoalescerStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	clk := clocktesting.NewFakeClock(time.Now())
	var runs atomic.Int32
	c := NewCoalescer(ctx, CoalescerOptions{Settle: time.Hour, Clock: clk}, func(context.Context, string, int) { runs.Add(1) })
	c.Trigger("prod", 1)
	waitForTimer(t, clk)
	cancel()
	c.Wait()
	if runs.Load() != 0 {
		t.Fatalf("%d runs after cancel, want 0", runs.Load())
	}
}
