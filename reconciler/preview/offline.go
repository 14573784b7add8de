package preview

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler"
)

// offlinePlan compares the head render with the base render as if the base
// were what the cluster holds and gitplane's inventory: the same actions,
// ordering, prune guards and deletion risks as a plan against a cluster
// synced to the base, with diffs of the rendered objects (Secret values
// redacted).
func offlinePlan(env string, base, head []*unstructured.Unstructured, opts reconciler.PlanOptions) (*reconciler.Plan, error) {
	live := reconciler.Live{Objects: map[reconciler.ID]*unstructured.Unstructured{}}
	refs := make([]reconciler.Ref, 0, len(base))
	for _, o := range base {
		ref := reconciler.RefOf(o)
		live.Objects[ref.ID()] = o
		refs = append(refs, ref)
	}
	plan := reconciler.Reconcile(env, head, live, reconciler.NewInventory(refs...), opts)
	for i := range plan.Changes {
		c := &plan.Changes[i]
		c.Drift = false // nothing was changed in a cluster: there is none
		if c.Action != reconciler.ActionCreate && c.Action != reconciler.ActionDelete {
			c.Action = reconciler.ActionUnchanged
			if !reconciler.SameObject(c.Live, c.Desired) {
				c.Action = reconciler.ActionConfigure
			}
		}
		if c.Action == reconciler.ActionUnchanged {
			continue
		}
		d, err := reconciler.UnifiedDiff(c.Ref, c.Live, c.Desired, "base", "head")
		if err != nil {
			return nil, err
		}
		c.Diff = d
	}
	return plan, nil
}
