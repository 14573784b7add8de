package server

import (
	"context"
	"fmt"

	"github.com/gitplane/gitplane/schema"
)

// Cluster identifies a cluster as an Environment names it: EKS cluster
// name, region and account. Connections are kept per Cluster, not per
// Environment name.
type Cluster struct {
	Name, Region, AccountID string
}

// ClusterOf is the cluster env names.
func ClusterOf(env *schema.Environment) Cluster {
	c := env.Spec.Cluster
	return Cluster{Name: c.Name, Region: c.Region, AccountID: c.AccountID}
}

// String is "ml-staging (us-east-1, account 111122223333)".
func (c Cluster) String() string {
	return fmt.Sprintf("%s (%s, account %s)", c.Name, c.Region, c.AccountID)
}

// engineFor returns the Engine of an Environment's cluster: from
// Options.EngineFor with the Environment as the default branch lists it
// (never as a branch or pull request names it), else Options.Engine.
func (s *Server) engineFor(ctx context.Context, name string) (Engine, error) {
	if s.opts.EngineFor == nil {
		return s.opts.Engine, nil
	}
	s.mu.Lock()
	env := s.listed[name]
	s.mu.Unlock()
	if env == nil {
		return nil, fmt.Errorf("Environment %s is not listed on %s", name, s.opts.DefaultBranch)
	}
	e, err := s.opts.EngineFor(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster of %s, %s: %w", name, ClusterOf(env), err)
	}
	return e, nil
}
