package render

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Key names an object: group/kind namespace/name.
func Key(o *unstructured.Unstructured) string {
	gvk := o.GroupVersionKind()
	ns := o.GetNamespace()
	if ns == "" {
		return fmt.Sprintf("%s/%s %s", gvk.Group, gvk.Kind, o.GetName())
	}
	return fmt.Sprintf("%s/%s %s/%s", gvk.Group, gvk.Kind, ns, o.GetName())
}

// rank orders kinds: CRDs, Namespaces, other cluster-scoped objects, then
// namespaced ones. Objects without a namespace count as cluster-scoped.
func rank(o *unstructured.Unstructured) int {
	switch {
	case o.GetKind() == "CustomResourceDefinition":
		return 0
	case o.GetKind() == "Namespace" && o.GroupVersionKind().Group == "":
		return 1
	case o.GetNamespace() == "":
		return 2
	}
	return 3
}

// sortKey holds what Sort compares, read once per object.
type sortKey struct {
	rank                   int
	namespace, kind, group string
	name                   string
}

func sortKeyOf(o *unstructured.Unstructured) sortKey {
	return sortKey{rank(o), o.GetNamespace(), o.GetKind(), o.GroupVersionKind().Group, o.GetName()}
}

func compareSortKeys(a, b sortKey) int {
	return cmp.Or(
		cmp.Compare(a.rank, b.rank),
		cmp.Compare(a.namespace, b.namespace),
		cmp.Compare(a.kind, b.kind),
		cmp.Compare(a.group, b.group),
		cmp.Compare(a.name, b.name),
	)
}

// Sort puts objects in apply order: rank, then namespace, kind, group, name.
// The sort is stable.
func Sort(objs []*unstructured.Unstructured) {
	sortWithKeys(objs)
}

// sortWithKeys sorts objs and returns their sort keys, in the new order.
func sortWithKeys(objs []*unstructured.Unstructured) []sortKey {
	type entry struct {
		key sortKey
		obj *unstructured.Unstructured
	}
	entries := make([]entry, len(objs))
	for i, o := range objs {
		entries[i] = entry{sortKeyOf(o), o}
	}
	slices.SortStableFunc(entries, func(a, b entry) int { return compareSortKeys(a.key, b.key) })
	keys := make([]sortKey, len(objs))
	for i, e := range entries {
		objs[i], keys[i] = e.obj, e.key
	}
	return keys
}

// YAML writes objects as one YAML stream, each document behind "---".
func YAML(objs []*unstructured.Unstructured) ([]byte, error) {
	var buf bytes.Buffer
	for _, o := range objs {
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", Key(o), err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	return buf.Bytes(), nil
}
