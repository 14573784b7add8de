package engine

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// StructuralHash is the plain SHA-256 hash of every key and value of an
// object, as the applied-hash annotation of other kinds than Secret holds.
func StructuralHash(o *unstructured.Unstructured) string {
	h, err := structuralHash(RefOf(o), o.Object)
	if err != nil {
		panic(err)
	}
	return h
}
