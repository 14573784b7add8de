package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// The local control plane has no controllers or kubelet: these tests write
// status the way the Deployment controller and Karpenter would.

var ec2nodeclasses = schema.GroupVersionResource{Group: "karpenter.k8s.aws", Version: "v1", Resource: "ec2nodeclasses"}

func TestWaitForHealth(t *testing.T) {
	env := testenv.UniqueName("health")
	objs := rendered(t, specRepo(env, model{"llm", "srv:v1"}), env)
	ctx := context.Background()

	t.Run("timeout names what is not healthy", func(t *testing.T) {
		// the Engine's clock is stepped: ten minutes pass at once
		clk := clocktesting.NewFakeClock(time.Now())
		h := newHarness(t, engine.Options{Poll: time.Minute, Clock: clk})
		stepWhileWaiting(t, clk, time.Minute)
		p := h.plan(env, objs, engine.PlanOptions{})
		start := clk.Now()
		_, err := h.engine.Apply(ctx, p, engine.ApplyOptions{Wait: 10 * time.Minute})
		if !engine.IsHealthError(err) {
			t.Fatalf("err = %v, want a health timeout", err)
		}
		for _, want := range []string{"after 10m0s", "apps/Deployment " + env + "-models/llm: InProgress", "karpenter.sh/NodePool " + env + "-models-llm-", "no Ready condition yet"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("health error does not mention %q:\n%v", want, err)
			}
		}
		if waited := clk.Since(start); waited < 10*time.Minute {
			t.Errorf("gave up after %s of the Engine's clock, want 10m", waited)
		}
	})

	t.Run("healthy once the controllers report", func(t *testing.T) {
		h := newHarness(t, engine.Options{Poll: 200 * time.Millisecond})
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() { defer close(stopped); fakeControllers(t, h, env, stop) }()
		defer func() { close(stop); <-stopped }()
		p := h.plan(env, objs, engine.PlanOptions{})
		if _, err := h.engine.Apply(ctx, p, engine.ApplyOptions{Wait: 30 * time.Second}); err != nil {
			t.Fatalf("apply --wait: %v", err)
		}
	})
}

// fakeControllers marks the Environment's Deployments available and its
// Karpenter objects Ready until stop closes.
func fakeControllers(t *testing.T, h *harness, env string, stop <-chan struct{}) {
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: engine.LabelEnvironment + "=" + env}
	now := time.Now().UTC().Format(time.RFC3339)
	ready := []any{map[string]any{"type": "Ready", "status": "True", "reason": "Ready", "message": "", "lastTransitionTime": now}}
	for {
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if list, err := h.dyn.Resource(deployments).List(ctx, sel); err == nil {
			for _, d := range list.Items {
				replicas, found, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
				if !found {
					replicas = 1
				}
				d.Object["status"] = map[string]any{
					"observedGeneration": d.GetGeneration(), "replicas": replicas, "updatedReplicas": replicas,
					"readyReplicas": replicas, "availableReplicas": replicas,
					"conditions": []any{
						map[string]any{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
						map[string]any{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
					},
				}
				_, _ = h.dyn.Resource(deployments).Namespace(d.GetNamespace()).UpdateStatus(ctx, &d, metav1.UpdateOptions{})
			}
		}
		for _, gvr := range []schema.GroupVersionResource{nodepools, ec2nodeclasses} {
			list, err := h.dyn.Resource(gvr).List(ctx, sel)
			if err != nil {
				continue
			}
			for _, o := range list.Items {
				o.Object["status"] = map[string]any{"conditions": ready}
				if _, err := h.dyn.Resource(gvr).UpdateStatus(ctx, &o, metav1.UpdateOptions{}); err != nil {
					t.Logf("marking %s %s ready: %v", gvr.Resource, o.GetName(), err)
				}
			}
		}
	}
}
