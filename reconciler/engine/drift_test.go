package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestDriftIsRevertedAndForeignFieldsKept edits an applied Deployment the way
// people and controllers do: kubectl edit changes the image (a field
// gitplane owns), the HPA scales replicas (a field gitplane never sets).
// diff shows the image drift; apply takes it back and leaves replicas alone.
func TestDriftIsRevertedAndForeignFieldsKept(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("drift")
	objs := rendered(t, specRepo(env, model{"llm", "srv:v1"}), env)
	h.sync(env, objs, engine.PlanOptions{})

	ctx := context.Background()
	ns := env + "-models"
	patch := func(manager string, pt types.PatchType, body string) {
		t.Helper()
		if _, err := h.dyn.Resource(deployments).Namespace(ns).Patch(ctx, "llm", pt, []byte(body), metav1.PatchOptions{FieldManager: manager}); err != nil {
			t.Fatalf("%s: %v", manager, err)
		}
	}
	patch("kubectl-edit", types.JSONPatchType, `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"evil:latest"}]`)
	patch("kube-controller-manager", types.MergePatchType, `{"spec":{"replicas":3}}`)

	p := h.plan(env, objs, engine.PlanOptions{})
	var drift *engine.Change
	for i, c := range p.Changes {
		if c.Action != engine.ActionUnchanged {
			if drift != nil {
				t.Fatalf("more than one change: %v", changed(p))
			}
			drift = &p.Changes[i]
		}
	}
	if drift == nil || drift.Ref.Kind != "Deployment" || !drift.Drift {
		t.Fatalf("plan does not show the Deployment's drift: %v", changed(p))
	}
	if !diffHas(drift.Diff, '-', "image: evil:latest") || !diffHas(drift.Diff, '+', "image: srv:v1") {
		t.Errorf("diff does not show the image going back:\n%s", drift.Diff)
	}
	if diffHas(drift.Diff, '-', "replicas:") || diffHas(drift.Diff, '+', "replicas:") {
		t.Errorf("diff touches the HPA's replicas:\n%s", drift.Diff)
	}

	if _, err := h.engine.Apply(ctx, p, engine.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	d := h.get(deployments, ns, "llm")
	if img := containerImage(d); img != "srv:v1" {
		t.Errorf("image = %s after apply, want srv:v1", img)
	}
	if r, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); r != 3 {
		t.Errorf("replicas = %d after apply, want the HPA's 3", r)
	}
	if p := h.plan(env, objs, engine.PlanOptions{}); p.HasChanges() {
		t.Errorf("not converged after reverting drift: %v", changed(p))
	}
}

