package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// takeImage server-side applies another image to the llama Deployment as
// field manager "other-gitops", which then owns the field.
func takeImage(t *testing.T, g *gitRepo, image string) {
	t.Helper()
	dyn := dynamic.NewForConfigOrDie(testenv.Config(t))
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "llama-3-8b", "namespace": g.ns("models")},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "server", "image": image}},
		}}},
	}}
	gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	if _, err := dyn.Resource(gvr).Namespace(g.ns("models")).Apply(context.Background(), "llama-3-8b", obj,
		metav1.ApplyOptions{FieldManager: "other-gitops", Force: true}); err != nil {
		t.Fatal(err)
	}
}

// TestForceConflictsTakesFields: a field another server-side applier owns
// fails the preview and the sync with how to take it over in Git (an
// Environment annotation naming the commit); a commit on top carrying it
// converges, and gitplane owns the field again.
func TestForceConflictsTakesFields(t *testing.T) {
	g := newGitRepo(t)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true, preview: true})
	first := g.git(g.work, "rev-parse", "HEAD")
	l.waitSynced(first)
	takeImage(t, g, "vllm/vllm-openai:v0.6.3-theirs")

	g.git(g.work, "checkout", "-q", "-b", "feature")
	g.edit("models/llama.yaml", "vllm-openai:v0.6.3", "vllm-openai:v0.7.0")
	head := g.commitTo("llama: v0.7.0", "refs/pull/10/head")
	l.deliver("pull_request", "pr10-opened", prPayload("opened", 10, head), secret)
	body, st := l.previewOf(10, head)
	inComment := fmt.Sprintf(`to take the fields over, annotate the Environment gitplane.dev/force-conflicts: %q in this change`, first[:7])
	if st.State != "failure" || !strings.Contains(body, inComment) || !strings.Contains(body, `is managed by "other-gitops"`) {
		t.Errorf("preview of a change to a field other-gitops owns: status %+v; want a failure, and the comment to name the owner and say %q:\n%s", st, inComment, body)
	}
	speaksGit(t, "the preview comment", body)

	g.git(g.work, "checkout", "-q", "main")
	g.git(g.work, "merge", "-q", "--ff-only", "feature")
	g.git(g.work, "push", "-q", "origin", "HEAD:main")
	final := l.pushed(head)
	want := fmt.Sprintf(`apps/Deployment `+g.ns("models")+`/llama-3-8b: conflict (to take over, annotate the Environment gitplane.dev/force-conflicts: %q): .spec.template.spec.containers[name="server"].image is managed by "other-gitops"`, head[:7])
	var board struct {
		Environments []struct{ Message string } `json:"environments"`
	}
	getJSON(t, l.http.URL+"/status?format=json", &board)
	if final.State != "failure" || final.Description != github.Truncate(g.env+": "+want, github.MaxDescription) || len(board.Environments) != 1 || board.Environments[0].Message != want {
		t.Errorf("sync of the conflicting change: status %+v, /status %+v; want a failure saying %q", final, board.Environments, want)
	}
	speaksGit(t, "the conflict status", final.Description)
	if img := l.image(g.ns("models"), "llama-3-8b"); img != "vllm/vllm-openai:v0.6.3-theirs" {
		t.Errorf("the conflicting sync changed the image to %s", img)
	}

	g.edit("environments/staging.yaml", "  name: "+g.env+"\n", fmt.Sprintf("  name: "+g.env+"\n  annotations:\n    gitplane.dev/force-conflicts: %q\n", head[:7]))
	if _, st := l.push(g, "take the image over"); st.State != "success" {
		t.Errorf("sync with the take-over confirmed: %+v", st)
	}
	if img := l.image(g.ns("models"), "llama-3-8b"); img != "vllm/vllm-openai:v0.7.0" {
		t.Errorf("image after the take-over = %s, want Git's v0.7.0", img)
	}
}

// TestForcedImmutableChangeConverges: a Model annotated gitplane.dev/force
// whose Deployment's selector changes (an immutable field) is previewed
// as recreated and, merged, is deleted and recreated by serve.
func TestForcedImmutableChangeConverges(t *testing.T) {
	g := newGitRepo(t)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true, preview: true})
	first := g.git(g.work, "rev-parse", "HEAD")
	l.waitSynced(first)
	before, err := l.cs.AppsV1().Deployments(g.ns("models")).Get(context.Background(), "llama-3-8b", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // the next test's examples have the old selector: let its sync create the Deployment
		_ = l.cs.AppsV1().Deployments(g.ns("models")).Delete(context.Background(), "llama-3-8b", metav1.DeleteOptions{})
	})

	g.git(g.work, "checkout", "-q", "-b", "feature")
	g.edit("models/llama.yaml", "  name: llama-3-8b\n", "  name: llama-3-8b\n  annotations: {gitplane.dev/force: \"true\"}\n")
	g.edit("environments/staging.yaml", "  git:\n", "  overlay: overlays/staging\n  git:\n")
	writeFile(t, filepath.Join(g.work, "overlays", "staging", "kustomization.yaml"), `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
patches:
- target: {kind: Deployment, name: llama-3-8b}
  patch: |-
    - op: add
      path: /spec/selector/matchLabels/track
      value: stable
    - op: add
      path: /spec/template/metadata/labels/track
      value: stable
`)
	head := g.commitTo("llama: a new selector, recreated", "refs/pull/11/head")
	l.deliver("pull_request", "pr11-opened", prPayload("opened", 11, head), secret)
	body, st := l.previewOf(11, head)
	if st.State != "success" || !strings.Contains(body, "the object will be deleted and recreated") {
		t.Errorf("preview of the forced selector change: status %+v; want a success and the comment to say the Deployment is recreated:\n%s", st, body)
	}

	g.git(g.work, "checkout", "-q", "main")
	g.git(g.work, "merge", "-q", "--no-ff", "-m", "Merge pull request #11", "feature")
	g.git(g.work, "push", "-q", "origin", "HEAD:main")
	merge := g.git(g.work, "rev-parse", "HEAD")
	if final := l.pushed(merge); final.State != "success" {
		t.Fatalf("sync of the merged, forced selector change: %+v", final)
	}
	after, err := l.cs.AppsV1().Deployments(g.ns("models")).Get(context.Background(), "llama-3-8b", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.UID == before.UID || after.Spec.Selector.MatchLabels["track"] != "stable" {
		t.Errorf("Deployment after the merge: uid %s (was %s), selector %v; want it recreated with track=stable", after.UID, before.UID, after.Spec.Selector.MatchLabels)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
