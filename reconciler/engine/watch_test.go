package engine_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// TestWatchedPlans: with Options.Watch the live state comes from watches,
// so a no-op sync reads only the inventory, and a change made in the
// cluster still shows up as drift.
func TestWatchedPlans(t *testing.T) {
	h := newHarness(t, engine.Options{})
	counted := rest.CopyConfig(h.cfg)
	counted.Wrap(func(rt http.RoundTripper) http.RoundTripper { h.count.next = rt; return h.count })
	eng, err := engine.New(counted, engine.Options{Watch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	h.engine = eng

	env := unique("watched")
	objs := rendered(t, specRepo(env, model{"w", "srv:v1"}), env)
	h.sync(env, objs, engine.PlanOptions{Prune: true})

	h.count.reset()
	p := h.sync(env, objs, engine.PlanOptions{Prune: true})
	if p.HasChanges() || h.count.writes() != 0 {
		t.Fatalf("no-op: %v, %d writes", changed(p), h.count.writes())
	}
	if n := h.count.total(); n > 1 {
		t.Errorf("a watched no-op sent %d requests (%v); want only the inventory read", n, h.count.methods)
	}

	patch := `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"edited"}]`
	if _, err := h.dyn.Resource(deployments).Namespace(env+"-models").Patch(context.Background(), "w", types.JSONPatchType, []byte(patch), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, func() bool {
		p = h.plan(env, objs, engine.PlanOptions{Prune: true})
		return p.HasChanges()
	})
	if got := changed(p); len(got) != 1 || got[0] != "apps/Deployment "+env+"-models/w configured" || !p.Changes[indexOfChange(p)].Drift {
		t.Errorf("drift through the watch: %v", got)
	}
}

func indexOfChange(p *engine.Plan) int {
	for i, c := range p.Changes {
		if c.Action != engine.ActionUnchanged {
			return i
		}
	}
	return 0
}

func waitUntil(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
