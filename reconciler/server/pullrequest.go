package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/preview"
	"github.com/gitplane/gitplane/reconciler/source"
	"github.com/gitplane/gitplane/reconciler/webhook"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// previewMarker identifies gitplane's preview comment on a pull request.
const previewMarker = "preview"

// GitHubPreviewer previews pull requests: for every Environment the change
// touches it plans the PR head against the cluster (dry-run, nothing is
// written), upserts one comment (capped at GitHub's size of one) and posts
// a commit status gitplane/preview/<env> on the head. A change it will not
// or cannot preview gets a failure (the change's fault) or error status
// and the comment says why.
type GitHubPreviewer struct {
	Source *source.Repo
	// Engines plans each Environment's head against its cluster; nil
	// previews offline (render against render). It is only asked for
	// clusters that Environments on DefaultBranch name, and is given such
	// an Environment: a pull request naming another cluster is previewed
	// offline, so that it cannot make serve connect elsewhere.
	Engines engine.Factory
	// DefaultBranch lists the Environments whose clusters may be planned
	// against. Default "main".
	DefaultBranch string
	GitHub        *github.Client
	// WebURL is the repository's web address (https://github.com/acme/specs)
	// for links to the PR's files; empty: no links.
	WebURL string
	// StatusURL is serve's /status page; a preview comment too long for
	// GitHub (it is capped at one comment) sends the reader there and to
	// `gitplane preview` for what it leaves out. Empty: only the command.
	StatusURL string
	// Environments limits previews to these; empty: all.
	Environments []string
	PlanOptions  engine.PlanOptions
	// AWS adds the IRSA trust-policy preflight and live prices to previews;
	// nil leaves them out (costs from the embedded catalog).
	AWS    *gpaws.Client
	Logger *slog.Logger
}

// Preview previews the pull request at its newest head.
func (p *GitHubPreviewer) Preview(ctx context.Context, ev webhook.PREvent) error {
	if err := p.Source.Fetch(ctx); err != nil {
		p.log().Warn("fetch failed; previewing the last fetched commits", "pr", ev.Number, "error", err)
	}
	head, err := p.Source.Resolve(fmt.Sprintf("pr/%d", ev.Number))
	if err != nil {
		if head, err = p.Source.Resolve(ev.HeadSHA); err != nil {
			return p.refuse(ctx, ev, ev.HeadSHA, &refusal{state: github.Error,
				reason: fmt.Sprintf("gitplane cannot find the head commit %s: %v", short(ev.HeadSHA), err)})
		}
	}
	base, err := p.Source.Resolve(ev.BaseRef)
	if err != nil {
		return p.refuse(ctx, ev, head, &refusal{state: github.Error, reason: fmt.Sprintf("gitplane cannot find the base branch %s: %v", ev.BaseRef, err)})
	}
	previews, err := p.previewEnvironments(ctx, base, head)
	var r *refusal
	if errors.As(err, &r) {
		return p.refuse(ctx, ev, head, r)
	} else if err != nil {
		return p.refuse(ctx, ev, head, &refusal{state: github.Error, reason: err.Error()})
	}
	var errs []error // serve's own, reported on the PR and returned to be logged
	for _, ep := range previews {
		p.postStatus(ctx, head, ep)
		if ep.Refused != "" && !ep.Failed {
			errs = append(errs, fmt.Errorf("pull request %d: %s not previewed: %s", ev.Number, ep.Env, ep.Refused))
		}
	}
	errs = append(errs, p.GitHub.UpsertMarkdown(ctx, ev.Number, previewMarker, p.markdown(ev, head, previews)))
	return errors.Join(errs...)
}

func (p *GitHubPreviewer) markdown(ev webhook.PREvent, head string, previews []*preview.EnvPreview) string {
	return preview.Markdown(previews, preview.MarkdownOptions{
		Footer:   fmt.Sprintf("Updated for %s at %s.", head, time.Now().UTC().Format(time.RFC3339)),
		MaxBytes: github.PartLimit(previewMarker),
		More:     p.more(ev, head),
	})
}