// TestConflictWithAnotherApplier: a field another server-side applier owns
// is a conflict, reported with the manager and field; ForceConflicts
// takes it.
func TestConflictWithAnotherApplier(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("conflict")
	h.ensureNamespace(env + "-ns")
	objs := []*unstructured.Unstructured{configMap(env+"-ns", "shared", env, map[string]any{"owner": "gitplane"})}
	h.sync(env, objs, engine.PlanOptions{})

	theirs := configMap(env+"-ns", "shared", env, map[string]any{"owner": "other"})
	if _, err := h.dyn.Resource(configmaps).Namespace(env+"-ns").Apply(context.Background(), "shared", theirs,
		metav1.ApplyOptions{FieldManager: "other-gitops", Force: true}); err != nil {
		t.Fatal(err)
	}

	want := []engine.FieldConflict{{Manager: "other-gitops", Field: ".data.owner"}}
	p := h.plan(env, objs, engine.PlanOptions{})
	if errs := p.Errors(); len(errs) != 1 || !slices.Equal(errs[0].Conflicts, want) ||
		!strings.Contains(errs[0].Error, `.data.owner is managed by "other-gitops"`) {
		t.Errorf("plan errors = %+v, want the conflict with other-gitops on .data.owner", errs)
	}
	_, err := h.engine.Apply(context.Background(), p, engine.ApplyOptions{})
	var ae *engine.ApplyError
	if !errors.As(err, &ae) || len(ae.Failed) != 1 || !slices.Equal(ae.Failed[0].Conflicts, want) ||
		ae.Failed[0].Error != "ConfigMap "+env+`-ns/shared: conflict with another field manager: .data.owner is managed by "other-gitops"` {
		t.Fatalf("apply err = %v, want a conflict naming manager and field, and nothing else", err)
	}
	if v := h.get(configmaps, env+"-ns", "shared").Object["data"].(map[string]any)["owner"]; v != "other" {
		t.Errorf("conflicting apply changed the value to %v", v)
	}

	p, err = h.engine.Plan(context.Background(), engine.PlanRequest{Environment: env, Objects: objs, PlanOptions: engine.PlanOptions{ForceConflicts: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.engine.Apply(context.Background(), p, engine.ApplyOptions{}); err != nil {
		t.Fatalf("apply with ForceConflicts: %v", err)
	}
	if v := h.get(configmaps, env+"-ns", "shared").Object["data"].(map[string]any)["owner"]; v != "gitplane" {
		t.Errorf("ForceConflicts left the value at %v", v)
	}
}

// TestImmutableFieldChange changes a Deployment's selector: without opt-in
// apply fails naming the field; with gitplane.dev/force the Deployment is
// deleted and recreated.
func TestImmutableFieldChange(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("immutable")
	h.ensureNamespace(env + "-ns")
	ctx := context.Background()
	h.sync(env, []*unstructured.Unstructured{deployment(env+"-ns", "web", env, "v1", nil)}, engine.PlanOptions{})
	uid := h.get(deployments, env+"-ns", "web").GetUID()

	changedSelector := []*unstructured.Unstructured{deployment(env+"-ns", "web", env, "v2", nil)}
	p := h.plan(env, changedSelector, engine.PlanOptions{})
	c := p.Changes[0]
	if c.Action != engine.ActionConfigure || len(c.Immutable) == 0 || c.Immutable[0] != "spec.selector" || c.Recreate {
		t.Errorf("plan: %s immutable=%v recreate=%v; want configured, immutable spec.selector, no recreate", c.Action, c.Immutable, c.Recreate)
	}
	_, err := h.engine.Apply(ctx, p, engine.ApplyOptions{})
	var ae *engine.ApplyError
	if !errors.As(err, &ae) || len(ae.Failed) != 1 || !slices.Equal(ae.Failed[0].Immutable, []string{"spec.selector"}) ||
		ae.Failed[0].Error != "apps/Deployment "+env+"-ns/web: field(s) spec.selector cannot change in place" {
		t.Fatalf("apply err = %v, want it to name spec.selector, and nothing else", err)
	}
	if got := h.get(deployments, env+"-ns", "web").GetUID(); got != uid {
		t.Fatal("Deployment was recreated without opt-in")
	}

	forced := []*unstructured.Unstructured{deployment(env+"-ns", "web", env, "v2", map[string]any{engine.AnnotationForce: "true"})}
	p = h.plan(env, forced, engine.PlanOptions{})
	if !p.Changes[0].Recreate {
		t.Errorf("plan does not say the opted-in Deployment will be recreated: %+v", p.Changes[0])
	}
	if _, err := h.engine.Apply(ctx, p, engine.ApplyOptions{}); err != nil {
		t.Fatalf("apply with gitplane.dev/force: %v", err)
	}
	d := h.get(deployments, env+"-ns", "web")
	if d.GetUID() == uid {
		t.Error("Deployment was not recreated")
	}
	if sel, _, _ := unstructured.NestedString(d.Object, "spec", "selector", "matchLabels", "version"); sel != "v2" {
		t.Errorf("selector version = %q, want v2", sel)
	}
}

func configMap(ns, name, env string, data map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{engine.LabelEnvironment: env}},
		"data":     data,
	}}
}

func deployment(ns, name, env, version string, annotations map[string]any) *unstructured.Unstructured {
	labels := map[string]any{"app": name, "version": version}
	meta := map[string]any{"name": name, "namespace": ns, "labels": map[string]any{engine.LabelEnvironment: env}}
	if annotations != nil {
		meta["annotations"] = annotations
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "web", "image": "web:" + version}}},
			},
		},
	}}
}
