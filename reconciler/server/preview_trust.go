package server

import (
	"cmp"
	"context"
	"fmt"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/schema"
)

func (p *GitHubPreviewer) defaultBranch() string { return cmp.Or(p.DefaultBranch, "main") }

// trustedClusters are the clusters that Environments on the default branch
// name, each with the first Environment naming it; none when the branch
// cannot be read. base and baseRepo spare a second read when the pull
// request is based on the default branch's head.
func (p *GitHubPreviewer) trustedClusters(loader *schema.Loader, base string, baseRepo *schema.Repo) map[engine.Cluster]*schema.Environment {
	if p.Engines == nil {
		return nil
	}
	sha, err := p.Source.Resolve(p.defaultBranch())
	if err != nil {
		p.log().Warn("cannot read the default branch; previewing offline", "branch", p.defaultBranch(), "error", err)
		return nil
	}
	repo := baseRepo
	if sha != base {
		tree, err := p.Source.Tree(sha)
		if err != nil {
			p.log().Warn("cannot read the default branch; previewing offline", "revision", sha, "error", err)
			return nil
		}
		repo, _ = loader.Load(tree) // invalid specs elsewhere do not untrust its Environments
	}
	out := map[engine.Cluster]*schema.Environment{}
	if repo == nil {
		return out
	}
	for _, env := range repo.Environments {
		if c := engine.ClusterOf(env); out[c] == nil {
			out[c] = env
		}
	}
	return out
}

// enginesFor picks how one Environment, found at the head (or the base,
// when the head is invalid or dropped it), is planned: against the Engine
// of its cluster when an Environment on the default branch names the
// cluster, asked for with that Environment; else offline (nil) with a
// note saying why. A pull request cannot make serve connect elsewhere.
func (p *GitHubPreviewer) enginesFor(ctx context.Context, name string, trusted map[engine.Cluster]*schema.Environment, repos ...*schema.Repo) (engine.Factory, string, error) {
	if p.Engines == nil {
		return nil, "", nil
	}
	env := findEnvironment(name, repos...)
	if env == nil {
		return nil, "", nil
	}
	c := engine.ClusterOf(env)
	listed := trusted[c]
	if listed == nil {
		return nil, fmt.Sprintf("previewed offline, not against a cluster: this change names cluster %s for %s, which no Environment on %s names; "+
			"gitplane plans pull requests only against the clusters the default branch names", c, name, p.defaultBranch()), nil
	}
	eng, err := p.Engines.Engine(ctx, listed)
	if err != nil {
		return nil, "", fmt.Errorf("gitplane cannot connect to the cluster of %s, %s: %w", name, c, err)
	}
	return engine.Fixed(eng), "", nil
}

// findEnvironment is the Environment named name in the first repository
// that has it.
func findEnvironment(name string, repos ...*schema.Repo) *schema.Environment {
	for _, repo := range repos {
		if repo == nil {
			continue
		}
		for _, env := range repo.Environments {
			if env.Metadata.Name == name {
				return env
			}
		}
	}
	return nil
}