// previewEnvironments previews each Environment the change touches. A
// head that cannot be read (a symbolic link leaving the repository, a file
// too large) is refused as a whole; an Environment whose cluster cannot be
// planned against is refused alone.
func (p *GitHubPreviewer) previewEnvironments(ctx context.Context, base, head string) ([]*preview.EnvPreview, error) {
	baseTree, err := p.Source.Tree(base)
	if err != nil {
		return nil, err
	}
	headTree, err := p.Source.Tree(head)
	if err != nil {
		return nil, err
	}
	changed, err := p.Source.ChangedFiles(base, head)
	if err != nil {
		return nil, err
	}
	// one Loader and Renderer for the whole change: base and head, every
	// Environment, share what did not change
	loader, renderer := schema.NewLoader(), render.NewRenderer()
	baseRepo, _ := loader.Load(baseTree)
	headRepo, herr := loader.Load(headTree)
	var invalid schema.ErrorList
	if herr != nil && !errors.As(herr, &invalid) {
		return nil, &refusal{state: github.Failure, envs: p.selected(preview.AffectedEnvironments(baseRepo, nil, changed)),
			reason: "gitplane does not read this change's files: " + herr.Error()}
	}
	trusted := p.trustedClusters(loader, base, baseRepo)
	var out []*preview.EnvPreview
	for _, env := range p.selected(preview.AffectedEnvironments(baseRepo, headRepo, changed)) {
		engines, note, err := p.enginesFor(ctx, env, trusted, headRepo, baseRepo)
		if err != nil {
			out = append(out, &preview.EnvPreview{Env: env, HeadSHA: head, Refused: err.Error()})
			continue
		}
		ep, err := preview.Environment(ctx, preview.Input{
			Env: env, Base: baseTree, Head: headTree, HeadSHA: head, Onto: base,
			Engines: engines, FileURL: p.fileURL(head), PlanOptions: p.PlanOptions, AWS: p.AWS,
			Loader: loader, Renderer: renderer,
		})
		if err != nil {
			out = append(out, &preview.EnvPreview{Env: env, HeadSHA: head, Refused: err.Error()})
			continue
		}
		if note != "" {
			ep.Notes = append(ep.Notes, note)
		}
		out = append(out, ep)
	}
	return out, nil
}

// selected keeps the Environments the previewer is limited to.
func (p *GitHubPreviewer) selected(envs []string) []string {
	if len(p.Environments) == 0 {
		return envs
	}
	return slices.DeleteFunc(envs, func(e string) bool { return !slices.Contains(p.Environments, e) })
}

// more says where to see what a capped comment leaves out.
func (p *GitHubPreviewer) more(ev webhook.PREvent, head string) string {
	base := strings.ReplaceAll(ev.BaseRef, "`", "") // a branch name may hold backticks
	cmd := fmt.Sprintf("run `gitplane preview --base %s --head %s` for the whole preview", base, short(head))
	if p.StatusURL == "" {
		return cmd
	}
	return fmt.Sprintf("see %s, or %s", p.StatusURL, cmd)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func (p *GitHubPreviewer) fileURL(sha string) func(path string, line int) string {
	if p.WebURL == "" {
		return nil
	}
	root := strings.TrimSuffix(p.WebURL, "/")
	return func(path string, line int) string {
		return fmt.Sprintf("%s/blob/%s/%s#L%d", root, sha, path, line)
	}
}

func (p *GitHubPreviewer) postStatus(ctx context.Context, sha string, ep *preview.EnvPreview) {
	st := github.Status{Context: "gitplane/preview/" + ep.Env, State: github.Success}
	if ep.Env == "" {
		st.Context = "gitplane/preview"
	}
	switch {
	case ep.Refused != "":
		st.State, st.Description = github.Error, "not previewed: "+ep.Refused
		if ep.Failed {
			st.State = github.Failure
		}
		if ep.Env != "" {
			st.Description = ep.Env + ": " + st.Description
		}
	case ep.Failed:
		st.State = github.Failure
		st.Description = ep.Env + ": the change cannot be applied; see the preview comment"
		if len(ep.ValidationErrors) > 0 {
			st.Description = ep.ValidationErrors[0].Error()
		}
	case blockedReason(ep.Plan, ep.Onto) != "":
		st.State, st.Description = github.Failure, ep.Env+": "+blockedReason(ep.Plan, ep.Onto)
	case ep.Plan != nil:
		st.Description = ep.Env + ": " + ep.Plan.Summary().String()
	default:
		st.Description = ep.Env + ": previewed"
	}
	if err := p.GitHub.SetStatus(ctx, sha, st); err != nil {
		p.log().Warn("posting preview status failed", "env", ep.Env, "revision", sha, "error", err)
	}
}

// Closed marks the pull request's preview comment as no longer updated.
func (p *GitHubPreviewer) Closed(ctx context.Context, ev webhook.PREvent) error {
	note := "This pull request was closed; this preview is no longer updated."
	if ev.Merged {
		note = "This pull request was merged; gitplane syncs the Environments from the branch now."
	}
	return p.GitHub.MarkClosed(ctx, ev.Number, previewMarker, note)
}

func (p *GitHubPreviewer) log() *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
}
