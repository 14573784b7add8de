package engine

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// AnnotationAppliedHash records, on every object gitplane applies, a hash of
// the object as rendered. When the live object carries the hash of the
// current render and its fields still hold the rendered values, the object is
// unchanged and no request is needed to prove it. A Secret's hash leaves its
// values out (see secretHashed): the annotation says nothing about them.
const AnnotationAppliedHash = "gitplane.dev/applied-hash"

// desiredHash hashes the rendered object: every key and value, maps in
// key order, so equal objects hash equally; for a Secret, everything but
// the values.
func desiredHash(o *unstructured.Unstructured) (string, error) {
	v := o.Object
	if isSecret(RefOf(o)) {
		v = secretHashed(o.Object)
	}
	return structuralHash(RefOf(o), v)
}

func structuralHash(ref Ref, v map[string]any) (string, error) {
	h := sha256.New()
	if err := hashValue(h, v); err != nil {
		return "", fmt.Errorf("hashing %s: %w", ref, err)
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16]), nil
}

// secretHashed is what a Secret's hash covers: the object with every value
// of data and stringData left out, the keys kept. An unkeyed hash of the
// values would let anyone who can read the annotation (metadata reaches
// further than Secret values: kube-state-metrics, backups, audit logs) test
// guesses of weak values offline. Without them the hash cannot prove a
// Secret unchanged, so a Secret's values are always compared with the live
// ones (compareObject).
func secretHashed(obj map[string]any) map[string]any {
	out := maps.Clone(obj)
	for _, field := range []string{"data", "stringData"} {
		m, ok := obj[field].(map[string]any)
		if !ok {
			continue
		}
		keys := make(map[string]any, len(m))
		for k := range m {
			keys[k] = nil
		}
		out[field] = keys
	}
	return out
}

// comparable is the rendered object as holds should compare it with the
// live one: a Secret's stringData is encoded into data, where the API
// server stores it (stringData wins over data for the same key).
func comparable(ref Ref, o *unstructured.Unstructured) map[string]any {
	sd, ok := o.Object["stringData"].(map[string]any)
	if !isSecret(ref) || !ok {
		return o.Object
	}
	out := maps.Clone(o.Object)
	data, _ := o.Object["data"].(map[string]any)
	data = maps.Clone(data)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range sd {
		s, _ := v.(string)
		data[k] = base64.StdEncoding.EncodeToString([]byte(s))
	}
	out["data"] = data
	delete(out, "stringData")
	return out
}

// hashValue feeds a JSON-like value to h with type tags and lengths, so
// different values never produce the same stream.
func hashValue(h hash.Hash, v any) error {
	var buf [binary.MaxVarintLen64 + 1]byte
	tagged := func(tag byte, n int) {
		buf[0] = tag
		k := binary.PutUvarint(buf[1:], uint64(n))
		h.Write(buf[:1+k])
	}
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		tagged('m', len(keys))
		for _, k := range keys {
			tagged('k', len(k))
			h.Write([]byte(k))
			if err := hashValue(h, v[k]); err != nil {
				return err
			}
		}
	case []any:
		tagged('l', len(v))
		for _, e := range v {
			if err := hashValue(h, e); err != nil {
				return err
			}
		}
	case string:
		tagged('s', len(v))
		h.Write([]byte(v))
	case nil:
		tagged('z', 0)
	case bool:
		if v {
			tagged('t', 0)
		} else {
			tagged('f', 0)
		}
	default:
		f, ok := number(v)
		if !ok {
			return fmt.Errorf("unexpected %T in object", v)
		}
		s := strconv.FormatFloat(f, 'g', -1, 64)
		tagged('n', len(s))
		h.Write([]byte(s))
	}
	return nil
}

// withHash returns the rendered object annotated with its hash. The copy is
// shallow: only the maps on the path to the annotation are new, the rest is
// shared with the rendered object, which nothing here changes.
func withHash(o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	h, err := desiredHash(o)
	if err != nil {
		return nil, err
	}
	obj := maps.Clone(o.Object)
	meta, _ := obj["metadata"].(map[string]any)
	meta = maps.Clone(meta)
	if meta == nil {
		meta = map[string]any{}
	}
	annotations, _ := meta["annotations"].(map[string]any)
	annotations = maps.Clone(annotations)
	if annotations == nil {
		annotations = map[string]any{}
	}
	annotations[AnnotationAppliedHash] = h
	meta["annotations"] = annotations
	obj["metadata"] = meta
	return &unstructured.Unstructured{Object: obj}, nil
}

// holds reports whether every field set in desired has the same value in
// live. Fields only live has (defaults, status, other managers' fields) do
// not matter. Quantities compare by value ("1000m" holds "1"). A false
// answer is not proof of a difference: the server may normalise values in
// ways only it knows, so callers ask it (dry-run) before calling it drift.
func holds(desired, live any) bool {
	switch d := desired.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return len(d) == 0 && live == nil
		}
		for k, dv := range d {
			lv, present := l[k]
			if !present {
				if isEmpty(dv) {
					continue
				}
				return false
			}
			if !holds(dv, lv) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok {
			return len(d) == 0 && live == nil
		}
		if len(d) != len(l) {
			return false
		}
		for i := range d {
			if !holds(d[i], l[i]) {
				return false
			}
		}
		return true
	case string:
		l, ok := live.(string)
		if !ok {
			return false
		}
		return d == l || sameQuantity(d, l)
	case nil:
		return live == nil
	default:
		return sameScalar(d, live)
	}
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// sameQuantity compares strings that both parse as resource quantities and
// start with a digit (so "a" and "Ki" never count), by value.
func sameQuantity(a, b string) bool {
	if a == "" || b == "" || !startsNumeric(a) || !startsNumeric(b) {
		return false
	}
	qa, err := resource.ParseQuantity(a)
	if err != nil {
		return false
	}
	qb, err := resource.ParseQuantity(b)
	if err != nil {
		return false
	}
	return qa.Cmp(qb) == 0
}

func startsNumeric(s string) bool {
	return strings.IndexByte("0123456789.+-", s[0]) >= 0
}

// sameScalar compares numbers across the int64/float64 forms JSON decoding
// produces, and other scalars by equality.
func sameScalar(a, b any) bool {
	fa, aNum := number(a)
	fb, bNum := number(b)
	if aNum || bNum {
		return aNum && bNum && fa == fb
	}
	return a == b
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
