package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// TestRecreateTimeout: an object to recreate whose deletion does not finish
// (a finalizer holds it) fails the apply after Options.RecreateTimeout on
// the Engine's clock, which the test steps.
func TestRecreateTimeout(t *testing.T) {
	const timeout = 7 * time.Minute
	clk := clocktesting.NewFakeClock(time.Now())
	h := newHarness(t, engine.Options{Clock: clk, RecreateTimeout: timeout})
	stepWhileWaiting(t, clk, time.Minute)
	env, ns := testenv.UniqueName("recreate"), testenv.UniqueName("recreate")
	h.ensureNamespace(ns)
	forced := map[string]any{engine.AnnotationForce: "true"}
	h.sync(env, []*unstructured.Unstructured{deployment(ns, "web", env, "v1", forced)}, engine.PlanOptions{})
	hold := `{"metadata":{"finalizers":["test.gitplane.dev/hold"]}}`
	if _, err := h.dyn.Resource(deployments).Namespace(ns).Patch(context.Background(), "web", types.MergePatchType, []byte(hold), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		release := `{"metadata":{"finalizers":null}}`
		_, _ = h.dyn.Resource(deployments).Namespace(ns).Patch(context.Background(), "web", types.MergePatchType, []byte(release), metav1.PatchOptions{})
	})

	p := h.plan(env, []*unstructured.Unstructured{deployment(ns, "web", env, "v2", forced)}, engine.PlanOptions{})
	if !p.Changes[0].Recreate {
		t.Fatalf("plan does not recreate the Deployment: %+v", p.Changes[0])
	}
	start := clk.Now()
	_, err := h.engine.Apply(context.Background(), p, engine.ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "to be deleted before recreating it: not done after 7m0s") {
		t.Fatalf("apply err = %v, want the recreate to give up after 7m0s", err)
	}
	if waited := clk.Since(start); waited < timeout {
		t.Errorf("gave up after %s of the Engine's clock, want %s", waited, timeout)
	}
}

// TestEstablishTimeout: a CRD that is never established (its kind is
// another CRD's) fails the apply after Options.EstablishTimeout on the
// Engine's clock, before the next stage.
func TestEstablishTimeout(t *testing.T) {
	const timeout = 3 * time.Minute
	group := testKind(t, "Widget", "widgets")
	clk := clocktesting.NewFakeClock(time.Now())
	h := newHarness(t, engine.Options{Clock: clk, EstablishTimeout: timeout})
	stepWhileWaiting(t, clk, 30*time.Second)
	env := testenv.UniqueName("establish")
	clash := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "gadgets." + group, "labels": map[string]any{engine.LabelEnvironment: env}},
		"spec": map[string]any{
			"group": group, "scope": "Cluster",
			"names": map[string]any{"kind": "Widget", "listKind": "WidgetList", "plural": "gadgets", "singular": "gadget"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	t.Cleanup(func() {
		_ = h.dyn.Resource(crdResource).Delete(context.Background(), "gadgets."+group, metav1.DeleteOptions{})
	})
	p := h.plan(env, []*unstructured.Unstructured{clash}, engine.PlanOptions{})
	start := clk.Now()
	_, err := h.engine.Apply(context.Background(), p, engine.ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "CRD gadgets."+group+" not established: not done after 3m0s") {
		t.Fatalf("apply err = %v, want the wait for the CRD to give up after 3m0s", err)
	}
	if waited := clk.Since(start); waited < timeout {
		t.Errorf("gave up after %s of the Engine's clock, want %s", waited, timeout)
	}
}
