package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

var priorityclasses = schema.GroupVersionResource{Group: "scheduling.k8s.io", Version: "v1", Resource: "priorityclasses"}

// forgeInventory appends lines to env's inventory ConfigMap, as someone who
// can write ConfigMaps in gitplane-system (or a buggy sync) could.
func (h *harness) forgeInventory(env string, lines ...string) {
	h.t.Helper()
	ctx := context.Background()
	cm := h.get(configmaps, engine.InventoryNamespace, engine.InventoryName(env))
	refs, _, _ := unstructured.NestedString(cm.Object, "data", "refs")
	refs += strings.Join(lines, "\n") + "\n"
	if err := unstructured.SetNestedField(cm.Object, refs, "data", "refs"); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.dyn.Resource(configmaps).Namespace(engine.InventoryNamespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		h.t.Fatalf("forging the inventory of %s: %v", env, err)
	}
}

func (h *harness) create(gvr schema.GroupVersionResource, o *unstructured.Unstructured, manager string) {
	h.t.Helper()
	if _, err := h.dyn.Resource(gvr).Namespace(o.GetNamespace()).Create(context.Background(), o, metav1.CreateOptions{FieldManager: manager}); err != nil {
		h.t.Fatalf("creating %s %s: %v", o.GetKind(), o.GetName(), err)
	}
}

func unlabelled(o *unstructured.Unstructured) *unstructured.Unstructured {
	o = o.DeepCopy()
	o.SetLabels(nil)
	return o
}

func priorityClass(name, env string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
		"metadata": map[string]any{"name": name, "labels": map[string]any{engine.LabelEnvironment: env}},
		"value":    int64(1000),
	}}
}

// TestPruneDeletesOnlyWhatTheEnvironmentOwns: prune checks the live object,
// not only the inventory. A forged inventory line for a Deployment gitplane
// never applied, or for another Environment's PriorityClass, deletes
// nothing, and the line is dropped.
func TestPruneDeletesOnlyWhatTheEnvironmentOwns(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env, other := testenv.UniqueName("own-a"), testenv.UniqueName("own-b")
	h.ensureNamespace(env + "-ns")
	h.ensureNamespace(env + "-sys") // stands for kube-system
	ours := []*unstructured.Unstructured{configMap(env+"-ns", "one", env, nil), configMap(env+"-ns", "two", env, nil)}
	h.sync(env, ours, engine.PlanOptions{Prune: true})
	h.sync(other, []*unstructured.Unstructured{priorityClass(other+"-critical", other)}, engine.PlanOptions{Prune: true})
	h.create(deployments, unlabelled(deployment(env+"-sys", "coredns", env, "v1", nil)), "kube-controller-manager")

	h.forgeInventory(env, "apps|v1|Deployment|"+env+"-sys|coredns", "scheduling.k8s.io|v1|PriorityClass||"+other+"-critical")
	p := h.sync(env, ours, engine.PlanOptions{Prune: true, ConfirmPrune: true})

	if !h.exists(deployments, env+"-sys", "coredns") {
		t.Error("prune deleted a Deployment gitplane never applied")
	}
	if !h.exists(priorityclasses, "", other+"-critical") {
		t.Error("prune of own-a deleted own-b's PriorityClass")
	}
	blocked := map[string]string{}
	for _, c := range p.Changes {
		if c.Guard == engine.GuardNotOwned {
			blocked[c.Ref.Name] = c.Reason
		}
	}
	if !strings.Contains(blocked["coredns"], "not labelled gitplane.dev/environment="+env) ||
		!strings.Contains(blocked[other+"-critical"], "belongs to Environment "+other) {
		t.Errorf("blocked deletions = %q", blocked)
	}
	if !p.PruneBlocked() {
		t.Error("PruneBlocked = false")
	}
	inv, err := h.engine.ReadInventory(context.Background(), env)
	if err != nil || inv.Len() != len(ours) {
		t.Errorf("inventory holds %v (err %v); the forged lines must be dropped", inv.Refs(), err)
	}
}

// TestFailedApplyIsNotRecorded: an object whose apply fails on a conflict
// with another server-side applier is not left in the inventory, so a later
// prune never deletes it.
func TestFailedApplyIsNotRecorded(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("own-c")
	ctx := context.Background()
	h.ensureNamespace(env + "-ns")
	theirs := unlabelled(configMap(env+"-ns", "helm-owned", env, map[string]any{"owner": "helm"}))
	if _, err := h.dyn.Resource(configmaps).Namespace(env+"-ns").Apply(ctx, "helm-owned", theirs, metav1.ApplyOptions{FieldManager: "helm", Force: true}); err != nil {
		t.Fatal(err)
	}
	keep := configMap(env+"-ns", "keep", env, nil)
	objs := []*unstructured.Unstructured{keep, configMap(env+"-ns", "helm-owned", env, map[string]any{"owner": "gitplane"})}
	p := h.plan(env, objs, engine.PlanOptions{Prune: true})
	_, err := h.engine.Apply(ctx, p, engine.ApplyOptions{})
	var ae *engine.ApplyError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), `managed by "helm"`) {
		t.Fatalf("apply err = %v, want the conflict with helm", err)
	}
	inv := h.inventory(env)
	if got := inv.Refs(); len(got) != 1 || got[0].Name != "keep" {
		t.Errorf("inventory = %v, want only keep: the failed object must not be recorded", got)
	}

	h.sync(env, []*unstructured.Unstructured{keep}, engine.PlanOptions{Prune: true, ConfirmPrune: true})
	if !h.exists(configmaps, env+"-ns", "helm-owned") {
		t.Error("prune deleted the object whose apply had failed")
	}
}

// TestPruneChecksAgainBeforeDeleting: an object the plan would delete that
// someone relabels before the apply is not deleted.
func TestPruneChecksAgainBeforeDeleting(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("own-d")
	ctx := context.Background()
	h.ensureNamespace(env + "-ns")
	objs := []*unstructured.Unstructured{configMap(env+"-ns", "a", env, nil), configMap(env+"-ns", "b", env, nil)}
	h.sync(env, objs, engine.PlanOptions{Prune: true})
	p := h.plan(env, objs[:1], engine.PlanOptions{Prune: true, ConfirmPrune: true})
	if s := p.Summary(); s.Delete != 1 {
		t.Fatalf("plan: %s, want b deleted", s)
	}
	b := h.get(configmaps, env+"-ns", "b")
	b.SetLabels(map[string]string{engine.LabelEnvironment: "someone-else"})
	if _, err := h.dyn.Resource(configmaps).Namespace(env+"-ns").Update(ctx, b, metav1.UpdateOptions{FieldManager: "kubectl-label"}); err != nil {
		t.Fatal(err)
	}
	out, err := h.engine.Apply(ctx, p, engine.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !h.exists(configmaps, env+"-ns", "b") {
		t.Error("prune deleted an object that changed hands after the plan")
	}
	if s := out.Summary(); s.Delete != 0 || s.Blocked != 1 {
		t.Errorf("applied: %s, want b blocked", s)
	}
}
