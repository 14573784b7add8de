package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PlanRequest is what to plan: the rendered objects of one Environment.
type PlanRequest struct {
	Environment string
	Objects     []*unstructured.Unstructured
	PlanOptions
	// Diffs asks for a diff of every created and configured object, made
	// with a server-side dry-run (one request per changed object, as kubectl
	// diff). Without it only the objects whose comparison cannot be decided
	// locally are dry-run. The plan records it (Plan.Diffs): Apply then
	// also reports diffs from the server's answers.
	Diffs bool
	// Cluster is the EKS cluster the Environment names (spec.cluster).
	// When set, Plan fails with a *ClusterMismatchError if the API server
	// is recorded as another cluster, and Apply records it on the first
	// sync that writes. The CLI and serve always set it.
	Cluster Cluster
}

// Plan compares the rendered objects with the cluster: it reads the
// inventory and lists the live objects of every kind involved (one request
// per kind), decides locally what it can and asks the server (dry-run) about
// the rest. Objects it would create are looked up first: another
// Environment's are errors of the plan, others are taken over. Deletions
// are checked against the live objects: only the Environment's own are
// deleted. Rendered objects that collide with gitplane's own
// (*ReservedError) stop it at once. It writes nothing.
func (e *Engine) Plan(ctx context.Context, req PlanRequest) (*Plan, error) {
	if err := CheckReserved(req.Objects); err != nil {
		return nil, err
	}
	start := time.Now()
	desired, err := e.hashes.annotate(req.Environment, req.Objects)
	if err != nil {
		return nil, err
	}
	hashed := time.Now()
	if err := e.checkCluster(ctx, req.Environment, req.Cluster, false); err != nil {
		return nil, err
	}
	inv, err := e.ReadInventory(ctx, req.Environment)
	if err != nil {
		return nil, err
	}
	read := time.Now()
	live, err := e.listMetadata(ctx, req.Environment, kindsOf(desired, inv), inv.newestObserved())
	if err != nil {
		return nil, err
	}
	e.opts.Logger.Debug("read cluster state", "env", req.Environment, "objects", len(desired),
		"hash", hashed.Sub(start), "inventory", read.Sub(hashed), "list", time.Since(read))
	if live, err = e.readStale(ctx, live, desired, inv, req.Prune); err != nil {
		return nil, err
	}
	var notOwned []Change
	if req.Prune {
		notOwned = disowned(req.Environment, desired, live, inv)
	}
	compared := Reconcile(req.Environment, desired, live, inv.without(refsOf(notOwned)), req.PlanOptions)
	changes := withDeletions(compared.Changes, notOwned)
	if changes, err = e.checkCreates(ctx, req.Environment, inv, changes); err != nil {
		return nil, err
	}
	if changes, err = e.readBodies(ctx, inv, changes, req.Diffs); err != nil {
		return nil, err
	}
	if changes, err = e.guardNamespaces(ctx, req.Environment, changes); err != nil {
		return nil, err
	}
	if changes, err = e.settle(ctx, changes, req); err != nil {
		return nil, err
	}
	return &Plan{Environment: req.Environment, Changes: changes, PruneGuard: compared.PruneGuard, Unpruned: compared.Unpruned,
		Inventory: inv, Cluster: req.Cluster, ForceConflicts: req.ForceConflicts, Diffs: req.Diffs}, nil
}

// kindsOf returns every kind rendered or recorded in the inventory.
func kindsOf(desired []*unstructured.Unstructured, inv Inventory) map[schema.GroupVersionKind]bool {
	kinds := map[schema.GroupVersionKind]bool{}
	for _, o := range desired {
		kinds[o.GroupVersionKind()] = true
	}
	for _, r := range inv.refs {
		kinds[r.GVK()] = true
	}
	return kinds
}

func refsOf(changes []Change) []Ref {
	out := make([]Ref, len(changes))
	for i, c := range changes {
		out[i] = c.Ref
	}
	return out
}

