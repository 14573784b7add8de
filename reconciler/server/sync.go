package server

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/preview"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// syncJob syncs one Environment to the newest commit of its branch: fetch,
// read the Environments on the default branch again, render, plan, apply
// with the configured prune options, wait for health, and report. Runs of one Environment never overlap (the Coalescer). For an
// Environment the loop no longer follows it stops the watches of its syncs
// instead.
func (s *Server) syncJob(ctx context.Context, env, why string) {
	if _, ok := s.followMap()[env]; !ok && why == notFollowed {
		s.release(env, why)
		return
	}
	fetchStart := time.Now()
	err := s.opts.Source.Fetch(ctx)
	s.log.Debug("fetched", "env", env, "duration", time.Since(fetchStart))
	if err != nil {
		s.metrics.fetchErrors.Inc()
		s.log.Warn("fetch failed; syncing the last fetched commit", "env", env, "error", err)
	}
	s.discover() // the default branch as fetched now names the clusters
	branch, ok := s.followMap()[env]
	if !ok {
		s.release(env, notFollowed)
		return
	}
	sha, err := s.opts.Source.Resolve(branch)
	if err != nil {
		s.finish(ctx, env, branch, "", time.Now(), nil, err)
		return
	}
	if st, ok := s.board.get(env); ok && st.Revision == sha && st.Result == "success" && why != "startup" {
		return // already there: a coalesced trigger for a commit synced before
	}
	start := time.Now()
	log := s.log.With("env", env, "revision", sha, "trigger", why)
	log.Info("sync started")
	s.board.set(EnvStatus{Environment: env, Branch: branch, Revision: sha, Result: "syncing", Time: start})
	plan, err := s.syncCommit(ctx, env, sha)
	s.finish(ctx, env, branch, sha, start, plan, err)
}

// syncCommit renders the commit and applies it.
func (s *Server) syncCommit(ctx context.Context, env, sha string) (*engine.Plan, error) {
	start := time.Now()
	fsys, err := s.opts.Source.Tree(sha)
	if err != nil {
		return nil, err
	}
	res, err := s.render(ctx, fsys, env)
	if err != nil {
		return nil, err
	}
	objs := res.Objects
	rendered := time.Now()
	eng, err := s.engineFor(ctx, env)
	if err != nil {
		return nil, err
	}
	s.syncsWith(env, eng)
	opts, err := s.confirmed(res.Env, sha)
	if err != nil {
		return nil, err
	}
	plan, err := eng.Plan(ctx, engine.PlanRequest{Environment: env, Objects: objs, PlanOptions: opts,
		Cluster: engine.ClusterOf(res.Env)})
	if err != nil {
		return nil, err
	}
	s.log.Debug("planned", "env", env, "revision", sha, "render", rendered.Sub(start), "plan", time.Since(rendered))
	if errs := plan.Errors(); len(errs) > 0 {
		return plan, &planRefused{failed: errs}
	}
	sum := plan.Summary()
	if n := sum.Create + sum.Configure + sum.Delete; n > 0 {
		s.postStatus(ctx, env, sha, github.Pending, fmt.Sprintf("applying %d change(s) to %s", n, env))
	}
	return eng.Apply(ctx, plan, engine.ApplyOptions{Wait: s.opts.Wait})
}

// confirmed returns the plan options for the sync of commit sha, with what
// the Environment (as sha has it) confirms for a commit on top of sha's
// first parent (see schema.AnnotationConfirmPrune): a confirmation holds
// for that one sync, not for the commits after it.
func (s *Server) confirmed(env *schema.Environment, sha string) (engine.PlanOptions, error) {
	parent, err := s.opts.Source.Parent(sha)
	if err != nil {
		return engine.PlanOptions{}, fmt.Errorf("reading the parent of %s: %w", sha, err)
	}
	opts := preview.Confirmed(s.opts.PlanOptions, env, parent)
	if opts != s.opts.PlanOptions {
		s.log.Info("the Environment confirms this sync", "env", env.Metadata.Name, "revision", sha, "onto", parent,
			"confirmPrune", opts.ConfirmPrune, "allowEmpty", opts.AllowEmpty, "forceConflicts", opts.ForceConflicts)
	}
	return opts, nil
}

