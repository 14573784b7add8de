package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Ref identifies an object across versions of its kind: group, kind,
// namespace and name. Version is carried so the object can be addressed
// (deleted, read) without asking the server which versions it serves.
type Ref struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// RefOf returns the Ref of an object.
func RefOf(o *unstructured.Unstructured) Ref {
	gvk := o.GroupVersionKind()
	return Ref{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: o.GetNamespace(), Name: o.GetName()}
}

// ID is the Ref without its version: two Refs with the same ID are the same
// object.
type ID struct {
	Group, Kind, Namespace, Name string
}

// ID drops the version.
func (r Ref) ID() ID { return ID{r.Group, r.Kind, r.Namespace, r.Name} }

// GVK returns the Ref's group, version and kind.
func (r Ref) GVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// String names the object: "apps/Deployment models/llama", "Namespace
// models" for the core group.
func (r Ref) String() string {
	kind := r.Kind
	if r.Group != "" {
		kind = r.Group + "/" + r.Kind
	}
	if r.Namespace == "" {
		return kind + " " + r.Name
	}
	return fmt.Sprintf("%s %s/%s", kind, r.Namespace, r.Name)
}

// stage is the apply stage of a kind: 0 CRDs and Namespaces, 1 other
// cluster-scoped objects, 2 namespaced objects. Deletion runs in reverse.
func (r Ref) stage() int {
	switch {
	case r.Kind == "CustomResourceDefinition" && r.Group == "apiextensions.k8s.io",
		r.Kind == "Namespace" && r.Group == "":
		return 0
	case r.Namespace == "":
		return 1
	}
	return 2
}

// compareRefs orders Refs by stage, namespace, kind, group and name — the
// order render.Sort gives objects.
func compareRefs(a, b Ref) int {
	return cmp.Or(
		cmp.Compare(a.stage(), b.stage()),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Group, b.Group),
		cmp.Compare(a.Name, b.Name),
	)
}

// encode writes a Ref as one inventory line: group|version|kind|namespace|name.
func (r Ref) encode() string {
	return strings.Join([]string{r.Group, r.Version, r.Kind, r.Namespace, r.Name}, "|")
}

func decodeRef(line string) (Ref, error) {
	f := strings.Split(line, "|")
	if len(f) != 5 || f[1] == "" || f[2] == "" || f[4] == "" {
		return Ref{}, fmt.Errorf("malformed inventory entry %q (want group|version|kind|namespace|name)", line)
	}
	return Ref{Group: f[0], Version: f[1], Kind: f[2], Namespace: f[3], Name: f[4]}, nil
}

func sortRefs(refs []Ref) { slices.SortFunc(refs, compareRefs) }
