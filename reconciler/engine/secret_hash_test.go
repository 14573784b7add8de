package engine_test

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestSecretHashHidesValues: the applied-hash annotation of a Secret is not
// the plain hash of its content and does not change with its values (anyone
// who can read metadata could test guesses of weak values against it), yet
// a value changed in Git is still applied, a no-op still writes nothing, and
// a value edited in the cluster is drift.
func TestSecretHashHidesValues(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("secret-hash")
	ns := env + "-ns"
	ctx := context.Background()
	h.ensureNamespace(ns)
	secret := func(value string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata":   map[string]any{"name": "api-key", "namespace": ns, "labels": map[string]any{engine.LabelEnvironment: env}},
			"stringData": map[string]any{"key": value},
		}}
	}
	v1, v2 := secret("hunter2"), secret("correct-horse")
	h.sync(env, []*unstructured.Unstructured{v1}, engine.PlanOptions{Prune: true})
	first := h.get(secrets, ns, "api-key").GetAnnotations()[engine.AnnotationAppliedHash]
	if first == "" || first == engine.StructuralHash(v1) {
		t.Errorf("applied-hash = %q: the plain hash of the Secret's content", first)
	}

	h.count.reset()
	if p := h.sync(env, []*unstructured.Unstructured{v1}, engine.PlanOptions{Prune: true}); p.HasChanges() || h.count.writes() != 0 {
		t.Errorf("no-op: %v, %d writes", changed(p), h.count.writes())
	}

	p := h.sync(env, []*unstructured.Unstructured{v2}, engine.PlanOptions{Prune: true})
	if got := changed(p); len(got) != 1 || got[0] != "Secret "+ns+"/api-key configured" || p.Changes[0].Drift {
		t.Errorf("value changed in Git: %v (drift %v), want the Secret configured, no drift", got, p.Changes[0].Drift)
	}
	live := h.get(secrets, ns, "api-key")
	if got := live.Object["data"].(map[string]any)["key"]; got != b64("correct-horse") {
		t.Errorf("live value = %v, want the new one", got)
	}
	if second := live.GetAnnotations()[engine.AnnotationAppliedHash]; second != first {
		t.Errorf("applied-hash changed with the value (%s → %s): it depends on it", first, second)
	}

	if err := unstructured.SetNestedField(live.Object, b64("edited"), "data", "key"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.dyn.Resource(secrets).Namespace(ns).Update(ctx, live, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	p = h.plan(env, []*unstructured.Unstructured{v2}, engine.PlanOptions{Prune: true})
	if got := changed(p); len(got) != 1 || !p.Changes[0].Drift {
		t.Errorf("value edited in the cluster: %v, want drift", got)
	}
}
