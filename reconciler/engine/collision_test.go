package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestRenderedObjectsMustNotCollideWithGitplanes: a second Environment that
// renders the first one's inventory ConfigMap (with one extra line), a Lease
// or anything in gitplane-system is rejected, every object at once, before
// any request is sent; the first Environment's next prune deletes nothing it
// does not own.
func TestRenderedObjectsMustNotCollideWithGitplanes(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env, attacker := testenv.UniqueName("coll-a"), testenv.UniqueName("coll-b")
	ctx := context.Background()
	h.ensureNamespace(env + "-ns")
	h.ensureNamespace(env + "-sys")
	ours := []*unstructured.Unstructured{configMap(env+"-ns", "one", env, nil)}
	h.sync(env, ours, engine.PlanOptions{Prune: true})
	h.create(deployments, unlabelled(deployment(env+"-sys", "victim", env, "v1", nil)), "kube-controller-manager")

	stored := h.get(configmaps, engine.InventoryNamespace, engine.InventoryName(env))
	refs, _, _ := unstructured.NestedString(stored.Object, "data", "refs")
	forged := configMap(engine.InventoryNamespace, engine.InventoryName(env), attacker,
		map[string]any{"refs": refs + "apps|v1|Deployment|" + env + "-sys|victim\n"})
	forged.SetAnnotations(map[string]string{"gitplane.dev/source": "overlays/coll-b/inventory.yaml"})
	lease := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
		"metadata": map[string]any{"name": engine.LeaseName(env), "namespace": env + "-ns"}}}
	pod := configMap(engine.InventoryNamespace, "settings", attacker, nil)

	h.count.reset()
	_, err := h.engine.Plan(ctx, engine.PlanRequest{Environment: attacker, Objects: []*unstructured.Unstructured{forged, lease, pod}, PlanOptions: engine.PlanOptions{Prune: true}})
	if n := h.count.total(); n != 0 {
		t.Errorf("the plan sent %d requests; a collision must stop it before it talks to the cluster", n)
	}
	for _, want := range []string{
		"3 rendered object(s) collide with gitplane's own objects",
		"overlays/coll-b/inventory.yaml: ConfigMap gitplane-system/gitplane-inventory-" + env + ": ",
		"coordination.k8s.io/Lease " + env + "-ns/gitplane-sync-" + env + ": Leases are locks",
		"ConfigMap gitplane-system/settings: namespace gitplane-system holds",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("plan err = %v, want it to contain %q", err, want)
		}
	}
	var re *engine.ReservedError
	if !errors.As(err, &re) {
		t.Errorf("err is %T, want *ReservedError", err)
	}
	if got := h.get(configmaps, engine.InventoryNamespace, engine.InventoryName(env)); got.GetResourceVersion() != stored.GetResourceVersion() {
		t.Error("the inventory of coll-a was written")
	}
	h.sync(env, ours, engine.PlanOptions{Prune: true, ConfirmPrune: true})
	if !h.exists(deployments, env+"-sys", "victim") {
		t.Error("coll-a's prune deleted a Deployment it never applied")
	}
}

