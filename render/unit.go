package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/schema"
)

// generatorVersion is part of every cache key; bump it when the objects a
// spec renders to change shape.
const generatorVersion = "2"

// unit is one spec's share of an Environment: what it is built from and how.
type unit struct {
	source string // spec file, for the gitplane.dev/source annotation
	what   string // "Model models/llama", for errors
	env    string
	deps   []schema.Spec     // the specs the objects are built from
	extra  []string          // anything else they depend on (callers, hosts, ...)
	policy map[string]string // per-object policies stamped on every object (see policies)
	// minObjects is how many objects build returns at the least, known
	// before building (see Renderer.checkUnits).
	minObjects int
	build      func() ([]M, error)
}

// key is the unit's cache key: a hash of its inputs. Specs read by schema
// count by their digest (a hash of the document); others by their JSON.
func (u *unit) key() (string, error) {
	b := make([]byte, 0, 512)
	b = appendFields(b, generatorVersion, u.env, u.source, u.what)
	for _, s := range u.deps {
		var err error
		if b, err = appendSpec(b, s); err != nil {
			return "", fmt.Errorf("hashing %s: %w", u.what, err)
		}
	}
	b = appendFields(b, u.extra...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// appendFields appends each string with its length, so that no two lists
// of strings read alike, and ends the list.
func appendFields(b []byte, values ...string) []byte {
	for _, v := range values {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '|')
}

func appendSpec(b []byte, s schema.Spec) ([]byte, error) {
	if d := s.GetSource().Digest; d != "" {
		return appendFields(b, s.GetKind(), "digest", d), nil
	}
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return appendFields(b, s.GetKind(), "json", string(data)), nil
}

// objects generates the unit's objects, before kustomize.
func (u *unit) objects() ([]M, error) {
	objs, err := u.build()
	if err != nil {
		return nil, fmt.Errorf("rendering %s (%s): %w", u.what, u.source, err)
	}
	return objs, nil
}

func annotate(o *unstructured.Unstructured, key, value string) {
	meta, _ := o.Object["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		o.Object["metadata"] = meta
	}
	a, _ := meta["annotations"].(map[string]any)
	if a == nil {
		a = map[string]any{}
		meta["annotations"] = a
	}
	a[key] = value
}

// Per-object policies the engine reads from each object, stamped by render
// from the spec (or Environment) that produced it, so that every caller of
// the engine — apply, serve, previews — honours them alike.
const (
	// AnnotationForce "true" lets the engine delete and recreate the object
	// when an immutable field changes. Set on a Model or Gateway it goes
	// on that spec's objects; on an Environment, on all of its objects.
	AnnotationForce = "gitplane.dev/force"
	// AnnotationPrune "disabled" keeps the object in the cluster when it
	// leaves Git. Set on a spec it goes on that spec's objects.
	AnnotationPrune = "gitplane.dev/prune"
)

// policies are the policy annotations for the objects of spec (nil for
// the Environment's own unit) in env.
func policies(spec schema.Spec, env *schema.Environment) map[string]string {
	p := map[string]string{}
	if env.Metadata.Annotations[AnnotationForce] == "true" {
		p[AnnotationForce] = "true"
	}
	own := env.Metadata.Annotations
	if spec != nil {
		own = spec.GetMeta().Annotations
	}
	if own[AnnotationForce] == "true" {
		p[AnnotationForce] = "true"
	}
	if own[AnnotationPrune] == "disabled" {
		p[AnnotationPrune] = "disabled"
	}
	if len(p) == 0 {
		return nil
	}
	return p
}
