package engine_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

var leases = schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}

// liveNames returns the names of env's labelled ConfigMaps in ns, sorted.
func (h *harness) liveNames(ns, env string) []string {
	h.t.Helper()
	list, err := h.dyn.Resource(configmaps).Namespace(ns).List(context.Background(), metav1.ListOptions{LabelSelector: engine.LabelEnvironment + "=" + env})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, o := range list.Items {
		out = append(out, o.GetName())
	}
	slices.Sort(out)
	return out
}

func (h *harness) inventoryNames(env string) []string {
	h.t.Helper()
	inv, err := h.engine.ReadInventory(context.Background(), env)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range inv.Refs() {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return out
}

func configMaps(ns, env string, names ...string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, n := range names {
		out = append(out, configMap(ns, n, env, nil))
	}
	return out
}

// pauseWrites makes the engine's first write of an object (not gitplane's
// own, in gitplane-system) wait: paused is closed when it is reached, and
// the write goes on once resume is closed.
func pauseWrites(paused, resume chan struct{}) func(*http.Request) (*http.Response, error) {
	var once sync.Once
	return func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet || strings.Contains(r.URL.Path, "/namespaces/"+engine.InventoryNamespace) {
			return nil, nil
		}
		once.Do(func() {
			close(paused)
			<-resume
		})
		return nil, nil
	}
}

// TestConcurrentAppliesOfOneEnvironment runs a second apply of the same
// Environment while the first one is in the middle of applying: exactly one
// applies, the other fails naming the holder and writes nothing, and the
// inventory ends up holding exactly the labelled live objects.
func TestConcurrentAppliesOfOneEnvironment(t *testing.T) {
	env := testenv.UniqueName("lease-a")
	ns := env + "-ns"
	first := newHarness(t, engine.Options{Identity: "first-run"})
	second := newHarness(t, engine.Options{Identity: "second-run"})
	first.ensureNamespace(ns)
	pA := first.plan(env, configMaps(ns, env, "a1", "a2", "a3"), engine.PlanOptions{Prune: true})
	pB := second.plan(env, configMaps(ns, env, "b1", "b2", "b3"), engine.PlanOptions{Prune: true})

	paused, resume := make(chan struct{}), make(chan struct{})
	first.count.before = pauseWrites(paused, resume)
	errA := make(chan error, 1)
	go func() {
		_, err := first.engine.Apply(context.Background(), pA, engine.ApplyOptions{})
		errA <- err
	}()
	select {
	case <-paused:
	case err := <-errA:
		t.Fatalf("the first apply ended before writing an object: %v", err)
	}
	second.count.reset()
	_, errB := second.engine.Apply(context.Background(), pB, engine.ApplyOptions{})
	close(resume)
	if err := <-errA; err != nil {
		t.Fatalf("first apply: %v", err)
	}

	var busy *engine.BusyError
	if !errors.As(errB, &busy) || busy.Holder != "first-run" ||
		!strings.HasPrefix(errB.Error(), "Environment "+env+" is being synced by first-run since ") {
		t.Errorf("second apply: err = %v, want a *BusyError naming first-run", errB)
	}
	if w := second.count.writes(); w != 0 {
		t.Errorf("the losing apply sent %d writes", w)
	}
	live, inv := first.liveNames(ns, env), first.inventoryNames(env)
	if !slices.Equal(live, []string{"a1", "a2", "a3"}) || !slices.Equal(inv, live) {
		t.Errorf("live %v, inventory %v; want both a1..a3", live, inv)
	}
	// The Lease was given up: the next sync takes it at once.
	second.sync(env, configMaps(ns, env, "a1", "a2", "a3", "b1"), engine.PlanOptions{Prune: true})
}

