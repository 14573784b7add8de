package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ApplyOptions say how to carry out a Plan.
type ApplyOptions struct {
	// DryRun sends every write as a server-side dry-run: nothing changes.
	DryRun bool
	// ForceConflicts takes ownership of fields other appliers manage.
	ForceConflicts bool
	// Wait, when positive, waits up to this long for the applied objects to
	// become healthy.
	Wait time.Duration
	// Diffs records in each change the diff of the live object against the
	// server's answer (which costs a YAML rendering of both per object).
	Diffs bool
}

// ApplyError lists the objects a sync could not apply, prune or bring to
// health. The rest of the sync was carried out.
type ApplyError struct {
	Failed []Change
}

func (e *ApplyError) Error() string {
	msgs := make([]string, 0, len(e.Failed))
	for _, c := range e.Failed {
		msgs = append(msgs, c.Error)
	}
	if len(msgs) == 1 {
		return msgs[0]
	}
	return fmt.Sprintf("%d objects failed:\n  %s", len(msgs), strings.Join(msgs, "\n  "))
}

// Apply carries out a plan: it takes the Environment's Lease (unless ctx
// comes from Lock) when it has something to write, records the union of old
// and new objects in the inventory (so nothing created can be forgotten if
// the sync is cut short), applies in stages — CRDs and Namespaces, other
// cluster-scoped objects, namespaced objects — with bounded parallelism
// inside a stage, prunes what is still the Environment's, records the final
// inventory and, when asked, waits for health. Unchanged objects cost no
// request; a plan without changes writes nothing. A plan holding another
// Environment's objects is refused (*ForeignError) before any write. The
// returned plan is a copy with each change's outcome (diff from the
// server's answer, error).
func (e *Engine) Apply(ctx context.Context, plan *Plan, opts ApplyOptions) (*Plan, error) {
	out := *plan
	out.Changes = append([]Change(nil), plan.Changes...)
	if err := foreignError(&out); err != nil {
		return &out, err
	}
	env := plan.Environment
	rendered := inventoryEdit{add: renderedInventory(&out)}
	if !opts.DryRun && writes(&out, rendered) && !e.holds(ctx, env) {
		lctx, release, err := e.Lock(ctx, env)
		if err != nil {
			return &out, err
		}
		defer release()
		ctx = lctx
	}
	stored := plan.Inventory
	if !opts.DryRun && writes(&out, rendered) {
		if err := e.checkCluster(ctx, env, plan.Cluster, true); err != nil {
			return &out, err
		}
	}
	if !opts.DryRun {
		var err error
		if stored, err = e.updateInventory(ctx, env, stored, rendered); err != nil {
			return &out, err
		}
	}
	var (
		mu     sync.Mutex
		failed []Change
	)
	record := func(c *Change, err error) {
		if err == nil {
			return
		}
		c.setError(err)
		c.refused = isObjection(err)
		mu.Lock()
		failed = append(failed, *c)
		mu.Unlock()
	}
	for stage := range 3 {
		if err := e.applyStage(ctx, &out, stage, opts, record); err != nil {
			return &out, err
		}
	}
	deleted := e.prune(ctx, &out, opts.DryRun, record)
	if ctx.Err() != nil {
		return &out, fmt.Errorf("sync of %s interrupted: %w", env, context.Cause(ctx))
	}
	if !opts.DryRun {
		if _, err := e.updateInventory(ctx, env, stored, finalEdit(&out, plan.Inventory, deleted)); err != nil {
			return &out, err
		}
	}
	if len(failed) > 0 {
		return &out, &ApplyError{Failed: failed}
	}
	if opts.Wait > 0 && !opts.DryRun {
		if err := e.Wait(ctx, env, desiredObjects(&out), opts.Wait); err != nil {
			return &out, err
		}
	}
	return &out, nil
}

// writes reports whether applying the plan writes anything: objects, or the
// inventory (objects to record, or not-owned ones to drop).
func writes(plan *Plan, rendered inventoryEdit) bool {
	if plan.HasChanges() || !rendered.on(plan.Inventory).Equal(plan.Inventory) {
		return true
	}
	return slices.ContainsFunc(plan.Changes, func(c Change) bool { return c.Guard == GuardNotOwned })
}