// revise returns changes with each change that need selects replaced by
// what decide makes of it; decide runs in parallel (Options.Concurrency at
// a time). changes itself is left as it is: it is returned unchanged when
// need selects nothing.
func (e *Engine) revise(ctx context.Context, changes []Change, need func(Change) bool, decide func(context.Context, Change) (Change, error)) ([]Change, error) {
	var out []Change
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for i, c := range changes {
		if !need(c) {
			continue
		}
		if out == nil {
			out = slices.Clone(changes)
		}
		g.Go(func() error {
			d, err := decide(gctx, c)
			out[i] = d // each goroutine its own element
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if out == nil {
		return changes, nil
	}
	return out, nil
}

// readBodies reads the whole live object where the metadata was not enough
// to decide (needsBody), and decides again; and, when diffs are wanted,
// that of every deletion.
func (e *Engine) readBodies(ctx context.Context, inv Inventory, changes []Change, diffs bool) ([]Change, error) {
	need := func(c Change) bool {
		return c.needsBody || c.Action == ActionDelete && c.Guard != GuardNotOwned && diffs
	}
	return e.revise(ctx, changes, need, func(ctx context.Context, c Change) (Change, error) {
		full, err := e.getLive(ctx, c.Ref)
		if err != nil {
			return c, err
		}
		return withBody(c, full, inv), nil
	})
}

// withBody is the change as the whole live object (nil: gone) decides it.
// A deletion keeps its action: the body is for its diff.
func withBody(c Change, full *unstructured.Unstructured, inv Inventory) Change {
	if c.Action == ActionDelete {
		if full != nil {
			c.Live = full
		}
		return c
	}
	obs, _ := inv.Observed(c.Ref)
	return compareObject(c.Ref, c.Desired, full, false, obs)
}

// settle asks the server, with a dry-run apply, about the changes that need
// it: undecided ones (is the difference real?) and, when diffs are wanted,
// every create and configure. It records diffs, immutable fields and errors;
// every change it returns is decided.
func (e *Engine) settle(ctx context.Context, changes []Change, req PlanRequest) ([]Change, error) {
	creating := namespacesCreated(changes)
	need := func(c Change) bool {
		if c.Action == ActionDelete {
			return req.Diffs && c.Guard != GuardNotOwned
		}
		return c.undecided || req.Diffs && c.Action != ActionUnchanged
	}
	return e.revise(ctx, changes, need, func(ctx context.Context, c Change) (Change, error) {
		switch {
		case c.Action == ActionDelete:
			return withDiff(c, nil)
		case creating[c.Ref.Namespace]:
			// Its namespace does not exist yet, so the server cannot dry-run
			// it; the diff shows the object as rendered.
			return withDiff(c, c.Desired)
		}
		return e.settleOne(ctx, c, req.ForceConflicts)
	})
}

// settleOne is the change as the server's dry-run of it decides it.
func (e *Engine) settleOne(ctx context.Context, c Change, force bool) (Change, error) {
	result, err := e.applyOne(ctx, c.Desired, applyCall{dryRun: true, force: force, forceDrift: true, live: c.Live})
	switch {
	case err == nil:
	case meta.IsNoMatchError(err) && c.Action == ActionCreate:
		// The kind's CRD is created by this same apply.
		return withDiff(c, c.Desired)
	case isImmutable(err):
		c.Immutable = immutableFields(err)
		c.Recreate = allowRecreate(c.Desired)
		c.Risks = append(slices.Clip(c.Risks), recreateRisk(&c))
		c.undecided = false
		if c.Action == ActionUnchanged {
			c.Action = ActionConfigure
		}
		return withDiff(c, c.Desired)
	case isObjection(err):
		c.setError(err)
		c.undecided = false
		return c, nil
	default:
		return c, fmt.Errorf("dry-run of %s: %w", c.Ref, err)
	}
	if c.undecided {
		c.undecided = false
		if SameObject(c.Live, result) {
			c.Action, c.Drift = ActionUnchanged, false
			return c, nil
		}
	}
	return withDiff(c, result)
}

// withDiff is the change with the diff of its live object against after.
func withDiff(c Change, after *unstructured.Unstructured) (Change, error) {
	d, err := unifiedDiff(c.Ref, c.Live, after)
	if err != nil {
		return c, err
	}
	c.Diff = d
	return c, nil
}

// namespacesCreated returns the namespaces the plan creates.
func namespacesCreated(changes []Change) map[string]bool {
	out := map[string]bool{}
	for _, c := range changes {
		if c.Ref.Kind == "Namespace" && c.Ref.Group == "" && c.Action == ActionCreate {
			out[c.Ref.Name] = true
		}
	}
	return out
}
