package engine

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// What gitplane owns. The inventory says which objects an Environment
// applied, but it is a ConfigMap anyone with write access to
// gitplane-system can edit, and it is written before applying (so an
// interrupted sync forgets nothing). So before deleting, the engine checks
// the live object itself: only an object that is labelled for the
// Environment, applied by gitplane's field manager and carries the hash
// annotation a successful apply leaves is the Environment's to delete.

// environmentOf returns the Environment a live object is labelled for.
func environmentOf(o *unstructured.Unstructured) string {
	return o.GetLabels()[LabelEnvironment]
}

// appliedByGitplane reports whether gitplane's field manager has applied the
// object: managedFields hold manager FieldManager with operation Apply.
func appliedByGitplane(o *unstructured.Unstructured) bool {
	return slices.ContainsFunc(o.GetManagedFields(), func(mf metav1.ManagedFieldsEntry) bool {
		return mf.Manager == FieldManager && mf.Operation == metav1.ManagedFieldsOperationApply
	})
}

// notOwnedReason says why a live object (with its managedFields) is not
// env's to delete; "" when it is.
func notOwnedReason(o *unstructured.Unstructured, env string) string {
	switch owner := environmentOf(o); {
	case owner == "":
		return fmt.Sprintf("the live object is not labelled %s=%s: gitplane does not own it", LabelEnvironment, env)
	case owner != env:
		return fmt.Sprintf("the live object belongs to Environment %s", owner)
	case !appliedByGitplane(o):
		return fmt.Sprintf("the live object was not applied by field manager %q", FieldManager)
	case o.GetAnnotations()[AnnotationAppliedHash] == "":
		return "the live object has no " + AnnotationAppliedHash + " annotation: no gitplane apply of it succeeded"
	}
	return ""
}

// ownedBefore reports whether the object was the Environment's before this
// sync: recorded in its inventory, or live with its label and gitplane's
// hash annotation.
func ownedBefore(c *Change, base Inventory, env string) bool {
	if base.Has(c.Ref) {
		return true
	}
	return c.Live != nil && environmentOf(c.Live) == env && c.Live.GetAnnotations()[AnnotationAppliedHash] != ""
}

// takeOverRisk names the managers of the fields of an object gitplane is
// about to take over.
func takeOverRisk(o *unstructured.Unstructured) string {
	var managers []string
	for _, mf := range o.GetManagedFields() {
		if !slices.Contains(managers, mf.Manager) {
			managers = append(managers, mf.Manager)
		}
	}
	if len(managers) == 0 {
		return TakeOverRisk
	}
	slices.Sort(managers)
	return fmt.Sprintf("%s (its fields are managed by %s)", TakeOverRisk, strings.Join(managers, ", "))
}

// reservedReason says why a rendered object would collide with gitplane's
// own objects; "" when it does not.
func reservedReason(r Ref) string {
	switch {
	case r.Namespace == InventoryNamespace, r.Group == "" && r.Kind == "Namespace" && r.Name == InventoryNamespace:
		return "namespace " + InventoryNamespace + " holds gitplane's inventories, Leases and gitplane itself"
	case r.Group == "" && r.Kind == "ConfigMap" && strings.HasPrefix(r.Name, "gitplane-inventory-"):
		return "gitplane-inventory-* ConfigMaps are gitplane's inventories"
	case r.Group == "coordination.k8s.io" && r.Kind == "Lease":
		return "Leases are locks held at run time (gitplane holds one per Environment), not configuration"
	}
	return ""
}

// annotationSource is render.AnnotationSource: the spec file an object was
// rendered from.
const annotationSource = "gitplane.dev/source"

// ReservedError lists rendered objects that collide with gitplane's own
// (inventories, Leases, the gitplane-system namespace). The plan stops
// before anything is written.
type ReservedError struct {
	Objects []string // "models/x.yaml: ConfigMap gitplane-system/y: why"
}

func (e *ReservedError) Error() string {
	return fmt.Sprintf("%d rendered object(s) collide with gitplane's own objects:\n  %s", len(e.Objects), strings.Join(e.Objects, "\n  "))
}

// CheckReserved rejects, all at once (*ReservedError), the rendered objects
// that collide with gitplane's own. Plan calls it first; callers that take
// the Lease before planning call it before, to write nothing at all.
func CheckReserved(objs []*unstructured.Unstructured) error {
	var bad []string
	for _, o := range objs {
		ref := RefOf(o)
		why := reservedReason(ref)
		if why == "" {
			continue
		}
		msg := ref.String() + ": " + why
		if src := o.GetAnnotations()[annotationSource]; src != "" {
			msg = src + ": " + msg
		}
		bad = append(bad, msg)
	}
	if len(bad) == 0 {
		return nil
	}
	return &ReservedError{Objects: bad}
}

// ForeignError lists planned objects that belong to another Environment;
// Apply refuses a plan holding any, before anything is written.
type ForeignError struct {
	Environment string
	Objects     []string // each change's Error
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("refusing to sync %s: %d object(s) belong to another Environment:\n  %s", e.Environment, len(e.Objects), strings.Join(e.Objects, "\n  "))
}

// foreignError returns the plan's objects that belong to another
// Environment as a *ForeignError, or nil.
func foreignError(plan *Plan) error {
	var msgs []string
	for _, c := range plan.Changes {
		if c.foreign {
			msgs = append(msgs, c.Error)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return &ForeignError{Environment: plan.Environment, Objects: msgs}
}

// rejectForeign marks the change as another Environment's object.
func (c *Change) rejectForeign(owner, how string) {
	c.foreign = true
	c.Error = fmt.Sprintf("%s: owned by Environment %s (%s); an object belongs to one Environment: render it in only one, or delete it from the cluster first", c.Ref, owner, how)
}
