// Package api serves the gateway's OpenAI-compatible API: it authenticates
// the caller, applies its route policy and rate limits, sends the request to
// the route's provider (falling back to the next route on a failure before
// the first byte reached the client) and accounts for the usage.
package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/ratelimit"
	"github.com/gitplane/gitplane/gateway/usage"
)

// Authenticator maps an API key to its caller.
type Authenticator interface {
	Authenticate(key string) (caller string, ok bool)
}

// Options configures New.
type Options struct {
	Config *config.Config
	// Providers serve the routes, by route name; every route needs one.
	Providers map[string]provider.Provider
	Keys      Authenticator
	Limiter   *ratelimit.Limiter
	Recorder  *usage.Recorder
	// Now is the clock of latencies (time.Now if nil).
	Now func() time.Time
}

// Route is a configured route with everything a request needs precomputed.
type Route struct {
	Name          string
	Backend       string
	UpstreamModel string
	Provider      provider.Provider
	Timeout       time.Duration
	Fallbacks     []*Route
	price         *usage.Price
}

// Handler is the http.Handler of the /v1 API.
type Handler struct {
	cfg        *config.Config
	routes     map[string]*Route
	routeOrder []*Route
	keys       Authenticator
	limiter    *ratelimit.Limiter
	rec        *usage.Recorder
	now        func() time.Time
	maxBody    int64
	maxStreams int64
	streams    atomic.Int64
	callers    sync.Map // caller name → *callerState
	mux        *http.ServeMux
	ids        requestIDs
}

// callerState is one authenticated caller's policy, precomputed on first use.
type callerState struct {
	name    string
	allowed map[string]bool
	limits  *ratelimit.Policy
	models  []byte // GET /v1/models body
}

// New builds the handler; it fails when a route has no provider.
func New(opts Options) (*Handler, error) {
	c := opts.Config
	h := &Handler{
		cfg: c, routes: map[string]*Route{}, keys: opts.Keys, limiter: opts.Limiter, rec: opts.Recorder, now: opts.Now,
		maxBody: c.Limits.MaxBodyBytes, maxStreams: int64(c.Limits.MaxConcurrentStreams),
	}
	h.ids.init()
	if h.now == nil {
		h.now = time.Now
	}
	for _, rc := range c.Routes {
		p := opts.Providers[rc.Name]
		if p == nil {
			return nil, fmt.Errorf("route %q: no provider", rc.Name)
		}
		r := &Route{Name: rc.Name, Backend: rc.Backend(), UpstreamModel: rc.UpstreamModel(), Provider: p, Timeout: rc.Timeout.D()}
		if rc.Bedrock != nil {
			if pr, ok := usage.BedrockPrice(rc.Bedrock.ModelID); ok {
				r.price = &pr
			}
		}
		h.routes[r.Name] = r
		h.routeOrder = append(h.routeOrder, r)
	}
	for _, rc := range c.Routes {
		for _, f := range rc.Fallbacks {
			h.routes[rc.Name].Fallbacks = append(h.routes[rc.Name].Fallbacks, h.routes[f])
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", h.chat)
	mux.HandleFunc("POST /v1/embeddings", h.embeddings)
	mux.HandleFunc("GET /v1/models", h.models)
	mux.HandleFunc("/", h.notFound)
	h.mux = mux
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// ActiveStreams returns the streams in flight.
func (h *Handler) ActiveStreams() int64 { return h.streams.Load() }

func (h *Handler) caller(name string) *callerState {
	if s, ok := h.callers.Load(name); ok {
		return s.(*callerState)
	}
	pol := h.cfg.Policy(name)
	s := &callerState{name: name, allowed: map[string]bool{}, limits: h.limiter.Policy(name, pol.RateLimit)}
	list := openai.ModelList{Object: "list", Data: []openai.Model{}}
	for _, r := range h.routeOrder {
		if pol.AllRoutes || slices.Contains(pol.Routes, r.Name) {
			s.allowed[r.Name] = true
			list.Data = append(list.Data, openai.Model{ID: r.Name, Object: "model", OwnedBy: "gitplane"})
		}
	}
	s.models, _ = json.Marshal(list)
	s.models = append(s.models, '\n')
	actual, _ := h.callers.LoadOrStore(name, s)
	return actual.(*callerState)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	(&openai.APIError{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest,
		Message: "Unknown request URL: " + r.Method + " " + r.URL.Path}).Write(w)
}
