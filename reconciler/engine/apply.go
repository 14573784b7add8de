package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ApplyOptions say how to carry out a Plan. What the plan was made with
// (Plan.ForceConflicts, Plan.Diffs) it is carried out with.
type ApplyOptions struct {
	// DryRun sends every write as a server-side dry-run: nothing changes.
	DryRun bool
	// Wait is how long to wait for the applied objects to become healthy
	// (DefaultWait is apply --wait's); 0 does not wait.
	Wait time.Duration
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
	out.Changes = slices.Clone(plan.Changes)
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
	done := newResults()
	for stage := range 3 {
		outcomes, err := e.applyStage(ctx, &out, stage, opts)
		done.record(&out, outcomes)
		if err != nil {
			return &out, err
		}
	}
	done.record(&out, e.prune(ctx, &out, opts.DryRun))
	if ctx.Err() != nil {
		return &out, fmt.Errorf("sync of %s interrupted: %w", env, context.Cause(ctx))
	}
	if !opts.DryRun {
		if _, err := e.updateInventory(ctx, env, stored, finalEdit(&out, plan.Inventory, done)); err != nil {
			return &out, err
		}
	}
	if len(done.failed) > 0 {
		return &out, &ApplyError{Failed: done.failed}
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

// outcome is what carrying out one change of a plan came to.
type outcome struct {
	index    int       // of the change in Plan.Changes
	change   Change    // the change as carried out: action, diff, guard
	observed *Observed // the object right after this sync applied it
	gone     bool      // the object no longer exists (prune)
	err      error
}

// results collects the outcomes of a sync.
type results struct {
	failed   []Change
	refused  map[ID]bool // the server refused this sync's write of the object
	observed map[ID]Observed
	deleted  []Ref
}

func newResults() *results {
	return &results{refused: map[ID]bool{}, observed: map[ID]Observed{}}
}

// record puts the outcomes in the plan Apply returns, and collects them.
func (r *results) record(plan *Plan, outcomes []outcome) {
	for _, o := range outcomes {
		c := o.change
		if o.err != nil {
			c.setError(o.err)
			r.refused[c.Ref.ID()] = isObjection(o.err)
			r.failed = append(r.failed, c)
		}
		if o.observed != nil {
			r.observed[c.Ref.ID()] = *o.observed
		}
		if o.gone {
			r.deleted = append(r.deleted, c.Ref)
		}
		plan.Changes[o.index] = c
	}
}

// finalEdit is what the sync leaves in the inventory: the rendered objects
// and what it observed of those it applied, without what it deleted, the
// objects that turned out not to be the Environment's, and the objects the
// server refused that were not the Environment's before (an object whose
// apply failed on a conflict is someone else's). Objects whose outcome is
// unknown (the request was cut off) stay: prune checks the live object.
func finalEdit(plan *Plan, base Inventory, done *results) inventoryEdit {
	add := NewInventory()
	remove := slices.Clone(done.deleted)
	for i := range plan.Changes {
		c := &plan.Changes[i]
		switch {
		case c.Action == ActionDelete:
			if c.Guard == GuardNotOwned {
				remove = append(remove, c.Ref)
			}
		case done.refused[c.Ref.ID()] && !ownedBefore(c, base, plan.Environment):
			remove = append(remove, c.Ref)
		default:
			add.refs[c.Ref.ID()] = c.Ref
		}
	}
	return inventoryEdit{add: add.WithObserved(done.observed), remove: remove}
}

// applyStage applies the stage's created and configured objects in
// parallel, then waits for what the next stage needs. It returns what
// became of each; plan is only read.
func (e *Engine) applyStage(ctx context.Context, plan *Plan, stage int, opts ApplyOptions) ([]outcome, error) {
	var (
		todo []int
		crds []*unstructured.Unstructured
	)
	for i, c := range plan.Changes {
		if c.Ref.stage() != stage || c.Blocked() || (c.Action != ActionCreate && c.Action != ActionTakeOver && c.Action != ActionConfigure) {
			continue
		}
		if c.Ref.Kind == "CustomResourceDefinition" {
			crds = append(crds, c.Desired)
		}
		todo = append(todo, i)
	}
	outcomes := e.each(ctx, todo, func(ctx context.Context, i int) outcome {
		c, obs, err := e.applyChange(ctx, plan, plan.Changes[i], opts)
		return outcome{index: i, change: c, observed: obs, err: err}
	})
	if ctx.Err() != nil {
		return outcomes, fmt.Errorf("sync of %s interrupted: %w", plan.Environment, context.Cause(ctx))
	}
	if len(crds) > 0 && !opts.DryRun {
		if err := e.waitEstablished(ctx, crds); err != nil {
			return outcomes, err
		}
		e.mapper.Reset()
	}
	return outcomes, nil
}

// each runs do for every change index in todo, at most
// Options.Concurrency at a time, and returns the outcomes in todo's order.
func (e *Engine) each(ctx context.Context, todo []int, do func(ctx context.Context, i int) outcome) []outcome {
	outcomes := make([]outcome, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for k, i := range todo {
		g.Go(func() error {
			outcomes[k] = do(gctx, i)
			return nil
		})
	}
	_ = g.Wait()
	return outcomes
}

// applyChange applies one object of plan, with what the plan was made with
// (ForceConflicts, Diffs), recreating it when an immutable field changes and
// that is allowed. It returns the change as carried out (when the plan was
// made with Diffs, its diff from the server's answer) and, unless
// dry-running, what the object looks like after it.
func (e *Engine) applyChange(ctx context.Context, plan *Plan, c Change, opts ApplyOptions) (Change, *Observed, error) {
	result, err := e.applyOne(ctx, c.Desired, applyCall{dryRun: opts.DryRun, force: plan.ForceConflicts, forceDrift: true, live: c.Live})
	if isImmutable(err) {
		c.Immutable = immutableFields(err)
		if !c.Recreate && !allowRecreate(c.Desired) {
			return c, nil, &ImmutableError{Ref: c.Ref, Fields: c.Immutable}
		}
		c.Recreate = true
		if opts.DryRun {
			return c, nil, nil
		}
		result, err = e.recreate(ctx, c)
	}
	if err != nil {
		return c, nil, err
	}
	var obs *Observed
	if !opts.DryRun {
		obs = &Observed{ResourceVersion: result.GetResourceVersion(), Generation: result.GetGeneration()}
	}
	if phase, _, _ := unstructured.NestedString(result.Object, "status", "phase"); c.Ref.Kind == "Namespace" && phase == "Terminating" {
		return c, obs, fmt.Errorf("%s is terminating; objects cannot be created in it until it is gone", c.Ref)
	}
	if c.Action == ActionConfigure && c.Live != nil && SameObject(c.Live, result) {
		// Only the server could tell: the difference was normalisation.
		c.Action, c.Drift = ActionUnchanged, false
	}
	if plan.Diffs && c.Diff == "" && c.Action != ActionUnchanged {
		d, err := unifiedDiff(c.Ref, c.Live, result)
		if err != nil {
			return c, obs, err
		}
		c.Diff = d
	}
	return c, obs, nil
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

func desiredObjects(plan *Plan) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, c := range plan.Changes {
		if c.Desired != nil && !c.Blocked() {
			out = append(out, c.Desired)
		}
	}
	return out
}
