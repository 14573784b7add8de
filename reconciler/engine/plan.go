package engine

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is what a sync does to one object.
type Action string

// The actions of a Plan, named as kubectl and Flux report them.
// ActionTakeOver applies an object that exists in the cluster but is not
// managed by this Environment (created by hand or by another tool): apply
// labels it and takes the fields gitplane sets.
const (
	ActionCreate    Action = "created"
	ActionTakeOver  Action = "taken over"
	ActionConfigure Action = "configured"
	ActionUnchanged Action = "unchanged"
	ActionDelete    Action = "deleted"
)

// TakeOverRisk is the risk every ActionTakeOver change carries.
const TakeOverRisk = "takes over an object not managed by this Environment"

// Guard names what kept a change from being carried out (Change.Guard).
type Guard string

// The guards of a Plan. GuardEmptyRender and GuardPruneShare block every
// deletion of the plan (Plan.PruneGuard); the others one object each.
const (
	GuardEmptyRender    Guard = "empty-render"     // the render is empty (AllowEmptyRender)
	GuardPruneShare     Guard = "prune-share"      // more than PruneShareLimit of the inventory (AllowLargePrune)
	GuardPruneDisabled  Guard = "prune-disabled"   // annotated gitplane.dev/prune: disabled
	GuardNamespaceInUse Guard = "namespace-in-use" // a Namespace holding objects gitplane does not own, or that it cannot list
	GuardNotOwned       Guard = "not-owned"        // the live object is not this Environment's (see docs/operations.md)
)

// Allow names what would let a held-back change through. The engine does
// not say how a caller grants it: the CLI has flags, serve reads
// annotations in Git.
type Allow string

// What the engine can be allowed to do.
const (
	// AllowEmptyRender lets an empty render prune (PlanOptions.AllowEmpty).
	AllowEmptyRender Allow = "empty-render"
	// AllowLargePrune lets a prune delete more than PruneShareLimit of the
	// inventory (PlanOptions.ConfirmPrune).
	AllowLargePrune Allow = "large-prune"
	// AllowForceConflicts takes fields another server-side applier manages
	// (PlanOptions.ForceConflicts, which the plan keeps for Apply).
	AllowForceConflicts Allow = "force-conflicts"
	// AllowRecreate deletes and recreates an object to change its immutable
	// fields (AnnotationForce "true" on the object).
	AllowRecreate Allow = "recreate"
)

// Block says why a change is not carried out and what would allow it; the
// zero Block blocks nothing. Reason is plain English without advice
// ("prune would delete 12 of 40 inventory objects (more than 25%)"); the
// caller says how to give Allow in its own terms. Allow is empty when only
// a change in Git or in the cluster can lift the guard.
type Block struct {
	Guard  Guard  `json:"guard,omitempty"`
	Reason string `json:"blocked,omitempty"`
	Allow  Allow  `json:"allow,omitempty"`
}

// Blocked reports whether the block holds a change back.
func (b Block) Blocked() bool { return b.Guard != "" }

// PruneGuard is the guard that held back every deletion of a plan: an
// empty render, or a prune of too large a share of the inventory.
type PruneGuard struct {
	Block
	Deletions int `json:"deletions"` // the deletions it held back
	Inventory int `json:"inventory"` // the objects the inventory recorded
}

// Change is one object's entry in a Plan.
type Change struct {
	Ref    Ref    `json:"ref"`
	Action Action `json:"action"`
	// Desired is the object to apply (nil for deletions). Live is the object
	// in the cluster (nil for creations). Both are redacted copies when the
	// plan is printed; the engine keeps the originals.
	Desired *unstructured.Unstructured `json:"-"`
	Live    *unstructured.Unstructured `json:"-"`
	// Diff is a unified diff of the live object against what the server
	// would make of the desired one; Secret values are redacted.
	Diff string `json:"diff,omitempty"`
	// Drift says the object differs from what gitplane last applied: it was
	// changed in the cluster.
	Drift bool `json:"drift,omitempty"`
	// Immutable lists fields the change needs to alter that the API server
	// does not allow to change in place (e.g. spec.selector).
	Immutable []string `json:"immutable,omitempty"`
	// Recreate says the object will be deleted and created again to change
	// its immutable fields (it opted in with gitplane.dev/force: "true").
	Recreate bool `json:"recreate,omitempty"`
	// Block says which guard keeps the change from being carried out,
	// why, and what would allow it (zero: nothing does).
	Block
	// Conflicts are the fields another server-side applier manages that
	// the change needs (its Error is then a *ConflictError's).
	Conflicts []FieldConflict `json:"conflicts,omitempty"`
	// Risks name what makes the change dangerous, for previews.
	Risks []string `json:"risks,omitempty"`
	// Error is the server's objection (found by the dry-run while planning,
	// or when applying), starting with the object's Ref; Secret values are
	// redacted.
	Error string `json:"error,omitempty"`

	// What planning still has to find out, as Reconcile leaves it: the
	// engine's planning steps answer it, so no change of a plan Plan
	// returns has either set.
	undecided bool // hash matches but fields differ: only the server can tell
	needsBody bool // Live is metadata only; the body is needed to decide
	foreign   bool // the object belongs to another Environment: apply refuses the plan
}

