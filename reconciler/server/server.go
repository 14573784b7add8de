package server

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/source"
	"github.com/gitplane/gitplane/reconciler/webhook"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// Previewer previews pull requests; nil turns previews off.
type Previewer interface {
	Preview(ctx context.Context, pr webhook.PREvent) error
	Closed(ctx context.Context, pr webhook.PREvent) error
}

// Options configure the loop.
type Options struct {
	Source *source.Repo
	// RepoName is the followed repository's owner/name on GitHub, e.g.
	// acme/ml-platform: shown on /status, and with webhooks on the only
	// repository whose events are acted on.
	RepoName string
	// Engines gives the Engine of each Environment's cluster (one fixed
	// cluster, or each EKS cluster by name). It is asked on every sync,
	// with the Environment as DefaultBranch lists it, so that a cluster
	// changed there is followed at once; it should keep one connection per
	// cluster (engine.PerCluster does).
	Engines engine.Factory
	// GitHub receives commit statuses; nil posts none.
	GitHub *github.Client
	// Environments limits the loop to these; empty follows every
	// Environment listed on DefaultBranch.
	Environments []string
	// ClusterName, when set, limits the loop to the Environments whose
	// spec.cluster.name it is: serve running inside a cluster syncs only
	// that cluster's Environments.
	ClusterName string
	// DefaultBranch is where the Environments are listed. Default "main".
	DefaultBranch string
	// Poll is the fetch schedule; nil polls never (webhooks only).
	Poll cron.Schedule
	// WebhookSecret turns /webhooks/github on.
	WebhookSecret []byte
	// PublicURL, when set, makes statuses link to its /status page.
	PublicURL string
	// Wait bounds the health wait of a sync (serve's --wait:
	// engine.DefaultWait); 0 does not wait.
	Wait time.Duration
	// PlanOptions for every sync; the caller sets Prune.
	PlanOptions engine.PlanOptions
	// Settle is how long a sync waits for more pushes before starting;
	// default none. Pushes that come while a sync runs are folded into one
	// more sync whatever it is.
	Settle time.Duration
	// ShutdownGrace is how long a sync in flight may finish after the loop
	// is told to stop. Default 30s.
	ShutdownGrace time.Duration
	Previewer     Previewer
	Logger        *slog.Logger
}

// Server is the GitOps loop.
type Server struct {
	opts     Options
	log      *slog.Logger
	loader   *schema.Loader // re-parses only the spec files that changed
	renderer *render.Renderer
	metrics  *metrics
	board    statusBoard

	mu      sync.Mutex
	follow  map[string]string              // Environment → branch
	listed  map[string]*schema.Environment // followed Environments as DefaultBranch lists them
	engines map[string]*engine.Engine      // the Engine of each Environment's last sync

	syncs    *Coalescer[string]
	previews *Coalescer[webhook.PREvent]
	hook     *webhook.Handler
	ready    chan struct{}
	stopped  context.CancelFunc
}

// New returns a loop; Run starts it.
func New(opts Options) (*Server, error) {
	if opts.Source == nil || opts.Engines == nil {
		return nil, errors.New("server: a Source and Engines are required")
	}
	opts.DefaultBranch = cmp.Or(opts.DefaultBranch, "main")
	opts.ShutdownGrace = cmp.Or(opts.ShutdownGrace, 30*time.Second)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Server{
		opts: opts, log: opts.Logger, loader: schema.NewLoader(), renderer: render.NewRenderer(), metrics: newMetrics(),
		follow: map[string]string{}, listed: map[string]*schema.Environment{}, engines: map[string]*engine.Engine{}, ready: make(chan struct{}),
	}, nil
}

// Run syncs every followed Environment once, then follows the repository
// until ctx ends. Syncs in flight then get ShutdownGrace to finish before
// they are cancelled; an apply cut short converges on the next run. Before
// it returns, the watches its syncs started are stopped.
func (s *Server) Run(ctx context.Context) error {
	syncCtx, cancelSyncs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSyncs()
	s.syncs = NewCoalescer(syncCtx, CoalescerOptions{Settle: s.opts.Settle, Logger: s.log}, s.syncJob)
	s.previews = NewCoalescer(syncCtx, CoalescerOptions{Settle: s.opts.Settle, Logger: s.log}, s.previewJob)
	if len(s.opts.WebhookSecret) > 0 {
		hook, err := webhook.New(ctx, webhook.Options{Secret: s.opts.WebhookSecret, Repository: s.opts.RepoName, Receiver: receiver{s}, Logger: s.log})
		if err != nil {
			return err
		}
		s.hook = hook
	}
	s.discover()
	close(s.ready)
	for _, env := range s.followed() {
		s.syncs.Trigger(env, "startup")
	}
	if s.opts.Poll != nil {
		go s.opts.Source.Poll(ctx, s.opts.Poll, s.polled)
		s.board.setNextPoll(s.opts.Poll.Next(time.Now()))
	}
	<-ctx.Done()
	s.log.Info("stopping: letting syncs in flight finish", "grace", s.opts.ShutdownGrace)
	done := make(chan struct{})
	go func() {
		if s.hook != nil {
			s.hook.Wait()
		}
		s.syncs.Wait()
		s.previews.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(s.opts.ShutdownGrace):
		s.log.Warn("grace period over: cancelling syncs in flight")
		cancelSyncs()
		<-done
	}
	s.releaseAll()
	return nil
}

// polled handles a scheduled fetch: branches that moved are synced, and
// Environments whose last sync failed are tried again.
func (s *Server) polled(ctx context.Context, moved []source.Move, err error) {
	s.board.setNextPoll(s.opts.Poll.Next(time.Now()))
	if err != nil {
		s.metrics.fetchErrors.Inc()
		return
	}
	for _, m := range moved {
		if m.To != "" {
			s.branchMoved(m.Ref, "poll")
		}
	}
	for _, env := range s.followed() {
		if st, ok := s.board.get(env); ok && st.Result == "failure" {
			s.syncs.Trigger(env, "retry")
		}
	}
}

// branchMoved triggers the syncs of the Environments that follow branch.
func (s *Server) branchMoved(branch, why string) {
	if branch == s.opts.DefaultBranch {
		s.discover()
	}
	for env, b := range s.followMap() {
		if b == branch {
			s.syncs.Trigger(env, why)
		}
	}
}
