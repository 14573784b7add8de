// Package usage accounts for what each gateway request used: one JSON
// access-log line per request (never prompt or completion text) and the
// Prometheus metrics — requests, tokens and estimated cost by caller and
// route, durations, time to first token, upstream errors, active streams.
// Only authenticated callers and configured routes become label values.
package usage

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gitplane/gitplane/gateway/openai"
)

// Fixed label values for what is not an authenticated caller or a route.
const (
	Unauthenticated = "unauthenticated"
	NoRoute         = "none"
)

// Record is what one request did. Caller and the routes must be
// authenticated / configured names or empty.
type Record struct {
	RequestID     string
	Caller        string // "" before authentication
	Model         string // the route asked for, "" when it does not exist
	Route         string // the route that answered (after fallbacks), or ""
	Provider      string // bedrock, sagemaker, model
	UpstreamModel string
	Operation     string // chat, embeddings, models
	Stream        bool
	Status        int
	Error         string // provider error kind, or a gateway error code
	// Usage is nil when the upstream never reported it (unknown, not 0).
	Usage *openai.Usage
	// UsageUnknown says the request may have used tokens nobody reported
	// (a nil Usage after a failure before any upstream work is 0).
	UsageUnknown    bool
	Attempts        int // routes tried
	ClientGone      bool
	Start           time.Time
	Latency         time.Duration
	TTFT            time.Duration // streams: until the first chunk was written
	UpstreamLatency time.Duration // until the answering upstream's response (or first chunk)
	CostUSD         float64       // 0 when no price is known
}

// Recorder writes access-log lines and updates metrics.
type Recorder struct {
	log *slog.Logger
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	tokens        *prometheus.CounterVec
	unknownUsage  *prometheus.CounterVec
	cost          *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	ttft          *prometheus.HistogramVec
	upstreamErr   *prometheus.CounterVec
	fallbacks     *prometheus.CounterVec
	rateLimited   *prometheus.CounterVec
	activeStreams *prometheus.GaugeVec
	storeErrors   prometheus.Counter
	records       atomic.Uint64
}

// New returns a Recorder logging to log, with its own registry.
func New(log *slog.Logger) *Recorder {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{reg}
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	r := &Recorder{
		log: log, reg: reg,
		requests: f.counter("requests_total", "Requests by caller, model asked, route that answered and HTTP status code.",
			"caller", "model", "route", "code"),
		tokens:       f.counter("tokens_total", "Tokens the upstreams reported, by caller, route and type (input, output, cached_input, cache_write).", "caller", "route", "type"),
		unknownUsage: f.counter("usage_unknown_total", "Requests whose token usage the upstream never reported.", "caller", "route"),
		cost:         f.counter("cost_usd_total", "Estimated cost in USD from the embedded Bedrock price table (dated "+PriceDate+", "+PriceSource+").", "caller", "route"),
		duration: f.histogram("request_duration_seconds", "Request duration from the first byte read to the last byte written.",
			buckets, "route", "operation"),
		ttft:        f.histogram("time_to_first_token_seconds", "Streams: time until the first chunk was written.", buckets, "route"),
		upstreamErr: f.counter("upstream_errors_total", "Upstream failures by route and kind.", "route", "kind"),
		fallbacks:   f.counter("fallbacks_total", "Requests sent to a fallback route after the route before failed.", "from", "to"),
		rateLimited: f.counter("rate_limited_total", "Requests refused by a rate limit, by caller and limit (requests, tokens).", "caller", "limit"),
		activeStreams: func() *prometheus.GaugeVec {
			g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "gitplane", Subsystem: "gateway", Name: "active_streams", Help: "Streamed completions in flight."}, []string{"route"})
			reg.MustRegister(g)
			return g
		}(),
		storeErrors: func() prometheus.Counter {
			c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gitplane", Subsystem: "gateway", Name: "ratelimit_store_errors_total", Help: "Rate-limit store (Redis) failures; the requests were admitted."})
			reg.MustRegister(c)
			return c
		}(),
	}
	return r
}

type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gitplane", Subsystem: "gateway", Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "gitplane", Subsystem: "gateway", Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

// Registry returns the registry to serve on /metrics.
func (r *Recorder) Registry() *prometheus.Registry { return r.reg }

