package server

import (
	"github.com/gitplane/gitplane/reconciler/engine"
)

// blockedReason says why a plan does not carry out all that Git asks: a
// prune guard (an empty render, too large a share of the inventory) or a
// deletion the engine held back (a Namespace that still holds objects
// gitplane does not own). Objects annotated gitplane.dev/prune: disabled
// are kept on purpose and objects that are not the Environment's are not
// its to delete: they block nothing. "" when nothing is blocked.
func blockedReason(plan *engine.Plan) string {
	if plan == nil {
		return ""
	}
	for _, c := range plan.Changes {
		switch c.Guard {
		case engine.GuardEmptyRender, engine.GuardPruneShare: // every deletion of the plan
			return "prune blocked: " + c.Blocked
		case engine.GuardNamespaceInUse:
			return c.Ref.String() + " " + string(c.Action) + " blocked: " + c.Blocked
		}
	}
	return ""
}
