package schema

import (
	"regexp"
	"strings"
)

// Confirmations an Environment gives in Git, each for one sync: the value
// names the commit a sync was held back at, and it confirms only the sync
// of a commit made directly on top of that one (whose first parent it is;
// for a pull request, the tip of the branch it merges into). Later commits
// that still carry the annotation are not confirmed by it: a confirmation
// never keeps applying to changes nobody looked at.
const (
	// AnnotationConfirmPrune lets a sync prune more than a quarter of the
	// Environment's inventory.
	AnnotationConfirmPrune = "gitplane.dev/confirm-prune"
	// AnnotationAllowEmpty lets a sync of an empty render prune everything
	// gitplane applied to the Environment.
	AnnotationAllowEmpty = "gitplane.dev/allow-empty"
	// AnnotationForceConflicts lets a sync take over the fields another
	// server-side applier (another GitOps tool, Helm) manages.
	AnnotationForceConflicts = "gitplane.dev/force-conflicts"
)

// ConfirmAnnotations are the one-sync confirmations, in the order they are
// documented.
var ConfirmAnnotations = []string{AnnotationConfirmPrune, AnnotationAllowEmpty, AnnotationForceConflicts}

// commitRE is a full or abbreviated (at least 7 digits) commit SHA, SHA-1
// or SHA-256.
var commitRE = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// Confirms reports whether the Environment's annotation key confirms the
// sync of a commit whose first parent is onto: its value is onto, in full
// or abbreviated. An empty onto (a root commit) is never confirmed.
func (e *Environment) Confirms(key, onto string) bool {
	v := e.Metadata.Annotations[key]
	return commitRE.MatchString(v) && onto != "" && strings.HasPrefix(onto, v)
}

// validateConfirmations checks the confirmation annotations of a spec:
// only an Environment gives them, and each names a commit.
func validateConfirmations(s Spec, errs *ErrorList) {
	ann, src := s.GetMeta().Annotations, s.GetSource()
	for _, key := range ConfirmAnnotations {
		v, ok := ann[key]
		switch {
		case !ok:
		case s.GetKind() != KindEnvironment:
			errs.errAt(src, "metadata.annotations."+key, "only an Environment confirms a sync: move the annotation to the Environment this %s is deployed to", s.GetKind())
		case !commitRE.MatchString(v):
			errs.errAt(src, "metadata.annotations."+key, "%q is not a commit SHA: name the commit the sync was held back at (7 to 64 lower-case hex digits)", v)
		}
	}
}