func orLabel(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

var statusText [600]string

func init() {
	for i := range statusText {
		statusText[i] = strconv.Itoa(i)
	}
}

func codeLabel(status int) string {
	if status >= 0 && status < len(statusText) {
		return statusText[status]
	}
	return "other"
}

// Record logs rec and counts it.
func (r *Recorder) Record(rec *Record) {
	caller := orLabel(rec.Caller, Unauthenticated)
	route := orLabel(rec.Route, NoRoute)
	r.requests.WithLabelValues(caller, orLabel(rec.Model, NoRoute), route, codeLabel(rec.Status)).Inc()
	r.duration.WithLabelValues(route, rec.Operation).Observe(rec.Latency.Seconds())
	if rec.Stream && rec.TTFT > 0 {
		r.ttft.WithLabelValues(route).Observe(rec.TTFT.Seconds())
	}
	if rec.Route != "" && rec.Caller != "" && rec.Operation != "models" {
		r.countTokens(caller, route, rec)
	}
	r.logLine(rec)
	r.records.Add(1)
}

// Records returns how many requests have been recorded.
func (r *Recorder) Records() uint64 { return r.records.Load() }

func (r *Recorder) countTokens(caller, route string, rec *Record) {
	u := rec.Usage
	if u == nil {
		if rec.UsageUnknown {
			r.unknownUsage.WithLabelValues(caller, route).Inc()
		}
		return
	}
	add := func(typ string, n int) {
		if n > 0 {
			r.tokens.WithLabelValues(caller, route, typ).Add(float64(n))
		}
	}
	add("input", u.PromptTokens)
	add("output", u.CompletionTokens)
	if d := u.PromptTokensDetails; d != nil {
		add("cached_input", d.CachedTokens)
	}
	add("cache_write", u.CacheCreationInputTokens)
	if rec.CostUSD > 0 {
		r.cost.WithLabelValues(caller, route).Add(rec.CostUSD)
	}
}

func (r *Recorder) logLine(rec *Record) {
	attrs := make([]slog.Attr, 0, 20)
	attrs = append(attrs,
		slog.String("request_id", rec.RequestID),
		slog.String("caller", orLabel(rec.Caller, Unauthenticated)),
		slog.String("operation", rec.Operation),
		slog.String("model", rec.Model),
		slog.String("route", rec.Route),
		slog.String("provider", rec.Provider),
		slog.String("upstream_model", rec.UpstreamModel),
		slog.Bool("stream", rec.Stream),
		slog.Int("status", rec.Status),
	)
	if rec.Error != "" {
		attrs = append(attrs, slog.String("error", rec.Error))
	}
	if rec.Attempts > 1 {
		attrs = append(attrs, slog.Int("attempts", rec.Attempts))
	}
	if rec.ClientGone {
		attrs = append(attrs, slog.Bool("client_gone", true))
	}
	if u := rec.Usage; u != nil {
		cached := 0
		if u.PromptTokensDetails != nil {
			cached = u.PromptTokensDetails.CachedTokens
		}
		attrs = append(attrs, slog.Int("input_tokens", u.PromptTokens), slog.Int("output_tokens", u.CompletionTokens),
			slog.Int("cached_tokens", cached))
		if u.CacheCreationInputTokens > 0 {
			attrs = append(attrs, slog.Int("cache_write_tokens", u.CacheCreationInputTokens))
		}
		if rec.CostUSD > 0 {
			attrs = append(attrs, slog.Float64("cost_usd", rec.CostUSD))
		}
	} else if rec.UsageUnknown {
		attrs = append(attrs, slog.String("usage", "unknown"))
	}
	attrs = append(attrs, slog.Float64("latency_ms", ms(rec.Latency)))
	if rec.UpstreamLatency > 0 {
		attrs = append(attrs, slog.Float64("upstream_latency_ms", ms(rec.UpstreamLatency)))
	}
	if rec.Stream && rec.TTFT > 0 {
		attrs = append(attrs, slog.Float64("ttft_ms", ms(rec.TTFT)))
	}
	r.log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// UpstreamError counts one failure of a route's upstream.
func (r *Recorder) UpstreamError(route, kind string) {
	r.upstreamErr.WithLabelValues(route, kind).Inc()
}

// Fallback counts a request moving from one route to the next.
func (r *Recorder) Fallback(from, to string) { r.fallbacks.WithLabelValues(from, to).Inc() }

// RateLimited counts a refusal of caller by limit.
func (r *Recorder) RateLimited(caller, limit string) {
	r.rateLimited.WithLabelValues(caller, limit).Inc()
}

// StoreError counts a rate-limit store failure.
func (r *Recorder) StoreError() { r.storeErrors.Inc() }

// StreamStarted and StreamEnded track the streams in flight on route.
func (r *Recorder) StreamStarted(route string) { r.activeStreams.WithLabelValues(route).Inc() }

// StreamEnded is the counterpart of StreamStarted.
func (r *Recorder) StreamEnded(route string) { r.activeStreams.WithLabelValues(route).Dec() }
