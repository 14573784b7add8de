package server

import (
	"context"
	"maps"
	"slices"

	"github.com/gitplane/gitplane/reconciler/webhook"
	"github.com/gitplane/gitplane/schema"
)

// notFollowed is the trigger of the job that stops the watches of an
// Environment the loop no longer follows.
const notFollowed = "no longer followed"

// discover reads the Environments listed on the default branch, the branch
// each follows and the cluster each names. When the branch cannot be read or its specs are
// invalid, the Environments known so far are kept.
func (s *Server) discover() {
	sha, err := s.opts.Source.Resolve(s.opts.DefaultBranch)
	if err != nil {
		s.log.Warn("cannot list Environments", "branch", s.opts.DefaultBranch, "error", err)
		return
	}
	fsys, err := s.opts.Source.Tree(sha)
	if err != nil {
		s.log.Warn("cannot list Environments", "revision", sha, "error", err)
		return
	}
	repo, err := s.loader.Load(fsys) // the sync of this commit then re-parses nothing
	if err != nil {
		s.log.Warn("specs on the default branch are invalid; keeping the Environments known so far", "revision", sha, "error", err)
		return
	}
	follow, listed := map[string]string{}, map[string]*schema.Environment{}
	for _, env := range repo.Environments {
		name := env.Metadata.Name
		if c := s.opts.ClusterName; c != "" && env.Spec.Cluster.Name != c {
			s.log.Debug("not following an Environment of another cluster", "env", name, "cluster", env.Spec.Cluster.Name, "serving", c)
			continue
		}
		if len(s.opts.Environments) == 0 || slices.Contains(s.opts.Environments, name) {
			follow[name], listed[name] = env.Spec.Git.Branch, env
		}
	}
	for _, name := range s.opts.Environments {
		if _, ok := follow[name]; !ok {
			s.log.Warn("Environment not found on the default branch", "env", name, "branch", s.opts.DefaultBranch)
		}
	}
	s.mu.Lock()
	left := slices.DeleteFunc(slices.Collect(maps.Keys(s.follow)), func(env string) bool { _, kept := follow[env]; return kept })
	s.follow, s.listed = follow, listed
	s.mu.Unlock()
	for _, env := range left {
		// after any sync of it in flight, which may still start watches
		s.syncs.Trigger(env, notFollowed)
	}
	for env, branch := range follow {
		if _, ok := s.board.get(env); !ok {
			s.board.set(EnvStatus{Environment: env, Branch: branch})
		}
	}
}

func (s *Server) followMap() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.follow)
}

func (s *Server) followed() []string {
	return slices.Sorted(maps.Keys(s.followMap()))
}

// receiver turns webhook events into syncs and previews.
type receiver struct{ s *Server }

func (r receiver) Push(_ context.Context, ev webhook.PushEvent) {
	r.s.log.Info("push", "branch", ev.Branch, "revision", ev.SHA, "delivery", ev.DeliveryID)
	r.s.branchMoved(ev.Branch, "push "+ev.SHA)
}

func (r receiver) PullRequest(_ context.Context, ev webhook.PREvent) {
	if r.s.opts.Previewer == nil {
		return
	}
	r.s.log.Info("pull request", "number", ev.Number, "action", ev.Action, "revision", ev.HeadSHA, "delivery", ev.DeliveryID)
	r.s.previews.Trigger(prKey(ev.Number), ev)
}
