// Package server runs the gateway: it builds the API handler, keys, rate
// limiter and providers from a config.Config, serves the API and the admin
// endpoints (/metrics, /healthz, /readyz), and drains on shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/gitplane/gitplane/gateway/api"
	"github.com/gitplane/gitplane/gateway/auth"
	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/ratelimit"
	"github.com/gitplane/gitplane/gateway/usage"
)

// keysPoll is the backstop re-read of the keys directory, should a change
// event be missed.
const keysPoll = time.Minute

// Options configures New.
type Options struct {
	Config *config.Config
	// Logger receives the access log (one JSON line per request) and the
	// server's own messages.
	Logger *slog.Logger
	// Providers, when set, serve the routes instead of providers built from
	// the config (tests and benchmarks).
	Providers map[string]provider.Provider
	// Backends builds the providers of routes when Providers is nil.
	Backends Backends
	// Ready is an extra readiness check. Default: with Bedrock or SageMaker
	// routes, that the AWS credentials resolve.
	Ready func(ctx context.Context) error
	// Now is the clock of latencies (time.Now if nil).
	Now func() time.Time
}

// Server is a configured gateway.
type Server struct {
	cfg      *config.Config
	log      *slog.Logger
	keys     *auth.Keys
	api      *api.Handler
	rec      *usage.Recorder
	ready    func(ctx context.Context) error
	closers  []func() error
	draining atomic.Bool
}

// New builds a Server: it loads the keys, connects the rate-limit store and
// builds every route's provider.
func New(ctx context.Context, opts Options) (*Server, error) {
	cfg, log := opts.Config, opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, ready: opts.Ready, rec: usage.New(log)}
	keys, err := auth.Load(auth.Options{Dir: cfg.KeysDir, Logger: log})
	if err != nil {
		return nil, err
	}
	s.keys = keys
	lim, err := s.limiter(ctx)
	if err != nil {
		return nil, err
	}
	providers := opts.Providers
	if providers == nil {
		var awsReady func(context.Context) error
		if providers, awsReady, err = opts.Backends.build(ctx, cfg); err != nil {
			return nil, err
		}
		if s.ready == nil {
			s.ready = awsReady
		}
	}
	s.api, err = api.New(api.Options{Config: cfg, Providers: providers, Keys: keys, Limiter: lim, Recorder: s.rec, Now: opts.Now})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) limiter(ctx context.Context) (*ratelimit.Limiter, error) {
	onErr := func(err error) {
		s.rec.StoreError()
		s.log.Warn("rate limit store failed; request admitted", "err", err)
	}
	if r := s.cfg.RateLimit.Redis; r != nil {
		store, err := ratelimit.NewRedis(ratelimit.RedisOptions{Address: r.Address, Username: r.Username, PasswordFile: r.PasswordFile, TLS: r.TLS, Cluster: r.Cluster})
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, store.Close)
		if err := store.Ping(ctx); err != nil {
			s.log.Warn("redis not reachable yet; limits are not enforced until it is", "err", err)
		}
		return ratelimit.New(ratelimit.Options{Store: store, OnStoreError: onErr}), nil
	}
	return ratelimit.New(ratelimit.Options{Store: ratelimit.NewLocal(nil), Share: s.cfg.RateLimit.Replicas, OnStoreError: onErr}), nil
}

// Handler returns the API handler (/v1/..., plus /healthz and /readyz).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.health(mux)
	mux.Handle("/", s.api)
	return mux
}

// AdminHandler returns the admin handler: /metrics, /healthz, /readyz.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	s.health(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.rec.Registry(), promhttp.HandlerOpts{}))
	return mux
}

func (s *Server) health(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Ready(r.Context()); err != nil {
			// The reason goes to the log, not to whoever asks: /readyz is
			// on the API port too, and an STS error can name the account,
			// the role or the OIDC issuer.
			s.log.Warn("not ready", "err", err)
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

// Ready reports whether the gateway should receive traffic: config and keys
// loaded (New succeeded), not draining, and the extra check passing.
func (s *Server) Ready(ctx context.Context) error {
	if s.draining.Load() {
		return errors.New("draining")
	}
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return s.ready(ctx)
	}
	return nil
}

// Recorder returns the usage recorder (its registry holds the metrics).
func (s *Server) Recorder() *usage.Recorder { return s.rec }

// Run listens on the config's addresses and serves until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	apiLn, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Listen, err)
	}
	adminLn, err := net.Listen("tcp", s.cfg.MetricsListen)
	if err != nil {
		apiLn.Close()
		return fmt.Errorf("listening on %s: %w", s.cfg.MetricsListen, err)
	}
	return s.Serve(ctx, apiLn, adminLn)
}

// Serve serves the API on apiLn and the admin endpoints on adminLn until
// ctx is done, then drains: /readyz fails, new connections are refused and
// requests in flight (streams included) get up to limits.shutdownTimeout.
func (s *Server) Serve(ctx context.Context, apiLn, adminLn net.Listener) error {
	defer s.close()
	lim := s.cfg.Limits
	apiSrv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: lim.HeaderReadTimeout.D(),
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	adminSrv := &http.Server{Handler: s.AdminHandler(), ReadHeaderTimeout: lim.HeaderReadTimeout.D()}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serve(apiSrv, apiLn) })
	g.Go(func() error { return serve(adminSrv, adminLn) })
	g.Go(func() error { return s.keys.Watch(gctx, keysPoll) })
	g.Go(func() error {
		<-gctx.Done()
		s.draining.Store(true)
		s.log.Info("draining", "active_streams", s.api.ActiveStreams())
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lim.ShutdownTimeout.D())
		defer cancel()
		err := apiSrv.Shutdown(dctx)
		if err != nil {
			_ = apiSrv.Close()
		}
		_ = adminSrv.Close()
		s.log.Info("drained", "err", err)
		return nil
	})
	s.log.Info("gateway serving", "listen", apiLn.Addr().String(), "metrics", adminLn.Addr().String(), "routes", len(s.cfg.Routes))
	return g.Wait()
}

func serve(srv *http.Server, ln net.Listener) error {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	return nil
}

func (s *Server) close() {
	for _, c := range s.closers {
		_ = c()
	}
}
