package render

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/schema"
)

// TestMetadataOnlyBuilds is the guard of the metadata-only unit builds
// (metaonly.go): buildUnits, which gives kustomize apiVersion, kind and
// metadata only, must return what buildUnitsFull, which gives it whole
// objects, returns, byte for byte and value for value. It fails if the
// unit kustomization ever gains a transformer that touches more than
// metadata, or if jsonValue stops reproducing kustomize's YAML round trip.
func TestMetadataOnlyBuilds(t *testing.T) {
	repo, err := schema.Load(os.DirFS("../examples/specs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range repo.Environments {
		t.Run("examples/"+env.Metadata.Name, func(t *testing.T) {
			units := planUnits(repo, env)
			all := make([]int, len(units))
			for i := range all {
				all[i] = i
			}
			for _, idx := range split(all, batchSize, 1) {
				compareBuilds(t, units, idx, false)
			}
		})
	}

	shared := M{"name": "backend", "port": M{"number": int64(80)}}
	values := []struct {
		name string
		v    any
	}{
		{"scalars", M{"s": "text", "i": int64(8080), "f": 0.5, "b": true, "n": nil, "big": int64(1) << 53}},
		{"strings YAML would read otherwise", M{"a": "yes", "b": "on", "c": "1.0", "d": "null", "e": "~", "f": "0755", "g": "", "h": "true",
			"k:ey": "a: b", "#c": "# not a comment", "- d": "- e", "q": `"quoted" 'single'`, "<<": "merge", "&a": "*a", "!t": "!!str"}},
		{"escapes and non-ASCII", M{"nl": "line 1\nline 2\n", "tab": "a\tb", "uni": "héllo ✓ \u2028", "html": "<a & b>",
			"ctl": "a\x01b", "clé": "v", "bad": "a\xffb", "nul": "a\x00b", "bom": "\ufeffx", "ü<<": M{"<<": "x", "<<é": "y"}}},
		{"numbers", M{"two": 2.0, "neg": -3.0, "zero": math.Copysign(0, -1), "tenth": 0.1, "tiny": 1e-7, "e20": 1e20, "e21": 1e21,
			"max": float64(1 << 53), "maxi": int64(math.MaxInt64), "mini": int64(math.MinInt64), "int": 7, "i32": int32(-3),
			"i8": int8(4), "u": uint(5), "u64": uint64(math.MaxUint64), "f32": float32(0.25)}},
		{"empty and nil collections", M{"m": M{}, "l": []any{}, "nm": M(nil), "nl": []any(nil), "nss": []string(nil),
			"nms": map[string]string(nil), "nested": M{"m": M{}, "l": []any{M{}}}}},
		{"lists", []any{"a", int64(1), M{"x": "y", "z": []any{"p", "q"}}, []any{"inner", []any{}}, M{}, nil}},
		{"typed Go values", M{"ss": []string{"a", "b"}, "ms": map[string]string{"k": "v"}, "mi": map[string]int{"n": 1},
			"st": struct {
				A string `json:"a"`
				B int    `json:"b,omitempty"`
			}{A: "x"}}},
		{"shared subtrees", M{"default": shared, "rules": []any{M{"backend": shared}, M{"backend": shared}}}},
		{"top-level scalar", "just a string"},
		{"merge keys", M{"<<": M{"a": "b"}, "m": M{"<<": []any{M{"c": "d"}}, "e": "f"}, "l": []any{M{"<<": "x"}}}},
	}
	var units []*unit
	for i, tt := range values {
		units = append(units, &unit{source: tt.name, what: "test " + tt.name, env: "test", build: func() ([]M, error) {
			name := "v" + string(rune('a'+i))
			thing := object("example.com/v1", "Thing", "ns", name, map[string]string{"a": "b"})
			thing["spec"] = tt.v
			cm := object("v1", "ConfigMap", "ns", name, nil)
			cm["data"] = M{"k": "v"}
			cm["binaryData"] = M{}
			deploy := object("apps/v1", "Deployment", "ns", name, map[string]string{"app": name})
			deploy["spec"] = M{"selector": M{"matchLabels": M{"app": name}},
				"template": M{"metadata": M{"labels": M{"app": name}}, "spec": M{"containers": []any{M{"name": "c", "x": tt.v}}}}}
			bare := M{"apiVersion": "example.com/v1", "kind": "Bare", "metadata": M{"name": name}}
			// the same group, kind and name in another version
			other := object("example.com/v2", "Thing", "ns", name, nil)
			other["spec"] = M{"version": int64(2)}
			return []M{thing, cm, deploy, bare, other}, nil
		}})
	}
	for i, tt := range values {
		t.Run(tt.name, func(t *testing.T) { compareBuilds(t, units, []int{i}, false) })
	}
	all := make([]int, len(units))
	for i := range all {
		all[i] = i
	}
	t.Run("one batch", func(t *testing.T) { compareBuilds(t, units, all, false) })

	// metadata kustomize gets part of, or all of when it may read it
	metas := []struct {
		name    string
		meta    M
		wantErr bool
	}{
		{"odd labels", M{"labels": M{"a": nil, "<<": "x", "clé": "v", "t": "true", "n": "1", "app.kubernetes.io/managed-by": "someone"}}, false},
		{"typed and empty", M{"labels": map[string]string{"a": "b"}, "annotations": M{}}, false},
		{"null labels and annotations", M{"labels": M(nil), "annotations": M(nil)}, false},
		{"labels not a map", M{"labels": "x"}, true},
		{"gitplane annotations", M{"annotations": M{"gitplane.dev/x": "y", "eks.amazonaws.com/role-arn": "arn"}}, false},
		{"local config", M{"annotations": M{"config.kubernetes.io/local-config": "true", "a": "b"}}, false},
		{"needs hash", M{"annotations": M{"kustomize.config.k8s.io/needs-hash": "true"}}, false},
		{"kustomize behavior", M{"annotations": M{"kustomize.config.k8s.io/behavior": "merge"}}, false},
		{"internal index", M{"annotations": M{"config.kubernetes.io/index": "7", "internal.config.kubernetes.io/path": "p"}}, false},
		{"auth secret", M{"annotations": M{"ingress.kubernetes.io/auth-secret": "s"}}, false},
		{"other metadata", M{"generateName": "g-", "finalizers": []any{"f"}, "ownerReferences": []any{M{"name": "o"}}}, false},
	}
	for i, tt := range metas {
		t.Run("metadata "+tt.name, func(t *testing.T) {
			u := []*unit{{source: "m.yaml", what: "test " + tt.name, env: "test", build: func() ([]M, error) {
				var objs []M
				for _, gvk := range [][2]string{{"v1", "Secret"}, {"networking.k8s.io/v1", "Ingress"}, {"example.com/v1", "Thing"}} {
					meta := M{"name": fmt.Sprintf("m%d", i), "namespace": "ns"}
					for k, v := range tt.meta {
						meta[k] = v
					}
					objs = append(objs, M{"apiVersion": gvk[0], "kind": gvk[1], "metadata": meta, "spec": M{"x": "y"}})
				}
				return objs, nil
			}}}
			compareBuilds(t, u, []int{0}, tt.wantErr)
		})
	}

	failing := []struct {
		name string
		obj  M
	}{
		{"NaN", M{"apiVersion": "v1", "kind": "ConfigMap", "metadata": M{"name": "x"}, "data": M{"f": math.NaN()}}},
		{"infinity", M{"apiVersion": "v1", "kind": "ConfigMap", "metadata": M{"name": "x"}, "data": M{"f": math.Inf(1)}}},
		{"a character YAML rejects", M{"apiVersion": "v1", "kind": "ConfigMap", "metadata": M{"name": "x"}, "data": M{"del": "a\x7fb"}}},
		{"a function", M{"apiVersion": "v1", "kind": "ConfigMap", "metadata": M{"name": "x"}, "data": M{"f": func() {}}}},
		{"a List", M{"apiVersion": "v1", "kind": "ConfigMapList", "metadata": M{"name": "x"},
			"items": []any{M{"apiVersion": "v1", "kind": "ConfigMap", "metadata": M{"name": "y"}}}}},
	}
	for _, tt := range failing {
		t.Run(tt.name, func(t *testing.T) {
			u := []*unit{{source: "f.yaml", what: "test f", env: "test", build: func() ([]M, error) { return []M{tt.obj}, nil }}}
			compareBuilds(t, u, []int{0}, true)
		})
	}
}

// compareBuilds builds the units at idx both ways and compares.
func compareBuilds(t *testing.T, units []*unit, idx []int, wantErr bool) {
	t.Helper()
	full, errFull := buildUnitsFull(units, idx)
	meta, errMeta := buildUnits(units, idx, newInterner())
	if wantErr {
		if errFull == nil || errMeta == nil {
			t.Fatalf("want errors from both builds; full: %v, metadata only: %v", errFull, errMeta)
		}
		return
	}
	if errFull != nil || errMeta != nil {
		t.Fatalf("full: %v, metadata only: %v", errFull, errMeta)
	}
	for i, j := range idx {
		a, err := YAML(full[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := YAML(meta[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: metadata-only build differs from the full one:\n%s", units[j].what, diffLines(a, b))
		}
		if !reflect.DeepEqual(full[i], meta[i]) {
			t.Errorf("%s: same YAML, different values (Go types):\nfull:          %#v\nmetadata only: %#v", units[j].what, objectsOf(full[i]), objectsOf(meta[i]))
		}
	}
}

func objectsOf(objs []*unstructured.Unstructured) []M {
	var out []M
	for _, o := range objs {
		out = append(out, o.Object)
	}
	return out
}

func diffLines(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range max(len(al), len(bl)) {
		var x, y []byte
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if !bytes.Equal(x, y) {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}