// TestAnotherEnvironmentsObjectIsRejected: an object labelled for another
// Environment, or recorded in its inventory with its label removed, is an
// error of the plan, and Apply refuses the plan before writing anything.
func TestAnotherEnvironmentsObjectIsRejected(t *testing.T) {
	h := newHarness(t, engine.Options{})
	owner, intruder := testenv.UniqueName("coll-c"), testenv.UniqueName("coll-d")
	ctx := context.Background()
	h.ensureNamespace(owner + "-ns")
	h.sync(owner, []*unstructured.Unstructured{configMap(owner+"-ns", "labelled", owner, nil), configMap(owner+"-ns", "stripped", owner, nil)}, engine.PlanOptions{})
	stripped := h.get(configmaps, owner+"-ns", "stripped")
	stripped.SetLabels(nil)
	if _, err := h.dyn.Resource(configmaps).Namespace(owner+"-ns").Update(ctx, stripped, metav1.UpdateOptions{FieldManager: "kubectl-label"}); err != nil {
		t.Fatal(err)
	}

	objs := []*unstructured.Unstructured{
		configMap(owner+"-ns", "labelled", intruder, map[string]any{"k": "intruder"}),
		configMap(owner+"-ns", "stripped", intruder, map[string]any{"k": "intruder"}),
		configMap(owner+"-ns", "new", intruder, nil),
	}
	p := h.plan(intruder, objs, engine.PlanOptions{})
	errs := map[string]string{}
	for _, c := range p.Errors() {
		errs[c.Ref.Name] = c.Error
	}
	if !strings.Contains(errs["labelled"], "ConfigMap "+owner+"-ns/labelled: owned by Environment "+owner+" (labelled gitplane.dev/environment="+owner+")") ||
		!strings.Contains(errs["stripped"], "owned by Environment "+owner+" (recorded in its inventory)") || len(errs) != 2 {
		t.Errorf("plan errors = %q", errs)
	}
	h.count.reset()
	_, err := h.engine.Apply(ctx, p, engine.ApplyOptions{})
	var fe *engine.ForeignError
	if !errors.As(err, &fe) || len(fe.Objects) != 2 {
		t.Fatalf("apply err = %v, want a *ForeignError for 2 objects", err)
	}
	if w := h.count.writes(); w != 0 {
		t.Errorf("apply of a rejected plan sent %d writes", w)
	}
	if got := h.get(configmaps, owner+"-ns", "labelled").GetLabels()[engine.LabelEnvironment]; got != owner {
		t.Errorf("the object is now labelled for %q", got)
	}
	if h.exists(configmaps, owner+"-ns", "new") {
		t.Error("apply of a rejected plan created an object")
	}
}

// TestExistingObjectIsTakenOver: an object that exists without being
// managed by any Environment is shown as taken over, not created, with who
// manages it; apply takes it and the next plan is a no-op.
func TestExistingObjectIsTakenOver(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("coll-e")
	h.ensureNamespace(env + "-ns")
	h.create(configmaps, unlabelled(configMap(env+"-ns", "by-hand", env, map[string]any{"k": "old"})), "kubectl-create")
	objs := []*unstructured.Unstructured{configMap(env+"-ns", "by-hand", env, map[string]any{"k": "new"}), configMap(env+"-ns", "fresh", env, nil)}

	p := h.plan(env, objs, engine.PlanOptions{Prune: true})
	if got := actions(p); got["ConfigMap by-hand"] != engine.ActionTakeOver || got["ConfigMap fresh"] != engine.ActionCreate {
		t.Fatalf("actions = %v, want by-hand taken over and fresh created", got)
	}
	var c engine.Change
	for _, ch := range p.Changes {
		if ch.Ref.Name == "by-hand" {
			c = ch
		}
	}
	if !slices.Contains(c.Risks, engine.TakeOverRisk+" (its fields are managed by kubectl-create)") {
		t.Errorf("take-over risks = %q, want it to name kubectl-create", c.Risks)
	}
	for _, want := range []string{"-  k: old", "+  k: new"} {
		if !strings.Contains(c.Diff, want) {
			t.Errorf("take-over diff lacks %q:\n%s", want, c.Diff)
		}
	}
	if got := p.Summary().String(); got != "1 to create, 1 to take over, 0 to update, 0 to delete, 0 unchanged" {
		t.Errorf("summary = %q", got)
	}
	out, err := h.engine.Apply(context.Background(), p, engine.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Summary().Past(); got != "1 created, 1 taken over, 0 updated, 0 deleted, 0 unchanged" {
		t.Errorf("applied: %s", got)
	}
	live := h.get(configmaps, env+"-ns", "by-hand")
	if live.GetLabels()[engine.LabelEnvironment] != env || live.Object["data"].(map[string]any)["k"] != "new" {
		t.Errorf("taken-over object: labels %v, data %v", live.GetLabels(), live.Object["data"])
	}
	if p := h.plan(env, objs, engine.PlanOptions{Prune: true}); p.HasChanges() {
		t.Errorf("not converged after the take-over: %v", changed(p))
	}
}
