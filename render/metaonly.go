package render

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Unit builds give kustomize only each object's apiVersion, kind and
// metadata, and put the rest of the generated object back afterwards.
//
// Why this is exact. The unit kustomization (unitKustomization) has
// resources and one labels entry with pairs only: no includeSelectors, no
// includeTemplates, no fields. In kustomize api v0.21.2,
// internal/target/kusttarget_configplugin.go (the LabelTransformer
// configurator) gives such an entry the field specs of the transformer
// config's "labels" section, which the default config
// (internal/konfig/builtinpluginconsts/defaultconfig.go) does not have, plus
// {path: metadata/labels, create: true}; only includeSelectors adds the
// commonLabels specs (selectors, templates) and only includeTemplates the
// templateLabels ones. The configurator's trailing commonLabels transformer
// has no labels and does nothing (internal/builtins/LabelTransformer.go
// returns when len(p.Labels) == 0). Every other builtin transformer is
// configured from a kustomization field the unit kustomization leaves empty.
// Reading resources (api/resource/factory.go) looks past metadata only to
// expand the items of a kind named *List, and those objects are sent whole.
// So kustomize reads and writes nothing but apiVersion, kind and metadata,
// and everything else comes out as it went in, up to the YAML round trip
// the output went through: jsonValue reproduces that round trip.
//
// TestMetadataOnlyBuilds renders the examples and a set of edge-case values
// both ways (buildUnitsFull) and compares; it fails if the unit
// kustomization ever gains a transformer that touches more than metadata.
// Reading each resource is most of kustomize's cost (kio.ByteReader
// de-anchoring copies every mapping subtree), so this halves the CPU of a
// cold render and more than halves what it allocates.

// kustomizeView is what kustomize gets of a generated object, and whether
// that is only part of it (the rest is put back by jsonValue's copy).
func kustomizeView(o M) (M, bool) {
	if kind, _ := o["kind"].(string); strings.HasSuffix(kind, "List") {
		return o, false // kustomize reads the items of a List
	}
	view := make(M, 3)
	for _, f := range [...]string{"apiVersion", "kind", "metadata"} {
		if v, ok := o[f]; ok {
			view[f] = v
		}
	}
	return view, len(view) < len(o)
}

// rest is a generated object's fields other than apiVersion, kind and
// metadata, as kustomize would have returned them.
func rest(o M) (M, error) {
	r := make(M, len(o))
	for k, v := range o {
		switch k {
		case "apiVersion", "kind", "metadata", mergeKey:
			continue
		}
		c, err := jsonValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		r[k] = c
	}
	return r, nil
}

// jsonValue returns a copy of v as the full path gives it back: v written
// by writeBlockYAML (scalars as JSON), read by kustomize's YAML parser and
// de-anchored (which drops every "<<" key), and converted by jsonNumbers.
// So maps are map[string]any, lists []any,
// numbers int64 (an integral float too, as JSON writes it without a point)
// or float64, and typed Go values (map[string]string, []string, structs)
// what their JSON reads as. Values with a simple answer are converted here;
// the others (non-ASCII or control characters in strings, large or
// non-finite numbers, other types) go through json.Marshal and kyaml's
// YAML parser, exactly as in the full path. Shared subtrees are copied,
// so the result shares nothing with v.
func jsonValue(v any) (any, error) {
	switch t := v.(type) {
	case nil, bool:
		return t, nil
	case string:
		if plainASCII(t) {
			return t, nil
		}
	case map[string]any:
		if t == nil {
			return nil, nil // written as null
		}
		m := make(map[string]any, len(t))
		for k, e := range t {
			if k == mergeKey {
				continue
			}
			if !plainASCII(k) {
				return throughYAML(v)
			}
			c, err := jsonValue(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[k] = c
		}
		return m, nil
	case []any:
		if t == nil {
			return nil, nil
		}
		s := make([]any, len(t))
		for i, e := range t {
			c, err := jsonValue(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			s[i] = c
		}
		return s, nil
	case int64:
		return t, nil
	case int:
		return int64(t), nil
	case int32:
		return int64(t), nil
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t), nil // JSON writes it without a point: YAML reads an int
		}
		if !math.IsInf(t, 0) && !math.IsNaN(t) && t != math.Trunc(t) {
			return t, nil // shortest round-tripping form: YAML reads the same float
		}
	}
	return throughYAML(v)
}

// plainASCII is true for strings JSON writes as themselves (bar escaped
// quotes and backslashes) and YAML reads back unchanged.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// mergeKey is the YAML merge key. kio.ByteReader de-anchors what it reads,
// and kyaml's deAnchor (kyaml/yaml/rnode.go, removeMergeTags) clears the
// field "<<" of every mapping, merge-tagged or not: so a quoted "<<" key,
// as writeBlockYAML writes one, is dropped by the full path.
const mergeKey = "<<"

// throughYAML is the full path for one value: JSON as writeBlockYAML writes
// it, parsed by kyaml's YAML parser (yaml.v3, as kio.ByteReader), "<<" keys
// dropped as deAnchor does, numbers converted by jsonNumbers.
func throughYAML(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := kyaml.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return jsonNumbers(dropMergeKeys(out)), nil
}

// dropMergeKeys deletes the "<<" fields of the maps in v, in place.
func dropMergeKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		delete(t, mergeKey)
		for _, e := range t {
			dropMergeKeys(e)
		}
	case []any:
		for _, e := range t {
			dropMergeKeys(e)
		}
	}
	return v
}
