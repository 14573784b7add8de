package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/preview"
	"github.com/gitplane/gitplane/reconciler/webhook"
)

// refusal is a pull request gitplane does not preview: the change's fault
// (state failure: files it will not read) or its own (error: a commit it
// cannot find, a tree it cannot read).
type refusal struct {
	state  github.State
	envs   []string // the Environments it concerns; empty: those known
	reason string
}

func (r *refusal) Error() string { return r.reason }

// refuse reports a pull request that is not previewed where its author
// looks: a status on the head for every Environment concerned (or
// gitplane/preview when none is known) and the preview comment. A refusal
// for the change's fault is not an error of serve's; one for serve's own
// is returned.
func (p *GitHubPreviewer) refuse(ctx context.Context, ev webhook.PREvent, sha string, r *refusal) error {
	envs := r.envs
	if len(envs) == 0 {
		envs = p.Environments
	}
	var previews []*preview.EnvPreview
	for _, env := range envs {
		previews = append(previews, &preview.EnvPreview{Env: env, HeadSHA: sha, Refused: oneLine(r.reason), Failed: r.state == github.Failure})
	}
	statuses := previews
	if len(statuses) == 0 { // no Environment known: the context gitplane/preview
		statuses = []*preview.EnvPreview{{Refused: oneLine(r.reason), Failed: r.state == github.Failure}}
	}
	for _, ep := range statuses {
		if sha != "" {
			p.postStatus(ctx, sha, ep)
		}
	}
	md := p.markdown(ev, sha, previews)
	if len(previews) == 0 {
		md = fmt.Sprintf("## gitplane preview\n\n**❌ Not previewed**\n\n```text\n%s\n```\n\n---\nUpdated for %s at %s.\n",
			strings.ReplaceAll(r.reason, "`", "'"), sha, time.Now().UTC().Format(time.RFC3339))
	}
	err := p.GitHub.UpsertMarkdown(ctx, ev.Number, previewMarker, md)
	p.log().Warn("pull request not previewed", "pr", ev.Number, "revision", sha, "state", r.state, "reason", r.reason)
	if r.state == github.Failure {
		return err
	}
	return errors.Join(fmt.Errorf("pull request %d not previewed: %s", ev.Number, r.reason), err)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
