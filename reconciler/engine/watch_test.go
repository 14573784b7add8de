package engine_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
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

	env := testenv.UniqueName("watched")
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

// TestWatchesStopWithTheirEnvironment: a watched Engine's watches (one per
// Environment and kind) end with Unwatch of their Environment, the others'
// with Close, as the API server sees them; a closed Engine lists instead.
func TestWatchesStopWithTheirEnvironment(t *testing.T) {
	cfg := testenv.Config(t)
	group := testKind(t, "Widget", "widgets")
	e, streams := watchedEngine(t, engine.Options{})
	envA, envB := testenv.UniqueName("watch-a"), testenv.UniqueName("watch-b")
	plan := func(env string) {
		t.Helper()
		objs := []*unstructured.Unstructured{object(group+"/v1", "Widget", "", env, env)}
		if _, err := e.Plan(context.Background(), engine.PlanRequest{Environment: env, Objects: objs}); err != nil {
			t.Fatalf("planning %s: %v", env, err)
		}
	}
	plan(envA)
	plan(envB)
	waitUntil(t, 30*time.Second, func() bool {
		return streams.OpenFor(envA) == 1 && streams.OpenFor(envB) == 1 && serverWatches(t, cfg, group, "widgets") == 2
	})

	e.Unwatch(envA)
	if n := streams.OpenFor(envA); n != 0 {
		t.Errorf("after Unwatch(%s) its Engine holds %d watch(es) open", envA, n)
	}
	waitUntil(t, 30*time.Second, func() bool { return serverWatches(t, cfg, group, "widgets") == 1 })
	if n := streams.OpenFor(envB); n != 1 {
		t.Errorf("Unwatch(%s) stopped %s's watch: %d open", envA, envB, n)
	}

	plan(envA) // started again
	waitUntil(t, 30*time.Second, func() bool { return streams.OpenFor(envA) == 1 })

	e.Close()
	if a, b := streams.OpenFor(envA), streams.OpenFor(envB); a+b != 0 {
		t.Errorf("after Close the Engine holds %d and %d watch(es) open", a, b)
	}
	waitUntil(t, 30*time.Second, func() bool { return serverWatches(t, cfg, group, "widgets") == 0 })

	started, lists := streams.Counts()
	plan(envB)
	if s, l := streams.Counts(); s != started || l == lists {
		t.Errorf("a plan of a closed Engine sent %d watch request(s) and %d other GET(s); want no watch, a list", s-started, l-lists)
	}
}

// TestIdleWatchesStop: a watch no plan has read for WatchIdle stops, on the
// Engine's clock; each plan that reads it puts that off.
func TestIdleWatchesStop(t *testing.T) {
	const idle = 10 * time.Minute
	clk := clocktesting.NewFakeClock(time.Now())
	e, streams := watchedEngine(t, engine.Options{WatchIdle: idle, Clock: clk})
	env := testenv.UniqueName("idle")
	objs := []*unstructured.Unstructured{object("v1", "Namespace", "", env, env), object("v1", "ConfigMap", env, "c", env)}
	plan := func() {
		t.Helper()
		if _, err := e.Plan(context.Background(), engine.PlanRequest{Environment: env, Objects: objs}); err != nil {
			t.Fatal(err)
		}
	}
	plan()
	// two kinds: two watches, each with its idle timer
	waitUntil(t, 30*time.Second, func() bool { return streams.OpenFor(env) == 2 && clk.Waiters() == 2 })

	clk.Step(6 * time.Minute)
	plan()
	// 11 minutes since the start, 5 since the last plan: the timers fire
	// and are set again
	clk.Step(5 * time.Minute)
	waitUntil(t, 30*time.Second, func() bool { return clk.Waiters() == 2 })
	if n := streams.OpenFor(env); n != 2 {
		t.Fatalf("%d watch(es) open 5 minutes after a plan read them, want 2", n)
	}

	clk.Step(5 * time.Minute) // 10 minutes since the last plan
	waitUntil(t, 30*time.Second, func() bool { return streams.OpenFor(env) == 0 })

	plan()
	waitUntil(t, 30*time.Second, func() bool { return streams.OpenFor(env) == 2 })
}
