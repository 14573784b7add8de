package preview

import (
	"fmt"
	"strings"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// Risk is one thing a reviewer should look at before merging.
type Risk struct {
	Ref     engine.Ref // zero for plan-wide risks (a prune guard)
	Action  engine.Action
	Message string
	// Blocked says apply will not carry the change out (a prune guard or
	// prune: disabled); the rest of the sync still runs.
	Blocked bool
}

// riskyKinds are the kinds whose deletion or recreation the preview flags
// even when the plan carries no risk of its own.
var riskyKinds = map[string]string{
	"NodePool":       "deletes a Karpenter NodePool: its nodes are drained",
	"ServiceAccount": "deletes a ServiceAccount: pods lose their IAM role",
	"Ingress":        "deletes an Ingress: the ALB is removed",
	"Namespace":      "deletes a Namespace and everything in it",
}

// risksOf collects the plan's risks: each change's own (deletions of
// risky kinds, recreations, immutable fields), blocked changes, deletions of
// risky kinds the plan did not flag, drift that apply overwrites, the
// guard that holds the prune back (with how to confirm it in a change on
// top of onto) and objects left in the cluster unpruned.
func risksOf(plan *engine.Plan, onto string) []Risk {
	var out []Risk
	for _, c := range plan.Changes {
		blocked := c.Blocked()
		for _, r := range c.Risks {
			if len(c.Immutable) > 0 && !c.Recreate && strings.HasPrefix(r, "changes immutable") {
				continue // a server error: the change cannot be applied
			}
			out = append(out, Risk{Ref: c.Ref, Action: c.Action, Message: r, Blocked: blocked})
		}
		if len(c.Risks) == 0 {
			if msg, ok := ownRisk(c); ok {
				out = append(out, Risk{Ref: c.Ref, Action: c.Action, Message: msg, Blocked: blocked})
			}
		}
		if c.Drift {
			out = append(out, Risk{Ref: c.Ref, Action: c.Action, Message: "changed in the cluster since gitplane applied it (drift): applying overwrites those changes"})
		}
		if blocked && (plan.PruneGuard == nil || c.Block != plan.PruneGuard.Block) {
			out = append(out, Risk{Ref: c.Ref, Action: c.Action, Message: "not carried out: " + c.Reason, Blocked: true})
		}
	}
	if g := plan.PruneGuard; g != nil {
		msg := "prune blocked: " + g.Reason
		if advice := Advice(g.Allow, onto); advice != "" {
			msg += "; to let it happen, " + advice + " in this change"
		}
		out = append(out, Risk{Message: msg, Blocked: true})
	}
	if plan.Unpruned > 0 {
		out = append(out, Risk{Message: fmt.Sprintf("%d object(s) left Git and stay in the cluster: this preview does not prune", plan.Unpruned)})
	}
	return out
}

// ownRisk flags a deletion or recreation of a risky kind.
func ownRisk(c engine.Change) (string, bool) {
	msg, ok := riskyKinds[c.Ref.Kind]
	if !ok {
		return "", false
	}
	switch {
	case c.Action == engine.ActionDelete:
		return msg, true
	case c.Recreate:
		return "recreates it: " + msg, true
	}
	return "", false
}
