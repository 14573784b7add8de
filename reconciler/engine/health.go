package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// Health is one object's state as Wait sees it.
type Health struct {
	Ref     Ref
	Healthy bool
	Message string
}

// healthOf computes an object's health: kstatus for built-in kinds, the
// Ready condition for Karpenter's kinds, presence for Istio's (they have no
// status a controller reports on in every installation).
func healthOf(o *unstructured.Unstructured) Health {
	ref := RefOf(o)
	switch {
	case ref.Group == "karpenter.sh" || ref.Group == "karpenter.k8s.aws":
		return readyCondition(ref, o)
	case strings.HasSuffix(ref.Group, ".istio.io"):
		return Health{Ref: ref, Healthy: true, Message: "accepted"}
	}
	res, err := status.Compute(o)
	if err != nil {
		return Health{Ref: ref, Message: fmt.Sprintf("computing status: %v", err)}
	}
	return Health{Ref: ref, Healthy: res.Status == status.CurrentStatus, Message: fmt.Sprintf("%s: %s", res.Status, res.Message)}
}

// readyCondition is healthy when status.conditions has Ready=True for the
// object's current generation.
func readyCondition(ref Ref, o *unstructured.Unstructured) Health {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != "Ready" {
			continue
		}
		if gen, ok := m["observedGeneration"].(int64); ok && gen != o.GetGeneration() {
			return Health{Ref: ref, Message: "Ready condition is for an older generation"}
		}
		if m["status"] == "True" {
			return Health{Ref: ref, Healthy: true, Message: "Ready"}
		}
		return Health{Ref: ref, Message: fmt.Sprintf("not Ready: %v: %v", m["reason"], m["message"])}
	}
	return Health{Ref: ref, Message: "no Ready condition yet"}
}

// Wait polls the objects (one LIST per kind each Options.Poll, on the
// Engine's clock) until every one is healthy or the timeout passes; then it
// names those that are not and why. Requests still in flight after timeout
// (of real time) are cut off.
func (e *Engine) Wait(ctx context.Context, env string, objs []*unstructured.Unstructured, timeout time.Duration) error {
	kinds := map[schema.GroupVersionKind]bool{}
	for _, o := range objs {
		kinds[o.GroupVersionKind()] = true
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline := e.opts.Clock.Now().Add(timeout)
	var pending []Health
	for {
		live, err := e.listLive(tctx, env, kinds)
		switch {
		case err != nil && tctx.Err() != nil && ctx.Err() == nil:
			return &HealthError{Timeout: timeout, Pending: pending}
		case err != nil:
			return fmt.Errorf("waiting for %s to become healthy: %w", env, err)
		}
		if pending = unhealthy(objs, live); len(pending) == 0 {
			return nil
		}
		left := deadline.Sub(e.opts.Clock.Now())
		if left <= 0 {
			return &HealthError{Timeout: timeout, Pending: pending}
		}
		if err := e.sleep(ctx, min(e.opts.Poll, left)); err != nil {
			return fmt.Errorf("waiting for %s to become healthy: %w", env, err)
		}
	}
}

func unhealthy(objs []*unstructured.Unstructured, live map[ID]*unstructured.Unstructured) []Health {
	var out []Health
	for _, o := range objs {
		ref := RefOf(o)
		l, ok := live[ref.ID()]
		if !ok {
			out = append(out, Health{Ref: ref, Message: "not found"})
			continue
		}
		if h := healthOf(l); !h.Healthy {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b Health) int { return compareRefs(a.Ref, b.Ref) })
	return out
}

// HealthError names the objects that did not become healthy in time.
type HealthError struct {
	Timeout time.Duration
	Pending []Health
}

func (e *HealthError) Error() string {
	lines := make([]string, 0, len(e.Pending))
	for i, h := range e.Pending {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("... and %d more", len(e.Pending)-10))
			break
		}
		lines = append(lines, fmt.Sprintf("%s: %s", h.Ref, h.Message))
	}
	return fmt.Sprintf("%d object(s) not healthy after %s:\n  %s", len(e.Pending), e.Timeout, strings.Join(lines, "\n  "))
}

// IsHealthError reports whether err is a health timeout.
func IsHealthError(err error) bool {
	var he *HealthError
	return errors.As(err, &he)
}

// establishPoll is how often apply looks whether the CRDs it applied are
// established.
const establishPoll = 100 * time.Millisecond

// waitEstablished waits until the CRDs are established (at most
// Options.EstablishTimeout each), so objects of their kinds can be applied
// in the next stage.
func (e *Engine) waitEstablished(ctx context.Context, objs []*unstructured.Unstructured) error {
	for _, crd := range objs {
		err := e.poll(ctx, establishPoll, e.opts.EstablishTimeout, func(ctx context.Context) (bool, error) {
			live, err := e.client.Resource(crds).Get(ctx, crd.GetName(), metav1.GetOptions{})
			return err == nil && crdEstablished(live), nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s not established: %w", crd.GetName(), err)
		}
	}
	return nil
}

// crdEstablished reports whether a CRD's Established condition is True.
func crdEstablished(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" {
			return m["status"] == "True"
		}
	}
	return false
}
