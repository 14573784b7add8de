package server

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// TestCoalescerFlood: 200 triggers over two seconds give a few runs, never
// two at once for a key, and the last run sees the newest value.
func TestCoalescerFlood(t *testing.T) {
	log := newRunLog()
	c := NewCoalescer(t.Context(), CoalescerOptions{Settle: 200 * time.Millisecond}, func(_ context.Context, key string, v int) {
		log.start(key, v)
		defer log.end(key)
		time.Sleep(100 * time.Millisecond) // a reconcile
	})
	start := time.Now()
	for v := range 200 {
		c.Trigger("prod", v)
		time.Sleep(10 * time.Millisecond)
	}
	c.Wait()
	// Each run settles 200ms and works 100ms, one at a time: about 7 runs
	// in two seconds, more only if the machine is slow.
	runs := log.values["prod"]
	if bound := int(time.Since(start)/(300*time.Millisecond)) + 1; len(runs) < 2 || len(runs) > bound {
		t.Errorf("%d runs for 200 triggers in %s, want 2 to %d: %v", len(runs), time.Since(start), bound, runs)
	}
	if runs[len(runs)-1] != 199 {
		t.Errorf("last run saw %d, want the newest value 199", runs[len(runs)-1])
	}
	if log.maxBusy != 1 {
		t.Errorf("%d runs of one key at once, want 1", log.maxBusy)
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

// TestCoalescerStopsWithContext: after the context ends no run starts.
func TestCoalescerStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var runs atomic.Int32
	c := NewCoalescer(ctx, CoalescerOptions{Settle: time.Hour}, func(context.Context, string, int) { runs.Add(1) })
	c.Trigger("prod", 1)
	cancel()
	c.Wait()
	if runs.Load() != 0 {
		t.Fatalf("%d runs after cancel, want 0", runs.Load())
	}
}