// block records that a guard keeps the change from being carried out.
func (c *Change) block(g Guard, why string) {
	c.Block = Block{Guard: g, Reason: why}
}

// Plan is the result of comparing rendered objects with the cluster: one
// Change per object, in apply order (deletions last, in reverse order).
type Plan struct {
	Environment string   `json:"environment"`
	Changes     []Change `json:"changes"`
	// PruneGuard, when set, held back every deletion of the plan (each
	// carries its Block too).
	PruneGuard *PruneGuard `json:"pruneGuard,omitempty"`
	// Unpruned counts the objects that left Git and are still in the
	// cluster, left alone because the plan was made without Prune.
	Unpruned int `json:"unpruned,omitempty"`
	// Inventory is what gitplane recorded for the Environment before this
	// plan; the engine reads it to prune.
	Inventory Inventory `json:"-"`
	// Cluster is the cluster the plan was made for (PlanRequest.Cluster).
	Cluster Cluster `json:"-"`
	// ForceConflicts and Diffs are what the plan was made with
	// (PlanOptions.ForceConflicts, PlanRequest.Diffs); Apply carries the
	// plan out with them: it takes the conflicting fields the plan's
	// dry-runs took, and reports diffs from the server's answers.
	ForceConflicts bool `json:"-"`
	Diffs          bool `json:"-"`
}

// setError records err as the change's error (see Change.Error), and the
// fields of a conflict or an immutable change it reports.
func (c *Change) setError(err error) {
	var ce *ConflictError
	if errors.As(err, &ce) {
		c.Conflicts = ce.Conflicts
	}
	var ie *ImmutableError
	if errors.As(err, &ie) {
		c.Immutable = ie.Fields
	}
	msg := RedactText(err.Error(), c.Desired, c.Live)
	if !strings.HasPrefix(msg, c.Ref.String()) {
		msg = c.Ref.String() + ": " + msg
	}
	c.Error = msg
}

// Summary counts a Plan's changes by action.
type Summary struct {
	Create    int `json:"create"`
	TakeOver  int `json:"takeOver,omitempty"`
	Configure int `json:"update"`
	Delete    int `json:"delete"`
	Unchanged int `json:"unchanged"`
	Blocked   int `json:"blocked,omitempty"`
}

// Summary counts the plan's actions. Blocked deletions are not counted as
// deletions.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
		if c.Blocked() {
			s.Blocked++
			continue
		}
		switch c.Action {
		case ActionCreate:
			s.Create++
		case ActionTakeOver:
			s.TakeOver++
		case ActionConfigure:
			s.Configure++
		case ActionDelete:
			s.Delete++
		case ActionUnchanged:
			s.Unchanged++
		}
	}
	return s
}

// HasChanges reports whether applying the plan would write anything.
func (p *Plan) HasChanges() bool {
	s := p.Summary()
	return s.Create+s.TakeOver+s.Configure+s.Delete > 0
}

// PruneBlocked reports whether a guard kept any deletion from being carried
// out (the changes' Guard says which).
func (p *Plan) PruneBlocked() bool {
	for _, c := range p.Changes {
		if c.Action == ActionDelete && c.Blocked() {
			return true
		}
	}
	return false
}

// String is the summary line kubectl users know: "1 to create, 2 to update,
// 0 to delete, 40 unchanged" ("1 to create, 1 to take over, ..." when the
// plan takes objects over).
func (s Summary) String() string {
	return s.format("to create", "to take over", "to update", "to delete")
}

// Past is the summary of a sync that happened: "1 created, 2 updated, 0
// deleted, 40 unchanged".
func (s Summary) Past() string {
	return s.format("created", "taken over", "updated", "deleted")
}

// format writes the counts with the words for each action; take-overs and
// blocked changes only when there are any.
func (s Summary) format(create, takeOver, update, del string) string {
	out := fmt.Sprintf("%d %s, ", s.Create, create)
	if s.TakeOver > 0 {
		out += fmt.Sprintf("%d %s, ", s.TakeOver, takeOver)
	}
	out += fmt.Sprintf("%d %s, %d %s, %d unchanged", s.Configure, update, s.Delete, del, s.Unchanged)
	if s.Blocked > 0 {
		out += fmt.Sprintf(", %d blocked", s.Blocked)
	}
	return out
}

// Errors returns the changes the server rejected while planning.
func (p *Plan) Errors() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Error != "" {
			out = append(out, c)
		}
	}
	return out
}
