package engine

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/render"
)

// AnnotationPrune set to "disabled" on an object keeps it in the cluster
// when it leaves Git.
const AnnotationPrune = render.AnnotationPrune

// AnnotationForce set to "true" on an object (or on its Environment) allows
// gitplane to delete and recreate it when an immutable field changes.
const AnnotationForce = render.AnnotationForce

// PruneShareLimit is the share of the inventory a prune may delete without
// ConfirmPrune.
const PruneShareLimit = 0.25

// PlanOptions say how to compare.
type PlanOptions struct {
	// Prune plans the deletion of inventory objects that are no longer
	// rendered. Without it they are only mentioned in the plan's warnings.
	Prune bool
	// AllowEmpty lets an empty render prune the whole inventory.
	AllowEmpty bool
	// ConfirmPrune lets a prune delete more than PruneShareLimit of the
	// inventory.
	ConfirmPrune bool
	// ForceConflicts takes ownership of fields other appliers manage, in
	// the plan's dry-runs and when Apply carries the plan out.
	ForceConflicts bool
}

// Live is what the cluster holds of the desired and inventory objects.
type Live struct {
	Objects map[ID]*unstructured.Unstructured
	// MetadataOnly marks objects read from a metadata-only list: apiVersion,
	// kind and metadata, without their body.
	MetadataOnly map[ID]bool
}

// Reconcile compares the desired objects (annotated with their hash by
// withHash) with the live ones and the inventory, and returns the plan. It
// does no I/O. Changes whose outcome only the API server can tell (fields
// differ although the hash matches) are marked undecided, for the engine to
// settle with a server-side dry-run; changes that need a metadata-only
// object's body are marked for the engine to read it and compare again.
func Reconcile(env string, desired []*unstructured.Unstructured, live Live, inv Inventory, opts PlanOptions) *Plan {
	var changes []Change
	if len(desired) > 0 {
		changes = make([]Change, 0, len(desired))
	}
	rendered := NewInventory()
	for _, d := range desired {
		ref := RefOf(d)
		rendered.refs[ref.ID()] = ref
		obs, _ := inv.Observed(ref)
		changes = append(changes, compareObject(ref, d, live.Objects[ref.ID()], live.MetadataOnly[ref.ID()], obs))
	}
	slices.SortStableFunc(changes, func(a, b Change) int { return compareRefs(a.Ref, b.Ref) })

	stale := inv.Minus(rendered)
	var gone []Change
	for _, ref := range slices.Backward(stale) {
		l, ok := live.Objects[ref.ID()]
		if !ok {
			continue // already gone from the cluster
		}
		gone = append(gone, Change{Ref: ref, Action: ActionDelete, Live: l, Risks: deleteRisks(ref)})
	}
	plan := &Plan{Environment: env, Changes: changes, Inventory: inv, ForceConflicts: opts.ForceConflicts}
	if !opts.Prune {
		plan.Unpruned = len(gone)
		return plan
	}
	gone, plan.PruneGuard = guardPrune(gone, len(desired), inv.Len(), opts)
	plan.Changes = append(plan.Changes, gone...)
	return plan
}

// compareObject decides one rendered object's action. A metadata-only live
// object proves the object unchanged when the hash matches, gitplane's
// labels and annotations hold, and the object is as gitplane left it: same
// generation (kinds that count spec changes) or same resourceVersion.
// Otherwise its body is needed (needsBody) to decide. A Secret's hash does
// not cover its values, so a Secret's body is always compared; values that
// differ in a Secret gitplane's last apply left untouched changed in Git,
// not in the cluster (no drift).
func compareObject(ref Ref, desired, live *unstructured.Unstructured, metadataOnly bool, obs Observed) Change {
	c := Change{Ref: ref, Desired: desired, Live: live}
	switch {
	case live == nil:
		c.Action = ActionCreate
	case live.GetAnnotations()[AnnotationAppliedHash] != desired.GetAnnotations()[AnnotationAppliedHash]:
		c.Action = ActionConfigure
		c.needsBody = metadataOnly
	case metadataOnly:
		c.Action = ActionUnchanged
		if isSecret(ref) || !holds(desired.Object["metadata"], live.Object["metadata"]) || !untouched(live, obs) {
			c.needsBody = true
		}
	case holds(comparable(ref, desired), live.Object):
		c.Action = ActionUnchanged
	default:
		c.Action = ActionConfigure
		c.Drift = !isSecret(ref) || !untouched(live, obs)
		c.undecided = true
	}
	return c
}

// untouched reports whether the object is as gitplane's last apply left it.
func untouched(live *unstructured.Unstructured, obs Observed) bool {
	if obs.ResourceVersion == "" {
		return false
	}
	if g := live.GetGeneration(); g > 0 && g == obs.Generation {
		return true
	}
	return live.GetResourceVersion() == obs.ResourceVersion
}

// guardPrune returns the deletions with those the guards forbid blocked,
// and the guard that holds back all of them, if one does. A Namespace
// holding objects gitplane does not own is checked by the engine, which
// can list.
func guardPrune(gone []Change, rendered, inventoried int, opts PlanOptions) ([]Change, *PruneGuard) {
	if len(gone) == 0 {
		return gone, nil
	}
	guard := pruneGuard(len(gone), rendered, inventoried, opts)
	out := slices.Clone(gone)
	for i := range out {
		switch {
		case guard != nil:
			out[i].Block = guard.Block
		case out[i].Live.GetAnnotations()[AnnotationPrune] == "disabled":
			out[i].block(GuardPruneDisabled, "annotated "+AnnotationPrune+": disabled")
		}
	}
	return out, guard
}

// pruneGuard is the guard that holds back all of a prune, nil when none
// does.
func pruneGuard(deletions, rendered, inventoried int, opts PlanOptions) *PruneGuard {
	var b Block
	switch {
	case rendered == 0 && !opts.AllowEmpty:
		b = Block{Guard: GuardEmptyRender, Reason: "the render is empty; an empty render never prunes", Allow: AllowEmptyRender}
	case float64(deletions) > PruneShareLimit*float64(inventoried) && !opts.ConfirmPrune:
		b = Block{Guard: GuardPruneShare, Allow: AllowLargePrune,
			Reason: fmt.Sprintf("prune would delete %d of %d inventory objects (more than %d%%)", deletions, inventoried, int(PruneShareLimit*100))}
	default:
		return nil
	}
	return &PruneGuard{Block: b, Deletions: deletions, Inventory: inventoried}
}

// riskyKinds are the kinds whose loss takes capacity, identity or traffic
// away; previews flag their deletion or recreation.
var riskyKinds = map[string]string{
	"NodePool":                 "deletes a Karpenter NodePool: its nodes are drained",
	"EC2NodeClass":             "deletes a Karpenter EC2NodeClass: NodePools using it stop launching nodes",
	"ServiceAccount":           "deletes a ServiceAccount: pods lose their IAM role",
	"Ingress":                  "deletes an Ingress: the ALB is removed",
	"Namespace":                "deletes a Namespace and everything in it",
	"CustomResourceDefinition": "deletes a CRD and every object of its kind",
}

func deleteRisks(ref Ref) []string {
	if r, ok := riskyKinds[ref.Kind]; ok {
		return []string{r}
	}
	return nil
}
