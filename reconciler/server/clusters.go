package server

import (
	"context"
	"fmt"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// engineFor returns the Engine of an Environment's cluster, from
// Options.Engines with the Environment as the default branch lists it
// (never as a branch or pull request names it).
func (s *Server) engineFor(ctx context.Context, name string) (*engine.Engine, error) {
	s.mu.Lock()
	env := s.listed[name]
	s.mu.Unlock()
	if env == nil {
		return nil, fmt.Errorf("Environment %s is not listed on %s", name, s.opts.DefaultBranch)
	}
	e, err := s.opts.Engines.Engine(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster of %s, %s: %w", name, engine.ClusterOf(env), err)
	}
	return e, nil
}
