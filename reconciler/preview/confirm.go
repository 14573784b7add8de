package preview

import (
	"fmt"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/schema"
)

// confirmations pairs what the engine can be allowed to do with the
// Environment annotation that allows it for one sync.
var confirmations = []struct {
	allow engine.Allow
	key   string
	what  string // what it lets happen, for notes
}{
	{engine.AllowLargePrune, schema.AnnotationConfirmPrune, "a prune of more than a quarter of the inventory"},
	{engine.AllowEmptyRender, schema.AnnotationAllowEmpty, "a prune of an empty render"},
	{engine.AllowForceConflicts, schema.AnnotationForceConflicts, "taking over fields other appliers manage"},
}

// Confirmed returns opts with what env confirms in Git for the sync of a
// commit made on top of onto (see schema.AnnotationConfirmPrune): serve
// plans the sync of a commit with its first parent as onto, a pull
// request's preview with the tip of the branch it merges into.
func Confirmed(opts engine.PlanOptions, env *schema.Environment, onto string) engine.PlanOptions {
	for _, c := range confirmations {
		if !env.Confirms(c.key, onto) {
			continue
		}
		switch c.allow {
		case engine.AllowLargePrune:
			opts.ConfirmPrune = true
		case engine.AllowEmptyRender:
			opts.AllowEmpty = true
		case engine.AllowForceConflicts:
			opts.ForceConflicts = true
		}
	}
	return opts
}

// Annotation is the Environment annotation that gives allow to one sync,
// "" when none does.
func Annotation(allow engine.Allow) string {
	for _, c := range confirmations {
		if c.allow == allow {
			return c.key
		}
	}
	return ""
}

// Advice says how to allow it in Git, for the sync of a commit made on top
// of onto: `annotate the Environment gitplane.dev/confirm-prune:
// "0123456"`; "" for what no annotation allows.
func Advice(allow engine.Allow, onto string) string {
	if allow == engine.AllowRecreate {
		return fmt.Sprintf("annotate the spec or its Environment %s: \"true\"", engine.AnnotationForce)
	}
	key := Annotation(allow)
	if key == "" {
		return ""
	}
	if onto == "" {
		return fmt.Sprintf("annotate the Environment %s with the SHA of the commit the change goes on top of", key)
	}
	return fmt.Sprintf("annotate the Environment %s: %q", key, abbrev(onto))
}

// abbrev is a commit SHA as git abbreviates it (7 digits): commit statuses
// show 140 characters.
func abbrev(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// confirmationNotes say which confirmations env gives a change on top of
// onto, and which name another commit and so confirm nothing.
func confirmationNotes(env *schema.Environment, onto string) []string {
	var out []string
	for _, c := range confirmations {
		v, ok := env.Metadata.Annotations[c.key]
		switch {
		case !ok:
		case env.Confirms(c.key, onto):
			out = append(out, fmt.Sprintf("%s: %s confirms %s for this change on top of %s", env.Metadata.Name, c.key, c.what, abbrev(onto)))
		default:
			out = append(out, fmt.Sprintf("%s: %s names %s, not %s: it confirms nothing for this change", env.Metadata.Name, c.key, v, cmpOr(abbrev(onto), "the base")))
		}
	}
	return out
}
