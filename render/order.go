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
func rank(kind, group, namespace string) int {
	switch {
	case kind == "CustomResourceDefinition":
		return 0
	case kind == "Namespace" && group == "":
		return 1
	case namespace == "":
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
	k := sortKey{namespace: o.GetNamespace(), kind: o.GetKind(), group: o.GroupVersionKind().Group, name: o.GetName()}
	k.rank = rank(k.kind, k.group, k.namespace)
	return k
}

func compareSortKeys(a, b *sortKey) int {
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

// sortWithKeys sorts objs stably and returns their sort keys, in the new
// order. It sorts positions, with the old position as the last criterion,
// which is as stable as a stable sort and moves less memory.
func sortWithKeys(objs []*unstructured.Unstructured) []sortKey {
	keys := make([]sortKey, len(objs))
	order := make([]int, len(objs))
	for i, o := range objs {
		keys[i], order[i] = sortKeyOf(o), i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(compareSortKeys(&keys[a], &keys[b]), cmp.Compare(a, b))
	})
	sorted := make([]*unstructured.Unstructured, len(objs))
	sortedKeys := make([]sortKey, len(objs))
	for i, j := range order {
		sorted[i], sortedKeys[i] = objs[j], keys[j]
	}
	copy(objs, sorted)
	return sortedKeys
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
