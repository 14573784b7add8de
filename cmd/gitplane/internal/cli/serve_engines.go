package cli

import (
	"context"
	"log/slog"
	"os"
	"sync"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/preview"
	"github.com/gitplane/gitplane/reconciler/server"
	"github.com/gitplane/gitplane/schema"
)

// serveEngines are serve's connections to clusters: one from the
// kubeconfig (or the in-cluster config), or, when none is named and serve
// runs outside a cluster with AWS credentials, one per EKS cluster that
// an Environment names (name, region and account; tokens refreshed before
// they expire). Syncs and previews ask with the Environments as the
// default branch lists them, so a cluster renamed there gets its own
// connection. serve plans again and again, so every Engine keeps the live
// state in watches.
type serveEngines struct {
	single    *engine.Engine
	inCluster bool // single is the cluster serve runs in
	aws       *gpaws.Client
	mu        sync.Mutex
	byCluster map[engine.Cluster]*engine.Engine
	all       []*engine.Engine
}

func (f *serveFlags) engines(ctx context.Context) (*serveEngines, error) {
	named := f.kubeconfig != "" || f.context != "" || os.Getenv("KUBECONFIG") != "" || os.Getenv("KUBERNETES_SERVICE_HOST") != ""
	if !named && !f.aws.skip {
		if chk := gpaws.New(ctx, gpaws.Options{Profile: f.aws.profile}); chk.Enabled() {
			return newEKSEngines(chk), nil
		}
	}
	cfg, err := f.restConfig()
	if err != nil {
		return nil, err
	}
	e, err := engine.New(cfg, engine.Options{Watch: true})
	if err != nil {
		return nil, err
	}
	inCluster := f.kubeconfig == "" && f.context == "" && os.Getenv("KUBECONFIG") == "" && os.Getenv("KUBERNETES_SERVICE_HOST") != ""
	return &serveEngines{single: e, inCluster: inCluster, all: []*engine.Engine{e}}, nil
}

// servedCluster is the cluster name whose Environments serve follows:
// --cluster-name, else, inside a cluster, the one the cluster is recorded
// as; "" follows every Environment (each sync still checks the record).
func (s *serveEngines) servedCluster(ctx context.Context, flag string, log *slog.Logger) (string, error) {
	if flag != "" || !s.inCluster {
		return flag, nil
	}
	c, ok, err := s.single.RecordedCluster(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		log.Warn("serve runs in a cluster that is not recorded yet and --cluster-name is not set: following every Environment; the first sync records this cluster and Environments naming others then fail")
		return "", nil
	}
	log.Info("following the Environments of the cluster serve runs in", "cluster", c.String())
	return c.Name, nil
}

// newEKSEngines connects to EKS clusters through chk.
func newEKSEngines(chk *gpaws.Client) *serveEngines {
	return &serveEngines{aws: chk, byCluster: map[engine.Cluster]*engine.Engine{}}
}

// connect returns the Engine on the EKS cluster an Environment names,
// opening it on first use; syncs and previews share it.
func (s *serveEngines) connect(ctx context.Context, env *schema.Environment) (*engine.Engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := engine.ClusterOf(env)
	if e, ok := s.byCluster[key]; ok {
		return e, nil
	}
	cfg, err := s.aws.RESTConfig(ctx, env)
	if err != nil {
		return nil, err
	}
	e, err := engine.New(cfg, engine.Options{Watch: true})
	if err != nil {
		return nil, err
	}
	s.byCluster[key] = e
	s.all = append(s.all, e)
	return e, nil
}

// engine is the one Engine, or nil (not a nil pointer in an interface).
func (s *serveEngines) engine() server.Engine {
	if s.single == nil {
		return nil
	}
	return s.single
}

func (s *serveEngines) forEnv() func(context.Context, *schema.Environment) (server.Engine, error) {
	if s.aws == nil {
		return nil
	}
	return func(ctx context.Context, env *schema.Environment) (server.Engine, error) { return s.connect(ctx, env) }
}

func (s *serveEngines) planner() preview.Planner {
	if s.single == nil {
		return nil
	}
	return s.single
}

func (s *serveEngines) plannerFor() func(context.Context, *schema.Environment) (preview.Planner, error) {
	if s.aws == nil {
		return nil
	}
	return func(ctx context.Context, env *schema.Environment) (preview.Planner, error) {
		return s.connect(ctx, env)
	}
}

func (s *serveEngines) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.all {
		e.Close()
	}
}
