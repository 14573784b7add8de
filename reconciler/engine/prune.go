package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// ignoredInNamespace are resources a namespace always holds or that follow
// their owners; they do not keep a namespace alive.
var ignoredInNamespace = map[string]bool{
	"events": true, "events.events.k8s.io": true, "endpoints": true,
	"endpointslices.discovery.k8s.io": true, "leases.coordination.k8s.io": true,
}

// guardNamespaces returns changes with the deletions of Namespaces that
// still hold objects gitplane does not own blocked: deleting them would take
// those objects along.
func (e *Engine) guardNamespaces(ctx context.Context, env string, changes []Change) ([]Change, error) {
	var idx []int
	for i, c := range changes {
		if c.Action == ActionDelete && !c.Blocked() && c.Ref.Kind == "Namespace" && c.Ref.Group == "" {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return changes, nil
	}
	resources, err := e.namespacedResources()
	if err != nil {
		return nil, err
	}
	out := slices.Clone(changes)
	for _, i := range idx {
		foreign, unseen, err := e.foreignObjects(ctx, changes[i].Ref.Name, env, resources)
		switch {
		case err != nil:
			return nil, err
		case len(foreign) > 0:
			out[i].block(GuardNamespaceInUse, fmt.Sprintf("namespace still holds objects gitplane does not own: %s", strings.Join(foreign, ", ")))
		case len(unseen) > 0:
			out[i].block(GuardNamespaceInUse, fmt.Sprintf("cannot tell whether the namespace holds objects gitplane does not own: listing %s is forbidden; grant gitplane list on them or delete the namespace by hand", strings.Join(unseen, ", ")))
		}
	}
	return out, nil
}

// namespacedResources lists the namespaced resources that can be listed.
func (e *Engine) namespacedResources() ([]schema.GroupVersionResource, error) {
	lists, err := e.disco.ServerPreferredNamespacedResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, fmt.Errorf("discovering namespaced resources: %w", err)
	}
	var out []schema.GroupVersionResource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			gr := schema.GroupResource{Group: gv.Group, Resource: r.Name}
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") || ignoredInNamespace[gr.String()] {
				continue
			}
			out = append(out, gv.WithResource(r.Name))
		}
	}
	return out, nil
}

// foreignObjects names up to five objects in the namespace that are neither
// gitplane's (for this Environment), owned by another object, nor created by
// Kubernetes itself, and the resources it was not allowed to list. Lists
// are metadata-only: Secrets' values are never read.
func (e *Engine) foreignObjects(ctx context.Context, ns, env string, resources []schema.GroupVersionResource) (found, unseen []string, err error) {
	for _, gvr := range resources {
		list, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*metav1.PartialObjectMetadataList, error) {
			return e.meta.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		})
		if apierrors.IsForbidden(err) {
			unseen = append(unseen, gvr.GroupResource().String())
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("listing %s in namespace %s: %w", gvr.GroupResource(), ns, err)
		}
		for i := range list.Items {
			if isForeign(&list.Items[i].ObjectMeta, gvr.Resource, env) {
				found = append(found, fmt.Sprintf("%s/%s", gvr.GroupResource(), list.Items[i].Name))
				if len(found) == 5 {
					return found, unseen, nil
				}
			}
		}
	}
	return found, unseen, nil
}

func isForeign(o *metav1.ObjectMeta, resource, env string) bool {
	if o.Labels[LabelEnvironment] == env || len(o.OwnerReferences) > 0 {
		return false
	}
	switch {
	case resource == "serviceaccounts" && o.Name == "default",
		resource == "configmaps" && (o.Name == "kube-root-ca.crt" || o.Name == "istio-ca-root-cert"):
		return false
	}
	return true
}

// prune deletes the plan's unblocked deletions, namespaced objects first and
// Namespaces and CRDs last, and returns what became of each; plan is only
// read.
func (e *Engine) prune(ctx context.Context, plan *Plan, dryRun bool) []outcome {
	var out []outcome
	for stage := 2; stage >= 0; stage-- {
		var todo []int
		for i, c := range plan.Changes {
			if c.Action == ActionDelete && !c.Blocked() && c.Ref.stage() == stage {
				todo = append(todo, i)
			}
		}
		out = append(out, e.each(ctx, todo, func(ctx context.Context, i int) outcome {
			c, gone, err := e.pruneOne(ctx, plan.Environment, plan.Changes[i], dryRun)
			return outcome{index: i, change: c, gone: gone, err: err}
		})...)
	}
	return out
}

// pruneTries bounds how often a deletion is tried again because the object
// changed between the ownership check and the delete.
const pruneTries = 3

// pruneOne reads the object again right before deleting it, and deletes it
// only if it is still the Environment's (notOwnedReason), with its uid and
// resourceVersion as preconditions: an object replaced or changed in between
// is read and checked again. One that is no longer the Environment's is
// returned blocked (GuardNotOwned) instead. gone says the object no longer
// exists.
func (e *Engine) pruneOne(ctx context.Context, env string, c Change, dryRun bool) (_ Change, gone bool, err error) {
	for range pruneTries {
		live, err := e.getMeta(ctx, c.Ref)
		if err != nil {
			return c, false, err
		}
		if live == nil {
			return c, true, nil
		}
		if why := notOwnedReason(live, env); why != "" {
			c.block(GuardNotOwned, why+"; not deleted, and dropped from the inventory")
			return c, false, nil
		}
		uid, rv := live.GetUID(), live.GetResourceVersion()
		err = e.deleteOne(ctx, c.Ref, metav1.DeletePropagationBackground, dryRun, &metav1.Preconditions{UID: &uid, ResourceVersion: &rv})
		if apierrors.IsConflict(err) {
			continue
		}
		return c, err == nil && !dryRun, err
	}
	return c, false, fmt.Errorf("%s: changed every time gitplane checked it before deleting it (%d tries)", c.Ref, pruneTries)
}
