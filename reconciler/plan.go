package reconciler

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is what a sync does to one object.
type Action string

// The actions of a Plan, named as kubectl and Flux report them.
const (
	ActionCreate    Action = "created"
	ActionConfigure Action = "configured"
	ActionUnchanged Action = "unchanged"
	ActionDelete    Action = "deleted"
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
	// Blocked says why a deletion or change will not be carried out.
	Blocked string `json:"blocked,omitempty"`
	// Risks name what makes the change dangerous, for previews.
	Risks []string `json:"risks,omitempty"`
	// Error is the server's objection (found by the dry-run while planning,
	// or when applying), starting with the object's Ref; Secret values are
	// redacted.
	Error string `json:"error,omitempty"`

	undecided bool      // hash matches but fields differ: only the server can tell
	needsBody bool      // Live is metadata only; the body is needed to decide
	observed  *Observed // the object right after this sync applied it
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
	return s.Create+s.Configure+s.Delete > 0
}

// String is the summary line kubectl users know: "1 to create, 2 to update,
// 0 to delete, 40 unchanged".
func (s Summary) String() string {
	out := fmt.Sprintf("%d to create, %d to update, %d to delete, %d unchanged", s.Create, s.Configure, s.Delete, s.Unchanged)
	if s.Blocked > 0 {
		out += fmt.Sprintf(", %d blocked", s.Blocked)
	}
	return out
}

// Past is the summary of a sync that happened: "1 created, 2 updated, 0
// deleted, 40 unchanged".
func (s Summary) Past() string {
	out := fmt.Sprintf("%d created, %d updated, %d deleted, %d unchanged", s.Create, s.Configure, s.Delete, s.Unchanged)
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
