package server_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gitplane/gitplane/reconciler"
	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/github/githubtest"
	"github.com/gitplane/gitplane/reconciler/preview"
	"github.com/gitplane/gitplane/reconciler/server"
	"github.com/gitplane/gitplane/reconciler/source"
	"github.com/gitplane/gitplane/reconciler/webhook"
)

// previewRig is a GitHubPreviewer on a real clone of g and a fake GitHub,
// without the loop around it.
type previewRig struct {
	p      *server.GitHubPreviewer
	github *githubtest.Server
}

func newPreviewRig(t *testing.T, g *gitRepo, planner preview.Planner) *previewRig {
	t.Helper()
	src, err := source.Open(context.Background(), source.Options{URL: "file://" + g.bare, Dir: filepath.Join(t.TempDir(), "clone")})
	if err != nil {
		t.Fatal(err)
	}
	fake := githubtest.New(t, githubtest.Options{Owner: "acme", Repo: "specs", Token: "gh-token"})
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	gh, err := github.New(github.Options{BaseURL: fake.BaseURL(), Token: "gh-token", Owner: "acme", Repo: "specs", Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	return &previewRig{github: fake, p: &server.GitHubPreviewer{Source: src, Planner: planner, GitHub: gh,
		WebURL: "https://github.com/acme/specs", StatusURL: "https://gitplane.example.com/status",
		Environments: []string{"staging"}, PlanOptions: reconciler.PlanOptions{Prune: true}, Logger: discard}}
}

func (r *previewRig) preview(t *testing.T, number int, head string) error {
	t.Helper()
	return r.p.Preview(context.Background(), webhook.PREvent{Repo: "acme/specs", Number: number, Action: "synchronize", HeadSHA: head, HeadRef: "feature", BaseRef: "main"})
}

// TestPreviewOf1000Models: a pull request adding 1000 Models (whose
// preview once took 167 comments, 10.7 MB) gets one comment within
// GitHub's limit that says what it leaves out and where to see it; the
// parts of an earlier, longer comment are deleted.
func TestPreviewOf1000Models(t *testing.T) {
	g := newGitRepo(t)
	g.git(g.work, "checkout", "-q", "-b", "feature")
	writeModels(t, g.work, 1000)
	head := g.commitTo("1000 models", "refs/pull/9/head")
	rig := newPreviewRig(t, g, nil) // offline: render against render
	for part := 1; part <= 5; part++ {
		rig.github.AddComment(9, "gitplane[bot]", github.MarkerLine("preview", part)+"\nan earlier, longer preview")
	}
	if err := rig.preview(t, 9, head); err != nil {
		t.Fatal(err)
	}
	comments := rig.github.Comments(9)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	body := comments[0].Body
	if n := utf8.RuneCountInString(body); n > github.MaxCommentChars {
		t.Errorf("the comment has %d characters, over GitHub's %d", n, github.MaxCommentChars)
	}
	for _, want := range []string{
		"| [staging](#staging) | ✅ ready |", "`bench/m-0000`",
		"more change(s) not shown: this comment is capped; see https://gitplane.example.com/status, or run `gitplane preview --base main --head " + head[:12] + "`",
		"Updated for " + head,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q", want)
		}
	}
	if strings.Contains(body, "earlier") {
		t.Error("the earlier comment's text is still there")
	}
	t.Logf("1000-Model preview: %d comment(s), %d bytes", len(comments), len(body))
}
