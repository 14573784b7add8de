package ratelimit

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/internal/redistest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time           { return c.t }
func (c *clock) step(d time.Duration)     { c.t = c.t.Add(d) }
func newClock() *clock                    { return &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }
func allowed(a Admission) bool            { return a.Allowed }
func kindOf(a Admission) string           { return a.Kind }
func header(a Admission, k string) string { h := http.Header{}; a.SetHeaders(h); return h.Get(k) }

func TestRequestsPerMinute(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Options{Store: NewLocal(c.now)})
	p := l.Policy("team-a", &config.RateLimit{RequestsPerMinute: 60, Burst: 2})
	for i := range 2 {
		if a := l.Admit(ctx, p, 0); !allowed(a) {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	a := l.Admit(ctx, p, 0)
	if allowed(a) || kindOf(a) != KindRequests {
		t.Fatalf("third request: allowed=%v kind=%q, want refused by requests", a.Allowed, a.Kind)
	}
	if a.RetryAfter != time.Second {
		t.Errorf("retry after %v, want 1s (60/min)", a.RetryAfter)
	}
	for k, want := range map[string]string{
		"X-Ratelimit-Limit-Requests": "60", "X-Ratelimit-Remaining-Requests": "0",
		"X-Ratelimit-Reset-Requests": "2s", "Retry-After": "1", "Retry-After-Ms": "1000",
	} {
		if got := header(a, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	c.step(time.Second)
	if a := l.Admit(ctx, p, 0); !allowed(a) {
		t.Fatal("refused after the retry-after elapsed")
	}
	other := l.Policy("team-b", &config.RateLimit{RequestsPerMinute: 60, Burst: 2})
	if a := l.Admit(ctx, other, 0); !allowed(a) {
		t.Fatal("another caller shares team-a's bucket")
	}
}

func TestTokensReservedAndSettled(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Options{Store: NewLocal(c.now)})
	p := l.Policy("team-a", &config.RateLimit{TokensPerMinute: 1000})
	a := l.Admit(ctx, p, 600)
	if !a.Allowed || header(a, "X-Ratelimit-Remaining-Tokens") != "400" {
		t.Fatalf("allowed=%v remaining=%s, want allowed with 400 left", a.Allowed, header(a, "X-Ratelimit-Remaining-Tokens"))
	}
	if b := l.Admit(ctx, p, 600); b.Allowed || b.Kind != KindTokens {
		t.Fatalf("second 600-token reservation: allowed=%v kind=%q, want refused by tokens", b.Allowed, b.Kind)
	}
	l.Settle(ctx, &a, 100, true) // the upstream used far less than reserved
	if b := l.Admit(ctx, p, 600); !b.Allowed {
		t.Fatal("refused after settling the first request to 100 tokens")
	}
	if b := l.Admit(ctx, p, 2000); b.Allowed || !b.TooLarge {
		t.Fatalf("a request over a minute's tokens: allowed=%v tooLarge=%v", b.Allowed, b.TooLarge)
	}
}

func TestSettleUnknownKeepsReservation(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Options{Store: NewLocal(c.now)})
	p := l.Policy("team-a", &config.RateLimit{TokensPerMinute: 1000})
	a := l.Admit(ctx, p, 600)
	l.Settle(ctx, &a, 0, false)
	if b := l.Admit(ctx, p, 600); b.Allowed {
		t.Fatal("unknown usage refunded the reservation as if 0 tokens were used")
	}
}

func TestSettleOverageCharged(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Options{Store: NewLocal(c.now)})
	p := l.Policy("team-a", &config.RateLimit{TokensPerMinute: 1000})
	a := l.Admit(ctx, p, 10)
	l.Settle(ctx, &a, 900, true)
	if b := l.Admit(ctx, p, 200); b.Allowed {
		t.Fatal("usage above the reservation was not charged")
	}
}

