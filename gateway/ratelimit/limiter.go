package ratelimit

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gitplane/gitplane/gateway/config"
)

// Kinds of limit, as OpenAI names them in 429 bodies and headers.
const (
	KindRequests = "requests"
	KindTokens   = "tokens"
)

// Limiter admits requests of callers against their limits.
type Limiter struct {
	store   Store
	share   int // limits are divided by share (replicas without Redis, else 1)
	onError func(error)
}

// Options configures New.
type Options struct {
	Store Store
	// Share divides every limit: the replica count when each replica keeps
	// its own state, 1 (or 0) with a shared store.
	Share int
	// OnStoreError is told of store failures; the request is then admitted
	// (a rate-limit outage does not take the gateway down).
	OnStoreError func(error)
}

// New returns a Limiter.
func New(opts Options) *Limiter {
	l := &Limiter{store: opts.Store, share: max(1, opts.Share), onError: opts.OnStoreError}
	if l.onError == nil {
		l.onError = func(error) {}
	}
	return l
}

// Policy is a caller's limits, precomputed once per caller.
type Policy struct {
	reqKey, tokKey string
	req, tok       *Bucket
	reqLimit       string // header values
	tokLimit       string
}

// Policy returns the precomputed limits of caller under rl (nil: no limit).
func (l *Limiter) Policy(caller string, rl *config.RateLimit) *Policy {
	p := &Policy{reqKey: "gw:req:" + caller, tokKey: "gw:tok:" + caller}
	if rl == nil {
		return p
	}
	if rl.RequestsPerMinute > 0 {
		p.req = &Bucket{Rate: max(1, rl.RequestsPerMinute/l.share), Burst: max(1, rl.RequestBurst()/l.share), Period: time.Minute}
		p.reqLimit = strconv.Itoa(p.req.Rate)
	}
	if rl.TokensPerMinute > 0 {
		t := max(1, rl.TokensPerMinute/l.share)
		p.tok = &Bucket{Rate: t, Burst: t, Period: time.Minute}
		p.tokLimit = strconv.Itoa(t)
	}
	return p
}

// Admission is the outcome of Admit; Settle it when the usage is known.
type Admission struct {
	Allowed bool
	// Kind is the limit that refused the request (KindRequests or KindTokens).
	Kind string
	// TooLarge is set when the request alone needs more tokens than a
	// minute allows: waiting will not help.
	TooLarge   bool
	RetryAfter time.Duration
	req, tok   Result
	// reqSeen, tokSeen say which buckets answered (and so have header values).
	reqSeen, tokSeen bool
	reserved         int
	policy           *Policy
}

// Admit takes one request and the estimated tokens from the caller's buckets.
func (l *Limiter) Admit(ctx context.Context, p *Policy, tokens int) Admission {
	a := Admission{Allowed: true, policy: p}
	if p.req != nil {
		res, err := l.store.AllowN(ctx, p.reqKey, *p.req, 1)
		if err != nil {
			l.onError(err)
			return a
		}
		a.req, a.reqSeen = res, true
		if !res.Allowed {
			return Admission{Kind: KindRequests, RetryAfter: res.RetryAfter, req: res, reqSeen: true, policy: p}
		}
	}
	if p.tok == nil {
		return a
	}
	tokens = max(1, tokens)
	if tokens > p.tok.Burst {
		l.refundRequest(ctx, p)
		return Admission{Kind: KindTokens, TooLarge: true, req: a.req, reqSeen: a.reqSeen, policy: p}
	}
	res, err := l.store.AllowN(ctx, p.tokKey, *p.tok, tokens)
	if err != nil {
		l.onError(err)
		return a
	}
	a.tok, a.tokSeen = res, true
	if !res.Allowed {
		l.refundRequest(ctx, p)
		return Admission{Kind: KindTokens, RetryAfter: res.RetryAfter, req: a.req, reqSeen: a.reqSeen, tok: res, tokSeen: true, policy: p}
	}
	a.reserved = tokens
	return a
}

func (l *Limiter) refundRequest(ctx context.Context, p *Policy) {
	if p.req == nil {
		return
	}
	if err := l.store.Adjust(ctx, p.reqKey, *p.req, -1); err != nil {
		l.onError(err)
	}
}

// Settle replaces the tokens reserved at admission by the real usage. With
// known false (the upstream never reported usage) the reservation stands.
func (l *Limiter) Settle(ctx context.Context, a *Admission, used int, known bool) {
	if a.policy == nil || a.policy.tok == nil || !a.Allowed || !known {
		return
	}
	if d := used - a.reserved; d != 0 {
		if err := l.store.Adjust(ctx, a.policy.tokKey, *a.policy.tok, d); err != nil {
			l.onError(err)
		}
	}
	a.reserved = used
}

// SetHeaders writes OpenAI's x-ratelimit-* headers (and Retry-After when
// refused) for the limits the caller has.
func (a *Admission) SetHeaders(h http.Header) {
	p := a.policy
	if p == nil {
		return
	}
	if p.req != nil {
		h["X-Ratelimit-Limit-Requests"] = []string{p.reqLimit}
		if a.reqSeen {
			h["X-Ratelimit-Remaining-Requests"] = []string{strconv.Itoa(max(0, a.req.Remaining))}
			h["X-Ratelimit-Reset-Requests"] = []string{formatReset(a.req.ResetAfter)}
		}
	}
	if p.tok != nil {
		h["X-Ratelimit-Limit-Tokens"] = []string{p.tokLimit}
		if a.tokSeen {
			h["X-Ratelimit-Remaining-Tokens"] = []string{strconv.Itoa(max(0, a.tok.Remaining))}
			h["X-Ratelimit-Reset-Tokens"] = []string{formatReset(a.tok.ResetAfter)}
		}
	}
	if !a.Allowed && a.RetryAfter > 0 {
		secs := int64((a.RetryAfter + time.Second - 1) / time.Second)
		h["Retry-After"] = []string{strconv.FormatInt(secs, 10)}
		h["Retry-After-Ms"] = []string{strconv.FormatInt(int64((a.RetryAfter+time.Millisecond-1)/time.Millisecond), 10)}
	}
}

// formatReset writes a duration as OpenAI does ("1s", "6m0s", "20ms"),
// rounded up to the millisecond.
func formatReset(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return d.Round(time.Millisecond).String()
}
