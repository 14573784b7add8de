package engine_test

import (
	"context"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
)

// TestEngineLeavesRenderedObjectsAlone: rendered objects share subtrees
// (render interns equal maps and lists) and the render cache hands them to
// the next sync, so the engine must never write into them. Plan, apply
// (create, then no-op) and a dry-run apply must leave every rendered
// object as it was.
func TestEngineLeavesRenderedObjectsAlone(t *testing.T) {
	h := newHarness(t, engine.Options{})
	for _, ns := range []string{"istio-system", "istio-ingress"} {
		h.ensureNamespace(ns)
	}
	specs := testenv.ExampleSpecs(t, t.TempDir())
	env := specs.Env("staging")
	res, err := render.Render(context.Background(), os.DirFS(specs.Dir), env)
	if err != nil {
		t.Fatal(err)
	}
	before := make([]*unstructured.Unstructured, len(res.Objects))
	for i, o := range res.Objects {
		before[i] = o.DeepCopy()
	}
	// create, no-op, then a dry-run of the same plan
	for _, step := range []engine.ApplyOptions{{}, {}, {DryRun: true}} {
		p, err := h.engine.Plan(context.Background(), engine.PlanRequest{Environment: env, Objects: res.Objects,
			PlanOptions: engine.PlanOptions{Prune: true}, Diffs: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.engine.Apply(context.Background(), p, step); err != nil {
			t.Fatalf("apply %+v: %v", step, err)
		}
		for i, o := range res.Objects {
			if !equality.Semantic.DeepEqual(o.Object, before[i].Object) {
				t.Fatalf("apply %+v changed the rendered %s %s/%s", step, o.GetKind(), o.GetNamespace(), o.GetName())
			}
		}
	}
}
