package render

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

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
	var c jsonCopier
	out, _, err := c.value(v, 0, nil)
	return out, err
}

// jsonCopier makes the copies jsonValue describes. With an interner, the
// copies it makes of equal maps and lists are one value, shared by every
// object that holds them: most of a large render's maps (a Model's labels
// in its selectors and templates, tolerations, probes, NodePool
// requirements, ...) are equal to others, and sharing them takes more than
// half off the memory the rendered objects hold.
type jsonCopier struct {
	in     *interner // nil: plain copies
	levels []*copyLevel
}

// copyLevel is the scratch space of one depth of the copy.
type copyLevel struct {
	enc  []byte   // canonical encoding of the map or list being copied
	keys []string // its keys, sorted
	vals []any    // its copied values
}

func (c *jsonCopier) level(depth int) *copyLevel {
	for len(c.levels) <= depth {
		c.levels = append(c.levels, &copyLevel{})
	}
	return c.levels[depth]
}

// value returns the copy of v and appends v's canonical encoding to enc:
// equal values have equal encodings, and maps and lists are encoded by
// their id in the interner, so a parent's encoding stays short.
func (c *jsonCopier) value(v any, depth int, enc []byte) (any, []byte, error) {
	switch t := v.(type) {
	case nil:
		return nil, append(enc, 'n'), nil
	case bool:
		if t {
			return v, append(enc, 'T'), nil
		}
		return v, append(enc, 'F'), nil
	case string:
		if plainASCII(t) {
			return v, appendString(append(enc, 's'), t), nil // v: no new box for the string
		}
	case map[string]any:
		if t == nil {
			return nil, append(enc, 'n'), nil // written as null
		}
		return c.object(t, depth, enc)
	case []any:
		if t == nil {
			return nil, append(enc, 'n'), nil
		}
		return c.list(t, depth, enc)
	case int64:
		return v, appendInt(enc, t), nil
	case int:
		return int64(t), appendInt(enc, int64(t)), nil
	case int32:
		return int64(t), appendInt(enc, int64(t)), nil
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t), appendInt(enc, int64(t)), nil // JSON writes it without a point: YAML reads an int
		}
		if !math.IsInf(t, 0) && !math.IsNaN(t) && t != math.Trunc(t) {
			// shortest round-tripping form: YAML reads the same float
			return t, binary.LittleEndian.AppendUint64(append(enc, 'f'), math.Float64bits(t)), nil
		}
	}
	out, err := throughYAML(v)
	return out, c.unique(enc), err
}

func (c *jsonCopier) object(m map[string]any, depth int, enc []byte) (any, []byte, error) {
	lv := c.level(depth)
	keys := lv.keys[:0]
	for k := range m {
		if k == mergeKey {
			continue
		}
		if !plainASCII(k) {
			out, err := throughYAML(m)
			return out, c.unique(enc), err
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf := binary.AppendUvarint(append(lv.enc[:0], 'm'), uint64(len(keys)))
	vals := lv.vals[:0]
	for _, k := range keys {
		buf = appendString(buf, k)
		cv, b, err := c.value(m[k], depth+1, buf)
		if err != nil {
			return nil, enc, fmt.Errorf("%s: %w", k, err)
		}
		buf, vals = b, append(vals, cv)
	}
	lv.enc, lv.keys, lv.vals = buf, keys, vals
	build := func() any {
		out := make(map[string]any, len(keys))
		for i, k := range keys {
			out[k] = vals[i]
		}
		return out
	}
	same := func(v any) bool {
		m, ok := v.(map[string]any)
		if !ok || len(m) != len(keys) {
			return false
		}
		for i, k := range keys {
			if e, ok := m[k]; !ok || !identical(e, vals[i]) {
				return false
			}
		}
		return true
	}
	out, enc := c.intern(buf, same, build, enc)
	clear(vals) // the scratch space keeps no copies alive
	return out, enc, nil
}

func (c *jsonCopier) list(l []any, depth int, enc []byte) (any, []byte, error) {
	lv := c.level(depth)
	buf := binary.AppendUvarint(append(lv.enc[:0], 'l'), uint64(len(l)))
	vals := lv.vals[:0]
	for i, e := range l {
		cv, b, err := c.value(e, depth+1, buf)
		if err != nil {
			return nil, enc, fmt.Errorf("[%d]: %w", i, err)
		}
		buf, vals = b, append(vals, cv)
	}
	lv.enc, lv.vals = buf, vals
	build := func() any {
		out := make([]any, len(vals)) // not nil, even when empty
		copy(out, vals)
		return out
	}
	same := func(v any) bool {
		l, ok := v.([]any)
		if !ok || len(l) != len(vals) {
			return false
		}
		for i := range l {
			if !identical(l[i], vals[i]) {
				return false
			}
		}
		return true
	}
	out, enc := c.intern(buf, same, build, enc)
	clear(vals)
	return out, enc, nil
}

// intern returns the value encoded as key, built once, and appends its
// reference to enc. same tells whether a value is the one being copied.
// Without an interner every call builds a new value.
func (c *jsonCopier) intern(key []byte, same func(any) bool, build func() any, enc []byte) (any, []byte) {
	if c.in == nil {
		return build(), enc
	}
	v, id := c.in.intern(key, same, build)
	return v, binary.LittleEndian.AppendUint64(append(enc, 'r'), id)
}

// identical reports whether a and b are the same value: the same map or
// list (interned children of equal content are), or equal scalars.
func identical(a, b any) bool {
	switch a.(type) {
	case map[string]any, []any:
		ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
		return rb.IsValid() && ra.Type() == rb.Type() && ra.Len() == rb.Len() &&
			(ra.Len() == 0 || ra.UnsafePointer() == rb.UnsafePointer())
	case nil, bool, string, int64, float64:
		return a == b
	}
	return false
}

// unique appends an encoding no other value has, for values that are not
// shared (those that went through YAML).
func (c *jsonCopier) unique(enc []byte) []byte {
	if c.in == nil {
		return enc
	}
	return binary.LittleEndian.AppendUint64(append(enc, 'u'), c.in.ids.Add(1))
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendInt(b []byte, i int64) []byte {
	return binary.LittleEndian.AppendUint64(append(b, 'i'), uint64(i))
}

// interner holds one value per canonical encoding, for one render, indexed
// by the encoding's 64-bit hash; the value found is compared with the one
// being copied, and the rare other value with the same hash is kept by its
// whole encoding. The values it hands out are shared: nothing may change
// them.
type interner struct {
	ids      atomic.Uint64
	hash     func([]byte) uint64
	mu       sync.Mutex
	nodes    map[uint64]interned
	collided map[string]interned
}

type interned struct {
	v  any
	id uint64
}

func newInterner() *interner {
	seed := maphash.MakeSeed()
	return &interner{
		hash:  func(b []byte) uint64 { return maphash.Bytes(seed, b) },
		nodes: map[uint64]interned{},
	}
}

func (in *interner) intern(key []byte, same func(any) bool, build func() any) (any, uint64) {
	h := in.hash(key)
	in.mu.Lock()
	defer in.mu.Unlock()
	n, ok := in.nodes[h]
	switch {
	case !ok:
		n = interned{v: build(), id: in.ids.Add(1)}
		in.nodes[h] = n
	case !same(n.v):
		if n, ok = in.collided[string(key)]; !ok {
			if in.collided == nil {
				in.collided = map[string]interned{}
			}
			n = interned{v: build(), id: in.ids.Add(1)}
			in.collided[string(key)] = n
		}
	}
	return n.v, n.id
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
