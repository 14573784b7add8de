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

// readStale returns live with the inventory objects that are no longer
// rendered read again, with their managedFields: those a prune would delete
// (their ownership is checked), and those the labelled lists did not return
// (someone removed gitplane's label), so the plan can say they are still
// there. live itself is left as it is.
func (e *Engine) readStale(ctx context.Context, live Live, desired []*unstructured.Unstructured, inv Inventory, prune bool) (Live, error) {
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
		return Live{}, err
	}
	return live.with(refs, objs), nil
}

// with returns a copy of live in which each of refs is the metadata-only
// object read of it, or absent where none was (objs[i] nil).
func (l Live) with(refs []Ref, objs []*unstructured.Unstructured) Live {
	if len(refs) == 0 {
		return l
	}
	out := Live{Objects: maps.Clone(l.Objects), MetadataOnly: maps.Clone(l.MetadataOnly)}
	if out.Objects == nil {
		out.Objects = map[ID]*unstructured.Unstructured{}
	}
	if out.MetadataOnly == nil {
		out.MetadataOnly = map[ID]bool{}
	}
	for i, ref := range refs {
		if objs[i] == nil {
			delete(out.Objects, ref.ID())
			delete(out.MetadataOnly, ref.ID())
			continue
		}
		out.Objects[ref.ID()] = objs[i]
		out.MetadataOnly[ref.ID()] = true
	}
	return out
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

// withDeletions returns changes with extra deletions among its own, which
// come last in reverse apply order.
func withDeletions(changes, extra []Change) []Change {
	if len(extra) == 0 {
		return changes
	}
	out := slices.Concat(changes, extra)
	first := slices.IndexFunc(out, func(c Change) bool { return c.Action == ActionDelete })
	slices.SortStableFunc(out[first:], func(a, b Change) int { return compareRefs(b.Ref, a.Ref) })
	return out
}

// checkCreates looks in the cluster for the objects the changes would
// create, which the lists of the Environment's labelled objects did not
// return, and returns the changes as what it found decides them. An object
// labelled for, or recorded in the inventory of, another Environment is an
// error of the plan (Apply refuses it); one this Environment applied before
// and lost its label is compared as usual; any other is taken over
// (ActionTakeOver), with its body read for the diff.
func (e *Engine) checkCreates(ctx context.Context, env string, inv Inventory, changes []Change) ([]Change, error) {
	found, err := e.findExisting(ctx, changes)
	if err != nil || len(found) == 0 {
		return changes, err
	}
	out := slices.Clone(changes)
	var owners map[string]Inventory
	for _, i := range slices.Sorted(maps.Keys(found)) {
		c, o := changes[i], found[i]
		owner := environmentOf(o)
		if owner == "" && appliedByGitplane(o) && !inv.Has(c.Ref) {
			if owners == nil {
				if owners, err = e.inventoryOwners(ctx); err != nil {
					return nil, err
				}
			}
			if other := recordedBy(owners, c.Ref, env); other != "" {
				c.rejectForeign(other, "recorded in its inventory")
				out[i] = c
				continue
			}
		}
		switch {
		case owner != "" && owner != env:
			c.rejectForeign(owner, fmt.Sprintf("labelled %s=%s", LabelEnvironment, owner))
		case owner == env || owner == "" && inv.Has(c.Ref) && appliedByGitplane(o):
			obs, _ := inv.Observed(c.Ref)
			c = compareObject(c.Ref, c.Desired, o, true, obs)
		default:
			full, err := e.getLive(ctx, c.Ref)
			if err != nil {
				return nil, err
			}
			if full == nil {
				continue // deleted in between: created after all
			}
			c.Action, c.Live = ActionTakeOver, full
			c.Risks = append(slices.Clip(c.Risks), takeOverRisk(o))
		}
		out[i] = c
	}
	return out, nil
}

type kindInNamespace struct {
	gvk schema.GroupVersionKind
	ns  string
}

// findExisting returns, by change index, the live objects (metadata with
// managedFields) of the changes that create, where they exist. Namespaces
// are looked up first: nothing exists in one that does not.
func (e *Engine) findExisting(ctx context.Context, changes []Change) (map[int]*unstructured.Unstructured, error) {
	var nsIdx, rest []int
	for i, c := range changes {
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
	if err := e.getEach(ctx, changes, nsIdx, put); err != nil {
		return nil, err
	}
	absent := map[string]bool{}
	for _, i := range nsIdx {
		if found[i] == nil {
			absent[changes[i].Ref.Name] = true
		}
	}
	groups := map[kindInNamespace][]int{}
	for _, i := range rest {
		r := changes[i].Ref
		if r.Namespace == "" || !absent[r.Namespace] {
			k := kindInNamespace{r.GVK(), r.Namespace}
			groups[k] = append(groups[k], i)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for k, idx := range groups {
		if len(idx) <= listAbove {
			g.Go(func() error { return e.getEach(gctx, changes, idx, put) })
			continue
		}
		g.Go(func() error { return e.listEach(gctx, changes, k, idx, put) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return found, nil
}

// getEach reads the live metadata of each indexed change's object.
func (e *Engine) getEach(ctx context.Context, changes []Change, idx []int, put func(int, *unstructured.Unstructured)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for _, i := range idx {
		g.Go(func() error {
			o, err := e.getMeta(gctx, changes[i].Ref)
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
func (e *Engine) listEach(ctx context.Context, changes []Change, k kindInNamespace, idx []int, put func(int, *unstructured.Unstructured)) error {
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
		if om := byName[changes[i].Ref.Name]; om != nil {
			put(i, metadataWithFields(k.gvk, om))
		}
	}
	return nil
}
