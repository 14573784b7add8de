package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitplane/gitplane/reconciler/github/githubtest"
)

// TestPullRequestPreview: opened → one comment and a preview status;
// synchronize → the same comment edited; a broken spec → failure status
// with the file:line link; closed → the comment says so.
func TestPullRequestPreview(t *testing.T) {
	g := newGitRepo(t)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true, preview: true})
	l.waitStatus(g.git(g.work, "rev-parse", "HEAD"), 60*time.Second)

	g.git(g.work, "checkout", "-q", "-b", "feature")
	g.edit("models/llama.yaml", "vllm-openai:v0.6.3", "vllm-openai:v0.7.0")
	head := g.commitTo("llama: v0.7.0", "refs/pull/7/head")
	if code := l.deliver("pull_request", "pr-1", prPayload("opened", 7, head), secret); code != http.StatusAccepted {
		t.Fatalf("pull_request delivery answered %d", code)
	}
	previewStatus := func(sha string) *githubtest.Status {
		for _, st := range l.github.Statuses(sha) {
			if st.Context == "gitplane/preview/"+g.env {
				return &st
			}
		}
		return nil
	}
	// the statuses are posted before the comment
	waitFor(t, 30*time.Second, "the preview status and comment", func() bool { return previewStatus(head) != nil && len(l.github.Comments(7)) > 0 })
	comments := l.github.Comments(7)
	if len(comments) != 1 {
		t.Fatalf("%d comments after opened, want 1", len(comments))
	}
	body := comments[0].Body
	for _, want := range []string{"staging", "vllm-openai:v0.7.0", "```diff", "<details>"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview comment lacks %q:\n%s", want, body)
		}
	}
	if st := previewStatus(head); st.State != "success" || !strings.Contains(st.Description, "1 to update") {
		t.Errorf("preview status = %+v", st)
	}
	if img := l.image(g.ns("models"), "llama-3-8b"); img != "vllm/vllm-openai:v0.6.3" {
		t.Errorf("a preview changed the cluster: image %s", img)
	}

	g.edit("models/llama.yaml", "image:", "imag:")
	broken := g.commitTo("oops", "refs/pull/7/head")
	l.deliver("pull_request", "pr-2", prPayload("synchronize", 7, broken), secret)
	waitFor(t, 30*time.Second, "the preview status of the broken head", func() bool { return previewStatus(broken) != nil })
	waitFor(t, 10*time.Second, "the comment to be edited", func() bool {
		c := l.github.Comments(7)
		return len(c) == 1 && strings.Contains(c[0].Body, broken)
	})
	c := l.github.Comments(7)
	if c[0].ID != comments[0].ID {
		t.Errorf("synchronize created comment %d instead of editing %d", c[0].ID, comments[0].ID)
	}
	if !strings.Contains(c[0].Body, "https://github.com/acme/specs/blob/"+broken+"/models/llama.yaml#L7") {
		t.Errorf("the validation error does not link the PR's file:\n%s", c[0].Body)
	}
	if st := previewStatus(broken); st.State != "failure" || !strings.Contains(st.Description, "models/llama.yaml:7:3") {
		t.Errorf("preview status of the broken head = %+v", st)
	}

	l.deliver("pull_request", "pr-3", prPayload("closed", 7, broken), secret)
	waitFor(t, 10*time.Second, "the closed note", func() bool {
		c := l.github.Comments(7)
		return len(c) == 1 && strings.Contains(c[0].Body, "closed")
	})
}

// TestPullRequestRefused: a pull request whose spec file is a symbolic
// link leaving the repository is not previewed, and says so where its
// author looks: a failure status and the comment, not only serve's log.
func TestPullRequestRefused(t *testing.T) {
	g := newGitRepo(t)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true, preview: true})
	l.waitStatus(g.git(g.work, "rev-parse", "HEAD"), 60*time.Second)

	g.git(g.work, "checkout", "-q", "-b", "feature")
	if err := os.Symlink("../../../../../../etc/passwd", filepath.Join(g.work, "models", "evil.yaml")); err != nil {
		t.Fatal(err)
	}
	head := g.commitTo("a link out of the repository", "refs/pull/11/head")
	l.deliver("pull_request", "pr-evil", prPayload("opened", 11, head), secret)
	var st *githubtest.Status
	waitFor(t, 30*time.Second, "the preview status", func() bool {
		for _, s := range l.github.Statuses(head) {
			if s.Context == "gitplane/preview/"+g.env {
				st = &s
			}
		}
		return st != nil
	})
	if st.State != "failure" || !strings.Contains(st.Description, g.env+": not previewed") || !strings.Contains(st.Description, "models/evil.yaml") {
		t.Errorf("preview status = %+v, want a failure naming the file", st)
	}
	waitFor(t, 10*time.Second, "the preview comment", func() bool { return len(l.github.Comments(11)) == 1 })
	body := l.github.Comments(11)[0].Body
	for _, want := range []string{"❌ not previewed", "**❌ Not previewed**: gitplane does not read this change", "models/evil.yaml", "leaves the tree"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "root:") {
		t.Error("the comment shows what the link points to")
	}
}
