package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// listAbove is the number of objects of one kind and namespace to look up
// from which one LIST is cheaper than a GET each.
const listAbove = 8

// readStale reads again, with their managedFields, the inventory objects
// that are no longer rendered: those a prune would delete (their ownership
// is checked), and those the labelled lists did not return (someone removed
// gitplane's label), so the plan can say they are still there.
func (e *Engine) readStale(ctx context.Context, live Live, desired []*unstructured.Unstructured, inv Inventory, prune bool) error {
	rendered := renderedIDs(desired)
	var refs []Ref
	for _, ref := range inv.Refs() {
		id := ref.ID()
		if _, listed := live.Objects[id]; rendered[id] || listed && !prune {
			continue
		}
		refs = append(refs, ref)
	}
	objs := make([]*unstructured.Unstructured, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for i, ref := range refs {
		g.Go(func() error {
			o, err := e.getMeta(gctx, ref)
			objs[i] = o
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, ref := range refs {
		if objs[i] == nil {
			delete(live.Objects, ref.ID())
			continue
		}
		live.Objects[ref.ID()] = objs[i]
		live.MetadataOnly[ref.ID()] = true
	}
	return nil
}

func renderedIDs(objs []*unstructured.Unstructured) map[ID]bool {
	out := make(map[ID]bool, len(objs))
	for _, o := range objs {
		out[RefOf(o).ID()] = true
	}
	return out
}

// disowned returns, as blocked deletions (GuardNotOwned), the inventory
// objects that left Git whose live object is not env's (notOwnedReason):
// they are never deleted, and apply drops them from the inventory.
func disowned(env string, desired []*unstructured.Unstructured, live Live, inv Inventory) []Change {
	rendered := renderedIDs(desired)
	var out []Change
	for _, ref := range slices.Backward(inv.Refs()) {
		l := live.Objects[ref.ID()]
		if rendered[ref.ID()] || l == nil {
			continue
		}
		if why := notOwnedReason(l, env); why != "" {
			c := Change{Ref: ref, Action: ActionDelete, Live: l}
			c.block(GuardNotOwned, why+"; not deleted, and dropped from the inventory")
			out = append(out, c)
		}
	}
	return out
}

// addDeletions puts extra deletions among the plan's, which come last in
// reverse apply order.
func (p *Plan) addDeletions(extra []Change) {
	if len(extra) == 0 {
		return
	}
	p.Changes = append(p.Changes, extra...)
	first := slices.IndexFunc(p.Changes, func(c Change) bool { return c.Action == ActionDelete })
	slices.SortStableFunc(p.Changes[first:], func(a, b Change) int { return compareRefs(b.Ref, a.Ref) })
}

// checkCreates looks in the cluster for the objects the plan would create,
// which the lists of the Environment's labelled objects did not return. An
// object labelled for, or recorded in the inventory of, another Environment
// is an error of the plan (Apply refuses it); one this Environment applied
// before and lost its label is compared as usual; any other is taken over
// (ActionTakeOver), with its body read for the diff.
func (e *Engine) checkCreates(ctx context.Context, plan *Plan) error {
	found, err := e.findExisting(ctx, plan)
	if err != nil {
		return err
	}
	var owners map[string]Inventory
	for _, i := range slices.Sorted(maps.Keys(found)) {
		c, o := &plan.Changes[i], found[i]
		owner := environmentOf(o)
		if owner == "" && appliedByGitplane(o) && !plan.Inventory.Has(c.Ref) {
			if owners == nil {
				if owners, err = e.inventoryOwners(ctx); err != nil {
					return err
				}
			}
			if other := recordedBy(owners, c.Ref, plan.Environment); other != "" {
				c.rejectForeign(other, "recorded in its inventory")
				continue
			}
		}
		switch {
		case owner != "" && owner != plan.Environment:
			c.rejectForeign(owner, fmt.Sprintf("labelled %s=%s", LabelEnvironment, owner))
		case owner == plan.Environment || owner == "" && plan.Inventory.Has(c.Ref) && appliedByGitplane(o):
			obs, _ := plan.Inventory.Observed(c.Ref)
			*c = compareObject(c.Ref, c.Desired, o, true, obs)
		default:
			full, err := e.getLive(ctx, c.Ref)
			if err != nil {
				return err
			}
			if full == nil {
				continue // deleted in between: created after all
			}
			c.Action, c.Live = ActionTakeOver, full
			c.Risks = append(c.Risks, takeOverRisk(o))
		}
	}
	return nil
}

type kindInNamespace struct {
	gvk schema.GroupVersionKind
	ns  string
}

// findExisting returns, by change index, the live objects (metadata with
// managedFields) of the changes the plan creates, where they exist.
// Namespaces are looked up first: nothing exists in one that does not.
func (e *Engine) findExisting(ctx context.Context, plan *Plan) (map[int]*unstructured.Unstructured, error) {
	var nsIdx, rest []int
	for i, c := range plan.Changes {
		switch {
		case c.Action != ActionCreate:
		case c.Ref.Group == "" && c.Ref.Kind == "Namespace":
			nsIdx = append(nsIdx, i)
		default:
			rest = append(rest, i)
		}
	}
	found := map[int]*unstructured.Unstructured{}
	var mu sync.Mutex
	put := func(i int, o *unstructured.Unstructured) {
		mu.Lock()
		found[i] = o
		mu.Unlock()
	}
	if err := e.getEach(ctx, plan, nsIdx, put); err != nil {
		return nil, err
	}
	absent := map[string]bool{}
	for _, i := range nsIdx {
		if found[i] == nil {
			absent[plan.Changes[i].Ref.Name] = true
		}
	}
	groups := map[kindInNamespace][]int{}
	for _, i := range rest {
		r := plan.Changes[i].Ref
		if r.Namespace == "" || !absent[r.Namespace] {
			k := kindInNamespace{r.GVK(), r.Namespace}
			groups[k] = append(groups[k], i)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for k, idx := range groups {
		if len(idx) <= listAbove {
			g.Go(func() error { return e.getEach(gctx, plan, idx, put) })
			continue
		}
		g.Go(func() error { return e.listEach(gctx, plan, k, idx, put) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return found, nil
}

// getEach reads the live metadata of each indexed change's object.
func (e *Engine) getEach(ctx context.Context, plan *Plan, idx []int, put func(int, *unstructured.Unstructured)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for _, i := range idx {
		g.Go(func() error {
			o, err := e.getMeta(gctx, plan.Changes[i].Ref)
			if o != nil {
				put(i, o)
			}
			return err
		})
	}
	return g.Wait()
}

// listEach lists the metadata of a kind in a namespace, whatever the
// labels, and picks the indexed changes' objects.
func (e *Engine) listEach(ctx context.Context, plan *Plan, k kindInNamespace, idx []int, put func(int, *unstructured.Unstructured)) error {
	m, err := e.restMapping(ctx, k.gvk)
	if meta.IsNoMatchError(err) {
		return nil // the kind's CRD comes with this sync: nothing exists yet
	}
	if err != nil {
		return err
	}
	list, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*metav1.PartialObjectMetadataList, error) {
		return e.meta.Resource(m.Resource).Namespace(k.ns).List(ctx, metav1.ListOptions{})
	})
	if err != nil {
		return fmt.Errorf("listing %s in %q to find objects gitplane would take over: %w", m.Resource.GroupResource(), k.ns, err)
	}
	byName := make(map[string]*metav1.ObjectMeta, len(list.Items))
	for j := range list.Items {
		byName[list.Items[j].Name] = &list.Items[j].ObjectMeta
	}
	for _, i := range idx {
		if om := byName[plan.Changes[i].Ref.Name]; om != nil {
			put(i, metadataWithFields(k.gvk, om))
		}
	}
	return nil
}
