package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestSyncLifecycle walks one Environment through create, no-op, update and
// prune on the real API server, counting requests.
func TestSyncLifecycle(t *testing.T) {
	h := newHarness(t, engine.Options{})
	env := testenv.UniqueName("life")
	models := []model{{"alpha", "srv:v1"}, {"beta", "srv:v1"}, {"gamma", "srv:v1"}, {"delta", "srv:v1"}}

	// Create: everything is new.
	objs := rendered(t, specRepo(env, models...), env)
	p := h.plan(env, objs, engine.PlanOptions{Prune: true})
	if s := p.Summary(); s.Create != len(objs) || s.Configure+s.Delete+s.Unchanged != 0 {
		t.Fatalf("first plan: %s; want %d to create", s, len(objs))
	}
	h.sync(env, objs, engine.PlanOptions{Prune: true})
	if !h.exists(deployments, env+"-models", "alpha") {
		t.Fatal("Deployment alpha not created")
	}
	inv, err := h.engine.ReadInventory(context.Background(), env)
	if err != nil || inv.Len() != len(objs) {
		t.Fatalf("inventory holds %d refs (err %v), want %d", inv.Len(), err, len(objs))
	}
	rv := h.get(deployments, env+"-models", "alpha").GetResourceVersion()

	// No-op: nothing written, one LIST per kind plus the inventory read.
	h.count.reset()
	p = h.sync(env, rendered(t, specRepo(env, models...), env), engine.PlanOptions{Prune: true})
	if s := p.Summary(); s.Unchanged != len(objs) {
		t.Errorf("no-op plan: %s; changes: %v", s, changed(p))
	}
	if w := h.count.writes(); w != 0 {
		t.Errorf("no-op sync sent %d write requests, want 0 (%v)", w, h.count.methods)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.GroupVersionKind().String()] = true
	}
	if got, limit := h.count.total(), len(kinds)+1+4; got > limit {
		t.Errorf("no-op sync sent %d requests; want at most %d (a LIST per kind, the inventory, discovery)", got, limit)
	}
	if got := h.get(deployments, env+"-models", "alpha").GetResourceVersion(); got != rv {
		t.Errorf("no-op changed the Deployment's resourceVersion %s → %s", rv, got)
	}

	// Update: a new image touches only alpha's Deployment.
	models[0].image = "srv:v2"
	p = h.sync(env, rendered(t, specRepo(env, models...), env), engine.PlanOptions{Prune: true})
	if got := changed(p); !slices.Equal(got, []string{"apps/Deployment " + env + "-models/alpha configured"}) {
		t.Errorf("update changed %v, want only alpha's Deployment", got)
	}
	if img := containerImage(h.get(deployments, env+"-models", "alpha")); img != "srv:v2" {
		t.Errorf("image = %s, want srv:v2", img)
	}
	for _, c := range p.Changes {
		if c.Action == engine.ActionConfigure && !diffHas(c.Diff, '+', "image: srv:v2") {
			t.Errorf("diff of %s does not show the new image:\n%s", c.Ref, c.Diff)
		}
	}

	// Prune: delta left Git; its objects go, the others stay.
	objs = rendered(t, specRepo(env, models[:3]...), env)
	p = h.sync(env, objs, engine.PlanOptions{Prune: true})
	s := p.Summary()
	if s.Delete == 0 || s.Create+s.Configure != 0 {
		t.Errorf("prune plan: %s; changes %v", s, changed(p))
	}
	if h.exists(deployments, env+"-models", "delta") {
		t.Error("delta's Deployment survived the prune")
	}
	if !h.exists(deployments, env+"-models", "gamma") {
		t.Error("gamma's Deployment was deleted")
	}
	inv = h.inventory(env)
	if inv.Len() != len(objs) {
		t.Errorf("inventory holds %d refs after prune, want %d", inv.Len(), len(objs))
	}
}

func containerImage(d *unstructured.Unstructured) string {
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(cs) == 0 {
		return ""
	}
	img, _ := cs[0].(map[string]any)["image"].(string)
	return img
}

// TestInterruptedApplyConverges cuts an apply off after a few writes, as if
// the process were killed, and checks that the next run finishes the job
// with nothing lost or duplicated.
func TestInterruptedApplyConverges(t *testing.T) {
	h := newHarness(t, engine.Options{Concurrency: 1})
	env := testenv.UniqueName("cut")
	objs := rendered(t, specRepo(env, model{"one", "srv:v1"}, model{"two", "srv:v1"}), env)

	p := h.plan(env, objs, engine.PlanOptions{Prune: true})
	h.count.before = failAfter(6) // the inventory and five objects
	_, err := h.engine.Apply(context.Background(), p, engine.ApplyOptions{})
	h.count.before = nil
	if err == nil {
		t.Fatal("apply did not report the interruption")
	}
	inv, err := h.engine.ReadInventory(context.Background(), env)
	if err != nil || inv.Len() != len(objs) {
		t.Fatalf("inventory after the cut holds %d refs (err %v); it must list every object before applying, want %d", inv.Len(), err, len(objs))
	}

	p = h.sync(env, objs, engine.PlanOptions{Prune: true})
	s := p.Summary()
	if s.Create == 0 || s.Create == len(objs) || s.Create+s.Unchanged != len(objs) {
		t.Errorf("second run: %s; want the rest created and the first ones unchanged", s)
	}
	p = h.plan(env, objs, engine.PlanOptions{Prune: true})
	if p.HasChanges() {
		t.Errorf("not converged: %v", changed(p))
	}
}

// TestTransientErrorsAreRetried answers the first writes with 503 and 429.
func TestTransientErrorsAreRetried(t *testing.T) {
	h := newHarness(t, engine.Options{Backoff: fastBackoff(5)})
	env := testenv.UniqueName("flaky")
	objs := rendered(t, specRepo(env, model{"one", "srv:v1"}), env)
	h.count.before = failFirst(4, 503, 429)
	h.sync(env, objs, engine.PlanOptions{})
	h.count.before = nil
	if !h.exists(deployments, env+"-models", "one") {
		t.Fatal("Deployment not applied after transient errors")
	}

	// A server that keeps failing: a clear error after the retries.
	h2 := newHarness(t, engine.Options{Backoff: fastBackoff(3)})
	h2.count.before = failFirst(1000, 503)
	_, err := h2.engine.Plan(context.Background(), engine.PlanRequest{Environment: env, Objects: objs})
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 tries") {
		t.Errorf("err = %v, want it to give up after 3 tries", err)
	}
	var ae *engine.ApplyError
	if errors.As(err, &ae) {
		t.Errorf("an unreachable server is not an object error: %v", err)
	}
}
