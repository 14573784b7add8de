package engine

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/gitplane/gitplane/schema"
)

// Factory returns the Engine of the cluster an Environment names: the one
// way the CLI, serve and previews get an Engine. Fixed serves one cluster
// whatever the Environment (a kubeconfig, the cluster serve runs in);
// PerCluster connects to each cluster an Environment names (EKS by name,
// with aws.Client.RESTConfig).
type Factory interface {
	Engine(ctx context.Context, env *schema.Environment) (*Engine, error)
}

// Fixed returns the Factory that gives e for every Environment. Each
// plan still checks that e's cluster is the one the Environment names
// (see ClusterMismatchError).
func Fixed(e *Engine) Factory { return fixed{e} }

type fixed struct{ e *Engine }

func (f fixed) Engine(context.Context, *schema.Environment) (*Engine, error) { return f.e, nil }

// ConfigFunc returns the client configuration of the cluster an
// Environment names; aws.Client.RESTConfig is one.
type ConfigFunc func(ctx context.Context, env *schema.Environment) (*rest.Config, error)

// PerCluster is the Factory that connects to the cluster each Environment
// names through a ConfigFunc, once per cluster (name, region, account):
// Environments on one cluster share its Engine, and an Environment whose
// cluster changed gets the new cluster's. It is safe for concurrent use;
// Close closes every Engine it made.
type PerCluster struct {
	config ConfigFunc
	opts   Options

	mu      sync.Mutex
	engines map[Cluster]*Engine
}

// NewPerCluster returns a PerCluster making its Engines with opts.
func NewPerCluster(config ConfigFunc, opts Options) *PerCluster {
	return &PerCluster{config: config, opts: opts, engines: map[Cluster]*Engine{}}
}

// Engine returns the Engine of env's cluster, connecting on first use.
// A failed connection is not kept: the next call tries again.
func (p *PerCluster) Engine(ctx context.Context, env *schema.Environment) (*Engine, error) {
	key := ClusterOf(env)
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.engines[key]; ok {
		return e, nil
	}
	cfg, err := p.config(ctx, env)
	if err != nil {
		return nil, err
	}
	e, err := New(cfg, p.opts)
	if err != nil {
		return nil, fmt.Errorf("connecting to cluster %s: %w", key, err)
	}
	p.engines[key] = e
	return e, nil
}

// Close closes every Engine made; PerCluster must not be used after.
func (p *PerCluster) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.engines {
		e.Close()
	}
}
