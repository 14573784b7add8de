package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/github/githubtest"
	"github.com/gitplane/gitplane/reconciler/server"
	"github.com/gitplane/gitplane/reconciler/source"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/reconciler/webhook"
	"github.com/gitplane/gitplane/schema"
)

// previewRig is a GitHubPreviewer on a real clone of g and a fake GitHub,
// without the loop around it.
type previewRig struct {
	p      *server.GitHubPreviewer
	github *githubtest.Server
}

func newPreviewRig(t *testing.T, g *gitRepo, engines engine.Factory) *previewRig {
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
	return &previewRig{github: fake, p: &server.GitHubPreviewer{Source: src, Engines: engines, GitHub: gh,
		WebURL: "https://github.com/acme/specs", StatusURL: "https://gitplane.example.com/status",
		Environments: []string{g.env}, PlanOptions: engine.PlanOptions{Prune: true}, Logger: discard}}
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
	writeModels(t, g.work, 1000, g.env, g.ns("bench"))
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
		"| [" + g.env + "](#" + g.env + ") | ✅ ready |", "`" + g.ns("bench") + "/m-0000`",
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

// TestPreviewPlansOnlyDefaultBranchClusters: a pull request is planned against a cluster only when an
// Environment on the default branch names it, and with that Environment; a
// pull request that points staging at another cluster is previewed offline
// and the comment says why; a cluster that cannot be reached is an error
// status, not a dropped preview.
func TestPreviewPlansOnlyDefaultBranchClusters(t *testing.T) {
	g := newGitRepo(t)
	eng, err := engine.New(testenv.Config(t), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rig := newPreviewRig(t, g, nil)
	var asked []string
	var unreachable bool
	rig.p.Engines = engineFunc(func(_ context.Context, env *schema.Environment) (*engine.Engine, error) {
		asked = append(asked, env.Metadata.Name+"@"+env.Spec.Cluster.Name+":"+env.Source.File)
		if unreachable {
			return nil, errors.New("dial tcp: connection refused")
		}
		return eng, nil
	})
	g.git(g.work, "checkout", "-q", "-b", "feature")

	g.edit("models/llama.yaml", "vllm-openai:v0.6.3", "vllm-openai:v0.7.0")
	head := g.commitTo("llama: v0.7.0", "refs/pull/21/head")
	if err := rig.preview(t, 21, head); err != nil {
		t.Fatal(err)
	}
	// the Engine of main's Environment on the cluster (both examples name
	// the test cluster)
	if len(asked) != 1 || !strings.Contains(asked[0], "@"+testenv.Cluster.Name+":environments/") {
		t.Errorf("Engines asked for %q, want once, for the test cluster as main names it", asked)
	}
	if body := rig.github.Comments(21)[0].Body; !strings.Contains(body, "planned against the live cluster") {
		t.Errorf("a change on main's cluster was not planned against it:\n%.600s", body)
	}

	asked = nil
	g.edit("environments/staging.yaml", "name: "+testenv.Cluster.Name+"\n", "name: someone-elses-cluster\n")
	moved := g.commitTo("staging on another cluster", "refs/pull/21/head")
	if err := rig.preview(t, 21, moved); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 0 {
		t.Errorf("Engines asked for %q: a pull request chose the cluster", asked)
	}
	body := rig.github.Comments(21)[0].Body
	for _, want := range []string{"offline: the head's render compared with the base's",
		"previewed offline, not against a cluster: this change names cluster someone-elses-cluster (" + testenv.Cluster.Region + ", account 111122223333) for " + g.env + ", which no Environment on main names"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%.1500s", want, body)
		}
	}

	unreachable = true
	g.git(g.work, "push", "-q", "-f", "origin", head+":refs/pull/22/head")
	if err := rig.preview(t, 22, head); err == nil {
		t.Error("an unreachable cluster is no error of serve's")
	}
	sts := rig.github.Statuses(head)
	if last := sts[len(sts)-1]; last.State != "error" || !strings.Contains(last.Description, g.env+": not previewed: gitplane cannot connect to the cluster of staging") {
		t.Errorf("status with the cluster unreachable = %+v", last)
	}
	if body := rig.github.Comments(22)[0].Body; !strings.Contains(body, "connection refused") {
		t.Errorf("the comment does not say the cluster is unreachable:\n%.600s", body)
	}
}
