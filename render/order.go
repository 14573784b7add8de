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

// Sort puts objects in apply order: rank, then namespace, kind, group, name.
func Sort(objs []*unstructured.Unstructured) {
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
		return cmp.Or(
			cmp.Compare(rank(a), rank(b)),
			cmp.Compare(a.GetNamespace(), b.GetNamespace()),
			cmp.Compare(a.GetKind(), b.GetKind()),
			cmp.Compare(a.GroupVersionKind().Group, b.GroupVersionKind().Group),
			cmp.Compare(a.GetName(), b.GetName()),
		)
	})
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
