package render

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// sortKey is what Sort compares, as one string: rank, namespace, kind,
// group and name joined by NUL bytes, which none of them contains, so that
// comparing keys compares the fields in turn.
func sortKey(o *unstructured.Unstructured) string {
	ns, kind, group := o.GetNamespace(), o.GetKind(), o.GroupVersionKind().Group
	return strings.Join([]string{strconv.Itoa(rank(kind, group, ns)), ns, kind, group, o.GetName()}, "\x00")
}

func sortKeys(objs []*unstructured.Unstructured) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = sortKey(o)
	}
	return keys
}

// keysAfter returns the sort keys of objs, reusing those of the objects
// that were in before (with keys).
func keysAfter(objs, before []*unstructured.Unstructured, keys []string) []string {
	known := make(map[*unstructured.Unstructured]string, len(before))
	for i, o := range before {
		known[o] = keys[i]
	}
	out := make([]string, len(objs))
	for i, o := range objs {
		k, ok := known[o]
		if !ok {
			k = sortKey(o)
		}
		out[i] = k
	}
	return out
}

// Sort puts objects in apply order: rank, then namespace, kind, group, name.
// The sort is stable.
func Sort(objs []*unstructured.Unstructured) {
	sortByKeys(objs, sortKeys(objs))
}

// sortByKeys sorts objs and keys, their sort keys, stably by key. It sorts
// positions with the old position as the last criterion, which is as
// stable as a stable sort and moves less memory.
func sortByKeys(objs []*unstructured.Unstructured, keys []string) {
	order := make([]int, len(objs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(strings.Compare(keys[a], keys[b]), cmp.Compare(a, b))
	})
	sorted := make([]*unstructured.Unstructured, len(objs))
	sortedKeys := make([]string, len(objs))
	for i, j := range order {
		sorted[i], sortedKeys[i] = objs[j], keys[j]
	}
	copy(objs, sorted)
	copy(keys, sortedKeys)
}
