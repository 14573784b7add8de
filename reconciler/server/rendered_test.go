package server_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/preview"
	"github.com/gitplane/gitplane/reconciler/server"
	"github.com/gitplane/gitplane/reconciler/source"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// TestRenderedObjectsStayAsRendered guards the shared subtrees of rendered
// objects: render interns equal maps and lists and its cache hands the
// same objects to every later sync, so nothing after render may write into
// them. The objects serve rendered are deep-copied; then plan, a dry-run
// and a real apply, a preview against the cluster and another serve sync
// run on them, and every object must still equal its copy.
func TestRenderedObjectsStayAsRendered(t *testing.T) {
	g := newGitRepo(t)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true})
	head := g.git(g.work, "rev-parse", "HEAD")
	l.waitSynced(head)
	ctx := context.Background()
	repo, err := source.OpenLocal(g.work)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := repo.Tree(head)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := schema.Load(tree)
	if err != nil {
		t.Fatal(err)
	}
	r := server.RendererOf(l.srv)
	res, err := r.Render(ctx, specs, tree, g.env) // from the cache: what the sync applied
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := render.NewRenderer().Render(ctx, specs, tree, g.env)
	if err != nil {
		t.Fatal(err)
	}
	unchanged(t, "the first serve sync", res.Objects, fresh.Objects)
	before := make([]*unstructured.Unstructured, len(res.Objects))
	for i, o := range res.Objects {
		before[i] = o.DeepCopy()
	}

	eng, err := engine.New(testenv.Config(t), engine.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	req := engine.PlanRequest{Environment: g.env, Objects: res.Objects, PlanOptions: engine.PlanOptions{Prune: true}, Diffs: true}
	for _, dryRun := range []bool{true, false} {
		p, err := eng.Plan(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Apply(ctx, p, engine.ApplyOptions{DryRun: dryRun}); err != nil {
			t.Fatalf("apply (dry-run %v): %v", dryRun, err)
		}
		unchanged(t, "plan and apply", res.Objects, before)
	}

	if _, err := preview.Environment(ctx, preview.Input{Env: g.env, Base: tree, Head: tree, HeadSHA: head,
		Engines: engine.Fixed(eng), PlanOptions: engine.PlanOptions{Prune: true}, Renderer: r}); err != nil {
		t.Fatal(err)
	}
	unchanged(t, "a preview", res.Objects, before)

	g.edit("models/whisper.yaml", "image: ", "image: x") // another unit; the rest comes from the cache
	next := g.commit("whisper: another image")
	l.deliver("push", "next", pushPayload(next), secret)
	l.waitStatus(next, 60*time.Second)
	unchanged(t, "a second serve sync", res.Objects, before)
}

// unchanged fails the test for every object of got that differs from want.
func unchanged(t *testing.T, after string, got, want []*unstructured.Unstructured) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("after %s: %d objects, want %d", after, len(got), len(want))
	}
	for i := range got {
		if !equality.Semantic.DeepEqual(got[i].Object, want[i].Object) {
			t.Errorf("after %s the rendered %s %s/%s changed", after, got[i].GetKind(), got[i].GetNamespace(), got[i].GetName())
		}
	}
}
