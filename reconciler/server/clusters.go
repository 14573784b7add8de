package server

import (
	"context"
	"fmt"
	"maps"
	"slices"

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

// syncsWith records that env's syncs use eng; the watches of env on the
// Engine used before (the Environment moved to another cluster) are
// stopped.
func (s *Server) syncsWith(env string, eng *engine.Engine) {
	s.mu.Lock()
	before := s.engines[env]
	s.engines[env] = eng
	s.mu.Unlock()
	if before != nil && before != eng {
		before.Unwatch(env)
	}
}

// release stops the watches of env on the Engine of its syncs.
func (s *Server) release(env, why string) {
	s.mu.Lock()
	eng := s.engines[env]
	delete(s.engines, env)
	s.mu.Unlock()
	if eng != nil {
		eng.Unwatch(env)
		s.log.Info("stopped watching the Environment's objects", "env", env, "reason", why)
	}
}

// releaseAll stops the watches of every Environment the loop synced.
func (s *Server) releaseAll() {
	s.mu.Lock()
	envs := slices.Collect(maps.Keys(s.engines))
	s.mu.Unlock()
	for _, env := range envs {
		s.release(env, "the loop stops")
	}
}
