package engine

import (
	"context"
	"fmt"
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
	// locally are dry-run, and apply reports diffs from the server's answers.
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
	if err := e.readStale(ctx, live, desired, inv, req.Prune); err != nil {
		return nil, err
	}
	var notOwned []Change
	if req.Prune {
		notOwned = disowned(req.Environment, desired, live, inv)
	}
	plan := Reconcile(req.Environment, desired, live, inv.without(refsOf(notOwned)), req.PlanOptions)
	plan.Inventory = inv
	plan.Cluster = req.Cluster
	plan.addDeletions(notOwned)
	if err := e.checkCreates(ctx, plan); err != nil {
		return nil, err
	}
	if err := e.readBodies(ctx, plan, req.Diffs); err != nil {
		return nil, err
	}
	if err := e.guardNamespaces(ctx, plan); err != nil {
		return nil, err
	}
	if err := e.settle(ctx, plan, req); err != nil {
		return nil, err
	}
	return plan, nil
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

// readBodies reads the whole live object where the metadata was not enough
// to decide, or where a deletion's diff is wanted, and decides again.
func (e *Engine) readBodies(ctx context.Context, plan *Plan, diffs bool) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for i := range plan.Changes {
		c := &plan.Changes[i]
		deletion := c.Action == ActionDelete && c.Guard != GuardNotOwned && diffs
		if !c.needsBody && !deletion {
			continue
		}
		g.Go(func() error {
			full, err := e.getLive(gctx, c.Ref)
			if err != nil {
				return err
			}
			if deletion {
				if full != nil {
					c.Live = full
				}
				return nil
			}
			obs, _ := plan.Inventory.Observed(c.Ref)
			*c = compareObject(c.Ref, c.Desired, full, false, obs)
			return nil
		})
	}
	return g.Wait()
}

// settle asks the server, with a dry-run apply, about the changes that need
// it: undecided ones (is the difference real?) and, when diffs are wanted,
// every create and configure. It records diffs, immutable fields and errors.
func (e *Engine) settle(ctx context.Context, plan *Plan, req PlanRequest) error {
	creating := namespacesCreated(plan)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for i := range plan.Changes {
		c := &plan.Changes[i]
		if c.Action == ActionDelete {
			if req.Diffs && c.Guard != GuardNotOwned {
				d, err := unifiedDiff(c.Ref, c.Live, nil)
				if err != nil {
					return err
				}
				c.Diff = d
			}
			continue
		}
		if !c.undecided && (!req.Diffs || c.Action == ActionUnchanged) {
			continue
		}
		if creating[c.Ref.Namespace] {
			// Its namespace does not exist yet, so the server cannot dry-run
			// it; the diff shows the object as rendered.
			if err := setDiff(c, c.Desired); err != nil {
				return err
			}
			continue
		}
		g.Go(func() error { return e.settleOne(gctx, c, req) })
	}
	return g.Wait()
}

func (e *Engine) settleOne(ctx context.Context, c *Change, req PlanRequest) error {
	result, err := e.applyOne(ctx, c.Desired, applyCall{dryRun: true, force: req.ForceConflicts, forceDrift: true, live: c.Live})
	switch {
	case err == nil:
	case meta.IsNoMatchError(err) && c.Action == ActionCreate:
		// The kind's CRD is created by this same apply.
		return setDiff(c, c.Desired)
	case isImmutable(err):
		c.Immutable = immutableFields(err)
		c.Recreate = allowRecreate(c.Desired)
		c.Risks = append(c.Risks, recreateRisk(c))
		c.undecided = false
		if c.Action == ActionUnchanged {
			c.Action = ActionConfigure
		}
		return setDiff(c, c.Desired)
	case isObjection(err):
		c.setError(err)
		c.undecided = false
		return nil
	default:
		return fmt.Errorf("dry-run of %s: %w", c.Ref, err)
	}
	if c.undecided {
		c.undecided = false
		if SameObject(c.Live, result) {
			c.Action, c.Drift = ActionUnchanged, false
			return nil
		}
	}
	return setDiff(c, result)
}

func setDiff(c *Change, after *unstructured.Unstructured) error {
	d, err := unifiedDiff(c.Ref, c.Live, after)
	if err != nil {
		return err
	}
	c.Diff = d
	return nil
}

// namespacesCreated returns the namespaces the plan creates.
func namespacesCreated(plan *Plan) map[string]bool {
	out := map[string]bool{}
	for _, c := range plan.Changes {
		if c.Ref.Kind == "Namespace" && c.Ref.Group == "" && c.Action == ActionCreate {
			out[c.Ref.Name] = true
		}
	}
	return out
}
