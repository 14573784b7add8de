package engine

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ConflictError says another field manager owns fields gitplane wants to
// set. AllowForceConflicts takes them.
type ConflictError struct {
	Ref       Ref
	Conflicts []FieldConflict
}

// FieldConflict is one field owned by another manager.
type FieldConflict struct {
	Manager string `json:"manager"` // e.g. "helm" or "kubectl-edit"
	Field   string `json:"field"`   // e.g. ".spec.template.spec.containers[name=\"server\"].image"
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s: conflict with another field manager: %s", e.Ref, DescribeConflicts(e.Conflicts))
}

// DescribeConflicts lists conflicts for people: `.spec.replicas is managed
// by "kubectl-scale", ...`.
func DescribeConflicts(conflicts []FieldConflict) string {
	parts := make([]string, len(conflicts))
	for i, c := range conflicts {
		parts[i] = fmt.Sprintf("%s is managed by %q", c.Field, c.Manager)
	}
	return strings.Join(parts, ", ")
}

// Managers names the managers of the conflicts, each once, in order.
func Managers(conflicts []FieldConflict) []string {
	var out []string
	for _, c := range conflicts {
		if !slices.Contains(out, c.Manager) {
			out = append(out, c.Manager)
		}
	}
	return out
}

// ImmutableError says a change needs fields the API server does not let
// change in place, on an object that may not be recreated: without
// AllowRecreate (AnnotationForce on the object) it cannot be applied.
type ImmutableError struct {
	Ref    Ref
	Fields []string // field paths, e.g. spec.selector
}

func (e *ImmutableError) Error() string {
	return fmt.Sprintf("%s: field(s) %s cannot change in place", e.Ref, strings.Join(e.Fields, ", "))
}

var conflictManager = regexp.MustCompile(`conflict with "([^"]+)"`)

// fieldConflicts reads the conflicts of a server-side apply's 409 answer.
func fieldConflicts(err error) []FieldConflict {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return nil
	}
	var out []FieldConflict
	for _, c := range status.Status().Details.Causes {
		if c.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		m := conflictManager.FindStringSubmatch(c.Message)
		if m == nil {
			continue
		}
		out = append(out, FieldConflict{Manager: m[1], Field: c.Field})
	}
	return out
}

// imperativeOnly reports whether every conflicting manager changed the live
// object with plain updates (kubectl edit, scale, patch) rather than its own
// server-side apply. Such changes are drift: gitplane takes the fields back.
// A manager that applies (another GitOps tool, Helm with SSA) is a real
// conflict.
func imperativeOnly(conflicts []FieldConflict, live *unstructured.Unstructured) bool {
	if len(conflicts) == 0 || live == nil {
		return false
	}
	ops := map[string][]metav1.ManagedFieldsOperationType{}
	for _, mf := range live.GetManagedFields() {
		ops[mf.Manager] = append(ops[mf.Manager], mf.Operation)
	}
	for _, c := range conflicts {
		seen := ops[c.Manager]
		if len(seen) == 0 {
			return false
		}
		for _, op := range seen {
			if op != metav1.ManagedFieldsOperationUpdate {
				return false
			}
		}
	}
	return true
}

// isImmutable reports whether the server refused a change to a field that
// cannot change in place.
func isImmutable(err error) bool {
	return apierrors.IsInvalid(err) && len(immutableFields(err)) > 0
}

func immutableFields(err error) []string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return nil
	}
	var out []string
	for _, c := range status.Status().Details.Causes {
		if strings.Contains(c.Message, "immutable") || strings.Contains(c.Message, "may not change once set") {
			out = append(out, c.Field)
		}
	}
	return out
}

// isObjection reports whether the server refused the object itself (invalid,
// forbidden, conflicting, unknown kind or namespace): an error of that object,
// not of the sync.
func isObjection(err error) bool {
	var ce *ConflictError
	return errors.As(err, &ce) || meta.IsNoMatchError(err) ||
		apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsConflict(err) ||
		apierrors.IsForbidden(err) || apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) ||
		apierrors.IsRequestEntityTooLargeError(err)
}

// allowRecreate reports whether an object may be deleted and recreated:
// whether it carries gitplane.dev/force: "true", which render stamps on
// the objects of a spec or Environment so annotated.
func allowRecreate(o *unstructured.Unstructured) bool {
	return o.GetAnnotations()[AnnotationForce] == "true"
}

func recreateRisk(c *Change) string {
	what := fmt.Sprintf("changes immutable field(s) %s", strings.Join(c.Immutable, ", "))
	if !c.Recreate {
		return what + ": they cannot change in place and the object may not be recreated"
	}
	if r, ok := riskyKinds[c.Ref.Kind]; ok {
		return what + ": recreates it (" + strings.TrimPrefix(r, "deletes ") + ")"
	}
	return what + ": the object will be deleted and recreated"
}
