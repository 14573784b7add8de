package preview

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// offlinePlan compares the head render with the base render as if the base
// were what the cluster holds and gitplane's inventory: the same actions,
// ordering, prune guards and deletion risks as a plan against a cluster
// synced to the base, with diffs of the rendered objects (Secret values
// redacted).
func offlinePlan(env string, base, head []*unstructured.Unstructured, opts engine.PlanOptions) (*engine.Plan, error) {
	live := engine.Live{Objects: map[engine.ID]*unstructured.Unstructured{}}
	refs := make([]engine.Ref, 0, len(base))
	for _, o := range base {
		ref := engine.RefOf(o)
		live.Objects[ref.ID()] = o
		refs = append(refs, ref)
	}
	plan := engine.Reconcile(env, head, live, engine.NewInventory(refs...), opts)
	for i := range plan.Changes {
		c := &plan.Changes[i]
		c.Drift = false // nothing was changed in a cluster: there is none
		if c.Action != engine.ActionCreate && c.Action != engine.ActionDelete {
			c.Action = engine.ActionUnchanged
			if !engine.SameObject(c.Live, c.Desired) {
				c.Action = engine.ActionConfigure
			}
		}
		if c.Action == engine.ActionUnchanged {
			continue
		}
		d, err := engine.UnifiedDiff(c.Ref, c.Live, c.Desired, "base", "head")
		if err != nil {
			return nil, err
		}
		c.Diff = d
	}
	return plan, nil
}