// TestInventoryWriteMergesConcurrentChanges: a plan made before another run
// synced the Environment is applied afterwards. Its inventory writes find
// the inventory changed (resourceVersion), read it again and merge, so the
// other run's objects stay recorded.
func TestInventoryWriteMergesConcurrentChanges(t *testing.T) {
	env := testenv.UniqueName("lease-b")
	ns := env + "-ns"
	h := newHarness(t, engine.Options{})
	h.ensureNamespace(ns)
	h.sync(env, configMaps(ns, env, "base"), engine.PlanOptions{Prune: true})

	stale := h.plan(env, configMaps(ns, env, "base", "a1", "a2"), engine.PlanOptions{Prune: true})
	h.sync(env, configMaps(ns, env, "base", "b1", "b2"), engine.PlanOptions{Prune: true})
	if _, err := h.engine.Apply(context.Background(), stale, engine.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"a1", "a2", "b1", "b2", "base"}
	if live, inv := h.liveNames(ns, env), h.inventoryNames(env); !slices.Equal(live, want) || !slices.Equal(inv, want) {
		t.Errorf("live %v, inventory %v; want both %v", live, inv, want)
	}
}

func (h *harness) putLease(env, holder string, renewed time.Time) {
	h.t.Helper()
	ctx := context.Background()
	t := metav1.NewMicroTime(renewed)
	l := &coordinationv1.Lease{
		TypeMeta:   metav1.TypeMeta{APIVersion: "coordination.k8s.io/v1", Kind: "Lease"},
		ObjectMeta: metav1.ObjectMeta{Name: engine.LeaseName(env), Namespace: engine.InventoryNamespace},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: new(int32(60)), AcquireTime: &t, RenewTime: &t},
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(l)
	if err != nil {
		h.t.Fatal(err)
	}
	h.ensureNamespace(engine.InventoryNamespace)
	ri := h.dyn.Resource(leases).Namespace(engine.InventoryNamespace)
	_ = ri.Delete(ctx, l.Name, metav1.DeleteOptions{})
	if _, err := ri.Create(ctx, &unstructured.Unstructured{Object: m}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		h.t.Fatal(err)
	}
}

// TestLeaseHeldOrExpired: a Lease another run renews blocks the sync, naming
// it and since when; one its holder stopped renewing (a killed process) is
// taken over once it expires.
func TestLeaseHeldOrExpired(t *testing.T) {
	env := testenv.UniqueName("lease-c")
	ns := env + "-ns"
	h := newHarness(t, engine.Options{})
	h.ensureNamespace(ns)
	since := time.Now().Add(-10 * time.Second).UTC().Truncate(time.Second)
	h.putLease(env, "ci-run-42", since)
	p := h.plan(env, configMaps(ns, env, "x"), engine.PlanOptions{})
	_, err := h.engine.Apply(context.Background(), p, engine.ApplyOptions{})
	if want := "Environment " + env + " is being synced by ci-run-42 since " + since.Format(time.RFC3339); err == nil || err.Error() != want {
		t.Errorf("apply err = %v, want %q", err, want)
	}
	if h.exists(configmaps, ns, "x") {
		t.Error("apply wrote while another run held the Lease")
	}

	h.putLease(env, "killed-run", time.Now().Add(-2*time.Minute))
	h.sync(env, configMaps(ns, env, "x"), engine.PlanOptions{})
	if !h.exists(configmaps, ns, "x") {
		t.Error("apply did not take the expired Lease")
	}
}

// TestLeaseLostStopsTheSync: when another run takes the Lease, the next
// renewal notices and the lock's context ends with ErrLeaseLost.
func TestLeaseLostStopsTheSync(t *testing.T) {
	env := testenv.UniqueName("lease-d")
	clk := clocktesting.NewFakeClock(time.Now())
	h := newHarness(t, engine.Options{Clock: clk, LeaseDuration: 30 * time.Second, Identity: "renewer"})
	ctx, release, err := h.engine.Lock(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, _, err := h.engine.Lock(context.Background(), env); err == nil || !strings.Contains(err.Error(), "being synced by renewer") {
		t.Errorf("a second Lock in the same Engine: err = %v, want it busy", err)
	}
	h.putLease(env, "intruder", time.Now())
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond) // until the renewer waits on its ticker
	}
	clk.Step(10 * time.Second)
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the lock's context did not end after the Lease was taken")
	}
	if cause := context.Cause(ctx); !errors.Is(cause, engine.ErrLeaseLost) || !strings.Contains(cause.Error(), "it is now held by intruder") {
		t.Errorf("cause = %v, want ErrLeaseLost naming the intruder", cause)
	}
}
