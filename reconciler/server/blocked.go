package server

import (
	"strings"

	"github.com/gitplane/gitplane/reconciler"
)

// blockedReason says why a plan does not carry out all that Git asks: a
// prune guard (an empty render, too large a share of the inventory), or a
// deletion or change the engine held back (a Namespace that still holds
// objects gitplane does not own). Objects annotated gitplane.dev/prune:
// disabled are kept on purpose and block nothing. "" when nothing is
// blocked.
func blockedReason(plan *reconciler.Plan) string {
	if plan == nil {
		return ""
	}
	for _, w := range plan.Warnings {
		if strings.HasPrefix(w, "prune blocked") {
			return w
		}
	}
	for _, c := range plan.Changes {
		if c.Blocked != "" && (c.Live == nil || c.Live.GetAnnotations()[reconciler.AnnotationPrune] != "disabled") {
			return c.Ref.String() + " " + string(c.Action) + " blocked: " + c.Blocked
		}
	}
	return ""
}