// render validates and renders one Environment of a commit.
func (s *Server) render(ctx context.Context, fsys fs.FS, env string) (*render.Result, error) {
	start := time.Now()
	repo, err := s.loader.Load(fsys)
	if err != nil {
		return nil, err
	}
	loaded := time.Now()
	res, err := s.renderer.Render(ctx, repo, fsys, env)
	s.log.Debug("rendered", "env", env, "load", loaded.Sub(start), "render", time.Since(loaded))
	return res, err
}

// finish records and reports the outcome of a sync.
func (s *Server) finish(ctx context.Context, env, branch, sha string, start time.Time, plan *engine.Plan, err error) {
	elapsed := time.Since(start)
	st := EnvStatus{Environment: env, Branch: branch, Revision: sha, Time: time.Now()}
	if err != nil {
		st.Result, st.Message = "failure", syncFailure(err, sha)
		s.metrics.syncDuration.WithLabelValues(env, "failure").Observe(elapsed.Seconds())
		s.log.Error("sync failed", "env", env, "revision", sha, "duration", elapsed, "error", err)
		s.board.set(st)
		if sha != "" {
			s.postStatus(ctx, env, sha, github.Failure, env+": "+st.Message)
		}
		return
	}
	if why := blockedReason(plan, sha); why != "" {
		s.blocked(ctx, st, elapsed, plan, why)
		return
	}
	s.metrics.syncBlocked.WithLabelValues(env).Set(0)
	sum := plan.Summary()
	st.Result, st.Healthy = "success", s.opts.Wait > 0
	st.Message = fmt.Sprintf("%s: %s; healthy", env, sum.Past())
	if s.opts.Wait <= 0 {
		st.Message = fmt.Sprintf("%s: %s; applied", env, sum.Past())
	}
	s.metrics.syncDuration.WithLabelValues(env, "success").Observe(elapsed.Seconds())
	s.metrics.lastSuccess.WithLabelValues(env).Set(float64(time.Now().Unix()))
	s.metrics.lastRevision.DeletePartialMatch(map[string]string{"env": env})
	s.metrics.lastRevision.WithLabelValues(env, sha).Set(1)
	for action, n := range map[engine.Action]int{
		engine.ActionCreate: sum.Create, engine.ActionConfigure: sum.Configure,
		engine.ActionDelete: sum.Delete, engine.ActionUnchanged: sum.Unchanged,
	} {
		s.metrics.objects.WithLabelValues(env, string(action)).Add(float64(n))
	}
	s.log.Info("sync succeeded", "env", env, "revision", sha, "duration", elapsed, "summary", sum.Past())
	s.board.set(st)
	s.postStatus(ctx, env, sha, github.Success, st.Message)
}

// blocked records a sync that applied what it could but was kept from
// carrying out the rest (see blockedReason): not a success, though
// nothing failed. It is not retried on every poll: a new commit (one that
// confirms it, see schema.AnnotationConfirmPrune) syncs again.
func (s *Server) blocked(ctx context.Context, st EnvStatus, elapsed time.Duration, plan *engine.Plan, why string) {
	env := st.Environment
	st.Result, st.Message = "blocked", fmt.Sprintf("%s: %s", env, why)
	s.metrics.syncDuration.WithLabelValues(env, "blocked").Observe(elapsed.Seconds())
	s.metrics.syncBlocked.WithLabelValues(env).Set(1)
	s.log.Warn("sync blocked", "env", env, "revision", st.Revision, "duration", elapsed, "summary", plan.Summary().Past(), "reason", why)
	s.board.set(st)
	s.postStatus(ctx, env, st.Revision, github.Failure, st.Message)
}

// postStatus posts a commit status; a GitHub failure is logged, not fatal.
func (s *Server) postStatus(ctx context.Context, env, sha string, state github.State, desc string) {
	if s.opts.GitHub == nil {
		return
	}
	st := github.Status{Context: "gitplane/" + env, State: state, Description: desc}
	if s.opts.PublicURL != "" {
		st.TargetURL = strings.TrimSuffix(s.opts.PublicURL, "/") + "/status#" + env
	}
	if err := s.opts.GitHub.SetStatus(ctx, sha, st); err != nil {
		s.log.Warn("posting commit status failed", "env", env, "revision", sha, "state", state, "error", err)
	}
}