func TestTokensRefusedGivesRequestBack(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Options{Store: NewLocal(c.now)})
	p := l.Policy("team-a", &config.RateLimit{RequestsPerMinute: 60, Burst: 1, TokensPerMinute: 100})
	if a := l.Admit(ctx, p, 100); !a.Allowed {
		t.Fatal("first request refused")
	}
	c.step(time.Second) // one request's worth refills, tokens do not (100/min: 1.67 a second)
	if a := l.Admit(ctx, p, 100); a.Allowed || a.Kind != KindTokens {
		t.Fatalf("allowed=%v kind=%q, want refused by tokens", a.Allowed, a.Kind)
	}
	if a := l.Admit(ctx, p, 1); !a.Allowed {
		t.Fatalf("the request refused for tokens used up the request budget (kind %q)", a.Kind)
	}
}

func TestShareDividesLimits(t *testing.T) {
	l := New(Options{Store: NewLocal(nil), Share: 3})
	p := l.Policy("c", &config.RateLimit{RequestsPerMinute: 90, TokensPerMinute: 3000, Burst: 9})
	if p.req.Rate != 30 || p.req.Burst != 3 || p.tok.Rate != 1000 {
		t.Errorf("got %+v %+v, want rate 30 burst 3, tokens 1000", *p.req, *p.tok)
	}
}

func TestNoLimit(t *testing.T) {
	l := New(Options{Store: NewLocal(nil)})
	p := l.Policy("c", nil)
	for range 1000 {
		if a := l.Admit(context.Background(), p, 1e6); !a.Allowed {
			t.Fatal("refused without a limit")
		}
	}
	if h := header(l.Admit(context.Background(), p, 1), "X-Ratelimit-Limit-Requests"); h != "" {
		t.Errorf("limit header %q without a limit", h)
	}
}

// TestRedisSharedAcrossLimiters checks that two limiters (two replicas) on one
// real Redis share one budget, and that settling works there too.
func TestRedisSharedAcrossLimiters(t *testing.T) {
	addr := redistest.Start(t)
	ctx := context.Background()
	newLimiter := func() *Limiter {
		r, err := NewRedis(RedisOptions{Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		if err := r.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		return New(Options{Store: r, OnStoreError: func(err error) { t.Errorf("store error: %v", err) }})
	}
	rl := &config.RateLimit{RequestsPerMinute: 3, Burst: 3, TokensPerMinute: 1000}
	a, b := newLimiter(), newLimiter()
	pa, pb := a.Policy("team-r", rl), b.Policy("team-r", rl)
	got := []bool{a.Admit(ctx, pa, 1).Allowed, b.Admit(ctx, pb, 1).Allowed, a.Admit(ctx, pa, 1).Allowed}
	last := b.Admit(ctx, pb, 1)
	if got[0] != true || got[1] != true || got[2] != true || last.Allowed {
		t.Fatalf("admissions %v then %v, want three allowed then refused", got, last.Allowed)
	}
	if last.Kind != KindRequests || last.RetryAfter <= 0 || header(last, "Retry-After") == "" {
		t.Errorf("refusal kind %q retry %v", last.Kind, last.RetryAfter)
	}

	p2 := a.Policy("team-s", &config.RateLimit{TokensPerMinute: 1000})
	q2 := b.Policy("team-s", &config.RateLimit{TokensPerMinute: 1000})
	r1 := a.Admit(ctx, p2, 800)
	if !r1.Allowed || b.Admit(ctx, q2, 800).Allowed {
		t.Fatal("want the first 800-token reservation allowed and the second, on the other replica, refused")
	}
	a.Settle(ctx, &r1, 100, true)
	if !b.Admit(ctx, q2, 800).Allowed {
		t.Fatal("the other replica does not see the settled tokens")
	}
}

func TestRedisDownAdmits(t *testing.T) {
	var errs int
	r, err := NewRedis(RedisOptions{Address: "127.0.0.1:1", Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l := New(Options{Store: r, OnStoreError: func(error) { errs++ }})
	p := l.Policy("c", &config.RateLimit{RequestsPerMinute: 1})
	if a := l.Admit(context.Background(), p, 1); !a.Allowed || errs != 1 {
		t.Fatalf("allowed=%v errors=%d, want admitted and the error reported", a.Allowed, errs)
	}
}
