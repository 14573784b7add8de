package engine

import (
	"context"
	"reflect"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestPlanIsWhatWasComputed: the plan Plan returns answers every question
// Reconcile left open (bodies to read, differences only the server can
// decide), and Apply returns its outcomes in a copy, leaving the plan it
// was given as it was.
func TestPlanIsWhatWasComputed(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.Config(t)
	e, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	env, ns := testenv.UniqueName("values"), testenv.UniqueName("values")
	nsObj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": ns, "labels": map[string]any{LabelEnvironment: env}}}}
	objs := func(c string) []*unstructured.Unstructured {
		out := []*unstructured.Unstructured{nsObj}
		for _, name := range []string{"a", "b", "c"} {
			data := map[string]any{"k": name}
			if name == "c" {
				data["k"] = c
			}
			o := cm(ns, name, data)
			o.SetLabels(map[string]string{LabelEnvironment: env})
			out = append(out, o)
		}
		return out
	}
	sync := func(objs []*unstructured.Unstructured) {
		t.Helper()
		p, err := e.Plan(ctx, PlanRequest{Environment: env, Objects: objs, PlanOptions: PlanOptions{Prune: true}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Apply(ctx, p, ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	sync(objs("c"))

	// b is edited in the cluster (drift: only the server can tell whether
	// the difference is real) and c in Git (the hash differs, so the
	// metadata-only list cannot decide and its body is read).
	dyn := dynamic.NewForConfigOrDie(cfg)
	cms := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	patch := `{"data":{"k":"edited"}}`
	if _, err := dyn.Resource(cms).Namespace(ns).Patch(ctx, "b", types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	for _, diffs := range []bool{false, true} {
		p, err := e.Plan(ctx, PlanRequest{Environment: env, Objects: objs("new"), PlanOptions: PlanOptions{Prune: true}, Diffs: diffs})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range p.Changes {
			if c.undecided || c.needsBody {
				t.Errorf("diffs %v: %s left open: undecided %v, needsBody %v", diffs, c.Ref, c.undecided, c.needsBody)
			}
			if c.Live != nil && c.Action != ActionUnchanged && c.Live.Object["data"] == nil {
				t.Errorf("diffs %v: %s decided on metadata only", diffs, c.Ref)
			}
			got[c.Ref.Name] = string(c.Action)
		}
		if want := map[string]string{ns: "unchanged", "a": "unchanged", "b": "configured", "c": "configured"}; !reflect.DeepEqual(got, want) {
			t.Errorf("diffs %v: actions %v, want %v", diffs, got, want)
		}

		before := slices.Clone(p.Changes)
		if p.Diffs != diffs {
			t.Errorf("plan made with Diffs %v records Diffs %v", diffs, p.Diffs)
		}
		out, err := e.Apply(ctx, p, ApplyOptions{DryRun: !diffs})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(before, p.Changes) {
			t.Errorf("diffs %v: Apply changed the plan it was given", diffs)
		}
		for _, c := range out.Changes {
			if diffs && c.Action == ActionConfigure && c.Diff == "" {
				t.Errorf("diffs %v: Apply's plan has no diff for %s", diffs, c.Ref)
			}
		}
	}
}
