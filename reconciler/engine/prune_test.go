package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestPruneGuards removes objects from the render and checks what the guards
// keep: annotated objects, a Namespace still holding someone else's objects,
// everything on an empty render, and large prunes without confirmation.
func TestPruneGuards(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("guards")
	ctx := context.Background()
	h.ensureNamespace(env + "-keep")
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": env + "-shared", "labels": map[string]any{engine.LabelEnvironment: env}}}}
	kept := configMap(env+"-keep", "kept", env, map[string]any{"k": "v"})
	kept.SetAnnotations(map[string]string{engine.AnnotationPrune: "disabled"})
	var base []*unstructured.Unstructured
	for i := range 10 {
		base = append(base, configMap(env+"-keep", fmt.Sprintf("cm-%d", i), env, map[string]any{"k": "v"}))
	}
	all := append([]*unstructured.Unstructured{ns, kept, configMap(env+"-shared", "ours", env, nil)}, base...)
	h.sync(env, all, engine.PlanOptions{Prune: true})
	// Someone else keeps a ConfigMap in the shared namespace.
	if _, err := h.dyn.Resource(configmaps).Namespace(env+"-shared").Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "theirs"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("empty render never prunes", func(t *testing.T) {
		h.count.reset()
		p := h.sync(env, nil, engine.PlanOptions{Prune: true, ConfirmPrune: true})
		if s := p.Summary(); s.Delete != 0 || s.Blocked != len(all) {
			t.Errorf("empty render: %s", s)
		}
		if w := h.count.writes(); w != 0 {
			t.Errorf("blocked prune sent %d writes", w)
		}
	})

	t.Run("more than a quarter needs confirmation", func(t *testing.T) {
		p := h.sync(env, base[:5], engine.PlanOptions{Prune: true})
		if s, g := p.Summary(), p.PruneGuard; s.Delete != 0 || g == nil || g.Guard != engine.GuardPruneShare || g.Allow != engine.AllowLargePrune {
			t.Errorf("large prune: %s, prune guard %+v; want it held back until AllowLargePrune", s, g)
		}
		if !h.exists(configmaps, env+"-keep", "cm-9") {
			t.Error("unconfirmed prune deleted cm-9")
		}
	})

	t.Run("annotation and foreign objects keep objects", func(t *testing.T) {
		p := h.sync(env, base, engine.PlanOptions{Prune: true, ConfirmPrune: true})
		blocked := map[string]string{}
		for _, c := range p.Changes {
			if c.Blocked() {
				blocked[c.Ref.Name] = c.Reason
			}
		}
		if !strings.Contains(blocked["kept"], "gitplane.dev/prune: disabled") {
			t.Errorf("kept: blocked = %q", blocked["kept"])
		}
		if !strings.Contains(blocked[env+"-shared"], "objects gitplane does not own: configmaps/theirs") {
			t.Errorf("namespace: blocked = %q", blocked[env+"-shared"])
		}
		if h.exists(configmaps, env+"-shared", "ours") {
			t.Error("gitplane's own ConfigMap in the shared namespace was not pruned")
		}
		if !h.exists(configmaps, env+"-keep", "kept") || !h.exists(namespaces, "", env+"-shared") {
			t.Error("a guarded object was deleted")
		}
		inv := h.inventory(env)
		if want := len(base) + 2; inv.Len() != want {
			t.Errorf("inventory holds %d refs; want the %d rendered plus the 2 kept", inv.Len(), want)
		}
	})

	t.Run("objects outside the inventory are never deleted", func(t *testing.T) {
		stranger := configMap(env+"-keep", "stranger", env, map[string]any{"k": "v"})
		if _, err := h.dyn.Resource(configmaps).Namespace(env+"-keep").Create(ctx, stranger, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		h.sync(env, base, engine.PlanOptions{Prune: true, ConfirmPrune: true})
		if !h.exists(configmaps, env+"-keep", "stranger") {
			t.Error("prune deleted an object gitplane never applied")
		}
	})
}

// TestSecretValuesNeverPrinted applies a Secret, changes it, and checks the
// plan's diff, error and JSON form (the CLI's tests check its printing).
func TestSecretValuesNeverPrinted(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("secrets")
	h.ensureNamespace(env + "-ns")
	secret := func(value string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata":   map[string]any{"name": "api-keys", "namespace": env + "-ns", "labels": map[string]any{engine.LabelEnvironment: env}},
			"stringData": map[string]any{"key": value},
		}}
	}
	h.sync(env, []*unstructured.Unstructured{secret("first-secret-value")}, engine.PlanOptions{})
	p := h.plan(env, []*unstructured.Unstructured{secret("second-secret-value")}, engine.PlanOptions{})
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Changes[0]
	for _, out := range []string{c.Diff, c.Error, string(js)} {
		for _, v := range []string{"first-secret-value", "second-secret-value", b64("first-secret-value"), b64("second-secret-value")} {
			if strings.Contains(out, v) {
				t.Errorf("the plan shows %q:\n%s", v, out)
			}
		}
	}
	if !strings.Contains(c.Diff, engine.RedactedChanged) {
		t.Errorf("diff does not say the value changed:\n%s", c.Diff)
	}
}
