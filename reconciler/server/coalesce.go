package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// CoalescerOptions configure a Coalescer.
type CoalescerOptions struct {
	// Settle is how long a run waits after its trigger before starting, so
	// that a burst of triggers becomes one run with the newest value. Zero
	// starts at once; about a second suits git pushes.
	Settle time.Duration
	// Clock times the settle period; default the real clock.
	Clock  clock.Clock
	Logger *slog.Logger
}

// Coalescer runs at most one job per key at a time. A trigger for an idle
// key starts a run; triggers that arrive while it runs (or settles) are
// folded into exactly one more run, with the newest value.
type Coalescer[T any] struct {
	ctx  context.Context
	opts CoalescerOptions
	run  func(ctx context.Context, key string, v T)

	mu      sync.Mutex
	keys    map[string]*slot[T] // keys with a run in progress
	running sync.WaitGroup
}

type slot[T any] struct {
	next    T
	hasNext bool
}

// NewCoalescer returns a Coalescer calling run until ctx ends.
func NewCoalescer[T any](ctx context.Context, opts CoalescerOptions, run func(ctx context.Context, key string, v T)) *Coalescer[T] {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Coalescer[T]{ctx: ctx, opts: opts, run: run, keys: map[string]*slot[T]{}}
}

// Trigger asks for a run of key with v. It never blocks.
func (c *Coalescer[T]) Trigger(key string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, busy := c.keys[key]; busy {
		s.next, s.hasNext = v, true
		return
	}
	s := &slot[T]{}
	c.keys[key] = s
	c.running.Add(1)
	go c.loop(key, s, v)
}

// Wait blocks until no key has a run in progress or pending.
func (c *Coalescer[T]) Wait() { c.running.Wait() }

func (c *Coalescer[T]) loop(key string, s *slot[T], v T) {
	defer c.running.Done()
	for {
		if !c.settle() {
			c.finish(key)
			return
		}
		c.mu.Lock()
		if s.hasNext { // triggers during the settle period
			v, s.next, s.hasNext = s.next, *new(T), false
		}
		c.mu.Unlock()
		c.runOnce(key, v)
		c.mu.Lock()
		if !s.hasNext {
			delete(c.keys, key)
			c.mu.Unlock()
			return
		}
		v, s.next, s.hasNext = s.next, *new(T), false
		c.mu.Unlock()
	}
}

// settle waits opts.Settle; false if the context ended.
func (c *Coalescer[T]) settle() bool {
	if c.opts.Settle <= 0 {
		return c.ctx.Err() == nil
	}
	t := c.opts.Clock.NewTimer(c.opts.Settle)
	defer t.Stop()
	select {
	case <-c.ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

func (c *Coalescer[T]) finish(key string) {
	c.mu.Lock()
	delete(c.keys, key)
	c.mu.Unlock()
}

// runOnce calls run, logging a panic instead of losing the key's loop.
func (c *Coalescer[T]) runOnce(key string, v T) {
	defer func() {
		if p := recover(); p != nil {
			c.opts.Logger.Error("coalesced run panicked", "key", key, "panic", p)
		}
	}()
	c.run(c.ctx, key, v)
}