// finalEdit is what the sync leaves in the inventory: the rendered objects
// and what it observed of those it applied, without what it deleted, the
// objects that turned out not to be the Environment's, and the objects the
// server refused that were not the Environment's before (an object whose
// apply failed on a conflict is someone else's). Objects whose outcome is
// unknown (the request was cut off) stay: prune checks the live object.
func finalEdit(plan *Plan, base Inventory, deleted []Ref) inventoryEdit {
	add := NewInventory()
	remove := slices.Clone(deleted)
	for i := range plan.Changes {
		c := &plan.Changes[i]
		switch {
		case c.Action == ActionDelete:
			if c.Guard == GuardNotOwned {
				remove = append(remove, c.Ref)
			}
		case c.refused && !ownedBefore(c, base, plan.Environment):
			remove = append(remove, c.Ref)
		default:
			add.refs[c.Ref.ID()] = c.Ref
		}
	}
	return inventoryEdit{add: add.WithObserved(observations(plan)), remove: remove}
}

// applyStage applies the stage's created and configured objects in
// parallel, then waits for what the next stage needs.
func (e *Engine) applyStage(ctx context.Context, plan *Plan, stage int, opts ApplyOptions, record func(*Change, error)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	var crds []*unstructured.Unstructured
	for i := range plan.Changes {
		c := &plan.Changes[i]
		if c.Ref.stage() != stage || c.Blocked() || (c.Action != ActionCreate && c.Action != ActionTakeOver && c.Action != ActionConfigure) {
			continue
		}
		if c.Ref.Kind == "CustomResourceDefinition" {
			crds = append(crds, c.Desired)
		}
		g.Go(func() error {
			record(c, e.applyChange(gctx, c, opts))
			return nil
		})
	}
	_ = g.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("sync of %s interrupted: %w", plan.Environment, context.Cause(ctx))
	}
	if len(crds) > 0 && !opts.DryRun {
		if err := e.waitEstablished(ctx, crds); err != nil {
			return err
		}
		e.mapper.Reset()
	}
	return nil
}

// applyChange applies one object, recreating it when an immutable field
// changes and that is allowed, and keeps the server's answer for the diff.
func (e *Engine) applyChange(ctx context.Context, c *Change, opts ApplyOptions) error {
	result, err := e.applyOne(ctx, c.Desired, applyCall{dryRun: opts.DryRun, force: opts.ForceConflicts, forceDrift: true, live: c.Live})
	if isImmutable(err) {
		c.Immutable = immutableFields(err)
		if !c.Recreate && !allowRecreate(c.Desired) {
			return &ImmutableError{Ref: c.Ref, Fields: c.Immutable}
		}
		c.Recreate = true
		if opts.DryRun {
			return nil
		}
		result, err = e.recreate(ctx, c)
	}
	if err != nil {
		return err
	}
	if !opts.DryRun {
		c.observed = &Observed{ResourceVersion: result.GetResourceVersion(), Generation: result.GetGeneration()}
	}
	if phase, _, _ := unstructured.NestedString(result.Object, "status", "phase"); c.Ref.Kind == "Namespace" && phase == "Terminating" {
		return fmt.Errorf("%s is terminating; objects cannot be created in it until it is gone", c.Ref)
	}
	if c.Action == ActionConfigure && c.Live != nil && SameObject(c.Live, result) {
		// Only the server could tell: the difference was normalisation.
		c.Action, c.Drift = ActionUnchanged, false
	}
	if opts.Diffs && c.Diff == "" && c.Action != ActionUnchanged {
		d, derr := unifiedDiff(c.Ref, c.Live, result)
		if derr != nil {
			return derr
		}
		c.Diff = d
	}
	return nil
}

func renderedInventory(plan *Plan) Inventory {
	inv := NewInventory()
	for _, c := range plan.Changes {
		if c.Action != ActionDelete {
			inv.refs[c.Ref.ID()] = c.Ref
		}
	}
	return inv
}

// observations collects what this sync saw of the objects it applied.
func observations(plan *Plan) map[ID]Observed {
	out := map[ID]Observed{}
	for _, c := range plan.Changes {
		if c.observed != nil {
			out[c.Ref.ID()] = *c.observed
		}
	}
	return out
}

func desiredObjects(plan *Plan) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, c := range plan.Changes {
		if c.Desired != nil && !c.Blocked() {
			out = append(out, c.Desired)
		}
	}
	return out
}
