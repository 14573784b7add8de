// Package ratelimit enforces per-caller requests per minute and tokens per
// minute with GCRA (the generic cell rate algorithm). With Redis the state
// is shared by all replicas (github.com/go-redis/redis_rate); without it
// each replica keeps its own and enforces limit ÷ replicas.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Bucket is a GCRA limit: Rate units per Period, up to Burst at once.
type Bucket struct {
	Rate   int
	Burst  int
	Period time.Duration
}

// Result is the outcome of taking units from a bucket.
type Result struct {
	Allowed    bool
	Remaining  int           // units that could still be taken now
	RetryAfter time.Duration // when a refused take would succeed
	ResetAfter time.Duration // when the bucket is full again
}

// Store keeps GCRA state per key.
type Store interface {
	// AllowN takes n units from key's bucket if all are available now.
	AllowN(ctx context.Context, key string, b Bucket, n int) (Result, error)
	// Adjust adds n units of use (n < 0 gives units back) without checking
	// the limit: settling a reservation to the real usage.
	Adjust(ctx context.Context, key string, b Bucket, n int) error
}

// Local is an in-process Store with the same arithmetic as redis_rate's
// script, so both behave alike. The zero value is not usable: use NewLocal.
type Local struct {
	now func() time.Time
	mu  sync.Mutex
	tat map[string]int64 // theoretical arrival time, unix ns
}

// NewLocal returns a Local store reading time from now (time.Now if nil).
func NewLocal(now func() time.Time) *Local {
	if now == nil {
		now = time.Now
	}
	return &Local{now: now, tat: map[string]int64{}}
}

// AllowN implements Store.
func (l *Local) AllowN(_ context.Context, key string, b Bucket, n int) (Result, error) {
	emission := float64(b.Period) / float64(b.Rate)
	now := l.now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	tat := max(l.tat[key], now)
	newTat := tat + int64(emission*float64(n))
	allowAt := newTat - int64(emission*float64(b.Burst))
	diff := now - allowAt
	if diff < 0 {
		return Result{RetryAfter: time.Duration(-diff), ResetAfter: time.Duration(tat - now)}, nil
	}
	l.tat[key] = newTat
	return Result{Allowed: true, Remaining: int(float64(diff) / emission), RetryAfter: -1, ResetAfter: time.Duration(newTat - now)}, nil
}

// Adjust implements Store.
func (l *Local) Adjust(_ context.Context, key string, b Bucket, n int) error {
	emission := float64(b.Period) / float64(b.Rate)
	now := l.now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	tat := max(l.tat[key], now) + int64(emission*float64(n))
	if tat <= now {
		delete(l.tat, key)
		return nil
	}
	l.tat[key] = tat
	return nil
}
