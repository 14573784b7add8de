package engine

import (
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
// deletion of the plan; the others one object each.
const (
	GuardEmptyRender    Guard = "empty-render"     // the render is empty (--allow-empty)
	GuardPruneShare     Guard = "prune-share"      // more than PruneShareLimit of the inventory (--confirm-prune)
	GuardPruneDisabled  Guard = "prune-disabled"   // annotated gitplane.dev/prune: disabled
	GuardNamespaceInUse Guard = "namespace-in-use" // a Namespace holding objects gitplane does not own, or that it cannot list
	GuardNotOwned       Guard = "not-owned"        // the live object is not this Environment's (see docs/operations.md)
)

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
	// Blocked says why a deletion or change will not be carried out, and
	// Guard which guard blocked it.
	Blocked string `json:"blocked,omitempty"`
	Guard   Guard  `json:"guard,omitempty"`
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
	c.Guard, c.Blocked = g, why
}

// Plan is the result of comparing rendered objects with the cluster: one
// Change per object, in apply order (deletions last, in reverse order).
type Plan struct {
	Environment string   `json:"environment"`
	Changes     []Change `json:"changes"`
	// Warnings are notices that do not stop the sync (e.g. prune skipped).
	Warnings []string `json:"warnings,omitempty"`
	// Inventory is what gitplane recorded for the Environment before this
	// plan; the engine reads it to prune.
	Inventory Inventory `json:"-"`
	// Cluster is the cluster the plan was made for (PlanRequest.Cluster).
	Cluster Cluster `json:"-"`
}

// setError records err as the change's error (see Change.Error).
func (c *Change) setError(err error) {
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
		if c.Blocked != "" {
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
		if c.Action == ActionDelete && c.Blocked != "" {
			return true
		}
	}
	return false
}

// String is the summary line kubectl users know: "1 to create, 2 to update,
// 0 to delete, 40 unchanged" ("1 to create, 1 to take over, ..." when the
// plan takes objects over).
func (s Summary) String() string {
	out := fmt.Sprintf("%d to create, ", s.Create)
	if s.TakeOver > 0 {
		out += fmt.Sprintf("%d to take over, ", s.TakeOver)
	}
	out += fmt.Sprintf("%d to update, %d to delete, %d unchanged", s.Configure, s.Delete, s.Unchanged)
	if s.Blocked > 0 {
		out += fmt.Sprintf(", %d blocked", s.Blocked)
	}
	return out
}

// Past is the summary of a sync that happened: "1 created, 2 updated, 0
// deleted, 40 unchanged".
func (s Summary) Past() string {
	out := fmt.Sprintf("%d created, ", s.Create)
	if s.TakeOver > 0 {
		out += fmt.Sprintf("%d taken over, ", s.TakeOver)
	}
	out += fmt.Sprintf("%d updated, %d deleted, %d unchanged", s.Configure, s.Delete, s.Unchanged)
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
