package render

import (
	"fmt"
	"reflect"
	"testing"
)

// TestInternedCopies checks that copies through an interner equal plain
// copies, that equal values come out as one, and that values that differ
// only in type or shape stay apart.
func TestInternedCopies(t *testing.T) {
	t.Run("hashed", func(t *testing.T) { testInternedCopies(t, newInterner()) })
	t.Run("every hash colliding", func(t *testing.T) {
		in := newInterner()
		in.hash = func([]byte) uint64 { return 42 }
		testInternedCopies(t, in)
	})
}

func testInternedCopies(t *testing.T, in *interner) {
	values := []any{
		M{"a": "b"},
		M{"a": "b", "c": nil},
		M{"a": M{"b": "c"}},
		M{"a": []any{"b", "c"}},
		M{"a": []any{"bc"}},
		M{"ab": "c"},
		M{"a": "bc"},
		M{"a": int64(1)},
		M{"a": 1.0},
		M{"a": "1"},
		M{"a": true},
		M{"a": "true"},
		M{"a": 0.5},
		M{"a": M{}},
		M{"a": []any{}},
		M{"a": nil},
		M{"a": M(nil)},
		M{"<<": "x", "a": "b"},
		M{"a": []any{M{"x": "y"}, M{"x": "y"}}},
		M{"a": []any{M{"x": "y"}}, "b": M{"x": "y"}},
		[]any{"a", "b"},
		[]any{[]any{"a"}, "b"},
		[]any{"a", []any{"b"}},
	}
	throughYAMLFrom := len(values)
	// values that go through YAML are copies of their own
	values = append(values, M{"a": "é"}, M{"é": "a"}, map[string]string{"a": "b"})
	c := &jsonCopier{in: in}
	first := map[string]any{} // plain copy's string form → first interned copy
	for i, v := range values {
		plain, err := jsonValue(v)
		if err != nil {
			t.Fatal(err)
		}
		for round := range 2 {
			got, _, err := c.value(v, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, plain) {
				t.Errorf("values[%d] round %d: interned copy %#v, plain copy %#v", i, round, got, plain)
			}
			key := fmt.Sprintf("%#v", plain)
			if i >= throughYAMLFrom {
				for k, prev := range first {
					if shared(prev, got) {
						t.Errorf("values[%d], which went through YAML, is the same value as %s", i, k)
					}
				}
				continue
			}
			if prev, ok := first[key]; ok {
				if !shared(prev, got) && isCollection(got) {
					t.Errorf("values[%d] round %d: equal to an earlier value but not the same map or list", i, round)
				}
				continue
			}
			for k, prev := range first {
				if isCollection(got) && shared(prev, got) {
					t.Errorf("values[%d] (%s) is the same value as %s", i, key, k)
				}
			}
			first[key] = got
		}
	}
	// the equal inner maps of one value are one map
	v, _, _ := c.value(M{"a": []any{M{"x": "y"}}, "b": M{"x": "y"}}, 0, nil)
	m := v.(M)
	if !shared(m["a"].([]any)[0], m["b"]) {
		t.Error("equal inner maps of one value are not shared")
	}
}

func isCollection(v any) bool {
	switch v.(type) {
	case M, []any:
		return v != nil
	}
	return false
}

// shared reports whether a and b are the same map or list.
func shared(a, b any) bool {
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.Kind() != rb.Kind() || (ra.Kind() != reflect.Map && ra.Kind() != reflect.Slice) {
		return false
	}
	if ra.Kind() == reflect.Slice && (ra.Len() == 0 || rb.Len() == 0) {
		return ra.Len() == rb.Len() && ra.Pointer() == rb.Pointer()
	}
	return ra.Pointer() == rb.Pointer()
}
