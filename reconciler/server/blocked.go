package server

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/preview"
	"github.com/gitplane/gitplane/schema"
)

// blockedReason says why a plan does not carry out all that Git asks: a
// prune guard (an empty render, too large a share of the inventory), with
// how to confirm it in a commit on top of onto, or a deletion the engine
// held back (a Namespace that still holds objects gitplane does not own).
// Objects annotated gitplane.dev/prune: disabled are kept on purpose and
// objects that are not the Environment's are not its to delete: they
// block nothing. "" when nothing is blocked. What to do comes first: a
// commit status shows 140 characters.
func blockedReason(plan *engine.Plan, onto string) string {
	if plan == nil {
		return ""
	}
	if g := plan.PruneGuard; g != nil {
		if advice := preview.Advice(g.Allow, onto); advice != "" {
			return fmt.Sprintf("prune blocked (to confirm, %s): %s", advice, g.Reason)
		}
		return "prune blocked: " + g.Reason
	}
	for _, c := range plan.Changes {
		if c.Guard == engine.GuardNamespaceInUse {
			return c.Ref.String() + " " + string(c.Action) + " blocked: " + c.Reason
		}
	}
	return ""
}

// changeFailure is why the change cannot be applied, with what lets it
// through in a commit on top of onto: conflicting fields taken over, an
// object recreated. What to do comes before the details: a commit status
// shows 140 characters.
func changeFailure(c engine.Change, onto string) string {
	switch {
	case len(c.Conflicts) > 0:
		return fmt.Sprintf("%s: conflict (to take over, %s): %s",
			c.Ref, preview.Advice(engine.AllowForceConflicts, onto), engine.DescribeConflicts(c.Conflicts))
	case len(c.Immutable) > 0 && !c.Recreate:
		return fmt.Sprintf("%s: field(s) %s cannot change in place (%s to let gitplane delete and recreate it)",
			c.Ref, strings.Join(c.Immutable, ", "), preview.Advice(engine.AllowRecreate, onto))
	}
	return c.Error
}

// planRefused holds the objections of the API server to a plan's
// dry-run: the sync applied nothing.
type planRefused struct{ failed []engine.Change }

func (e *planRefused) Error() string {
	if len(e.failed) == 1 {
		return e.failed[0].Error
	}
	return fmt.Sprintf("%s (and %d more)", e.failed[0].Error, len(e.failed)-1)
}

// syncFailure is the first line of the first error of the sync of commit
// sha: for invalid specs the first file:line:col message, for failed
// objects the first object, worded with what lets it through in a commit
// on top of sha.
func syncFailure(err error, sha string) string {
	var list schema.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return list[0].Error()
	}
	var refused *planRefused
	if errors.As(err, &refused) {
		msg := changeFailure(refused.failed[0], sha)
		if n := len(refused.failed); n > 1 {
			msg += fmt.Sprintf(" (and %d more)", n-1)
		}
		return msg
	}
	var ae *engine.ApplyError
	if errors.As(err, &ae) && len(ae.Failed) > 0 {
		return changeFailure(ae.Failed[0], sha)
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}
