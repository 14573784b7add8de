package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// generatorVersion is part of every cache key; bump it when the objects a
// spec renders to change shape.
const generatorVersion = "1"

// unit is one spec's share of an Environment: what it is built from and how.
type unit struct {
	source string // spec file, for the gitplane.dev/source annotation
	what   string // "Model models/llama", for errors
	env    string
	input  any // everything the objects depend on; hashed for the cache
	build  func() ([]M, error)
}

func (u *unit) key() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", generatorVersion, u.env, u.source)
	if err := json.NewEncoder(h).Encode(u.input); err != nil {
		return "", fmt.Errorf("hashing %s: %w", u.what, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// render generates the unit's objects and runs them through kustomize, which
// adds gitplane's labels; then it annotates each object with its source.
func (u *unit) render() ([]*unstructured.Unstructured, error) {
	objs, err := u.build()
	if err != nil {
		return nil, fmt.Errorf("rendering %s (%s): %w", u.what, u.source, err)
	}
	var buf bytes.Buffer
	for _, o := range objs {
		buf.WriteString("---\n")
		if err := json.NewEncoder(&buf).Encode(o); err != nil {
			return nil, fmt.Errorf("rendering %s: encoding %v: %w", u.what, o["kind"], err)
		}
	}
	kustomization := fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [objects.yaml]
labels:
- pairs: {%q: %q, %q: %q}
`, LabelManagedBy, ManagedByValue, LabelEnvironment, u.env)
	out, err := kustomizeBuild(map[string][]byte{
		"/unit/kustomization.yaml": []byte(kustomization),
		"/unit/objects.yaml":       buf.Bytes(),
	}, "/unit")
	if err != nil {
		return nil, fmt.Errorf("rendering %s (%s): kustomize: %w", u.what, u.source, err)
	}
	for _, o := range out {
		annotate(o, AnnotationSource, u.source)
	}
	return out, nil
}

func annotate(o *unstructured.Unstructured, key, value string) {
	a := o.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[key] = value
	o.SetAnnotations(a)
}
