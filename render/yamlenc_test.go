package render

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestBlockYAML checks that kustomize's YAML reader gets from
// writeBlockYAML the values it gets from the object's JSON.
func TestBlockYAML(t *testing.T) {
	tests := []struct {
		name string
		obj  M
	}{
		{"empty", M{}},
		{"scalars", M{"s": "text", "i": int64(8080), "f": 0.5, "b": true, "n": nil, "big": int64(1) << 53}},
		{"YAML 1.1 words and numbers as strings", M{"a": "yes", "b": "on", "c": "1.0", "d": "null", "e": "~", "f": "0755", "g": "", "h": "true"}},
		{"special characters", M{"k:ey": "a: b", "#c": "# not a comment", "- d": "- e", "q": `"quoted" 'single'`, "nl": "line 1\nline 2\n", "tab": "a\tb", "uni": "héllo ✓ \u2028", "html": "<a & b>"}},
		{"empty collections", M{"m": M{}, "l": []any{}, "nested": M{"m": M{}, "l": []any{M{}}}}},
		{"lists", M{"l": []any{"a", int64(1), M{"x": "y", "z": []any{"p", "q"}}, []any{"inner", []any{}}, M{}, nil}}},
		{"deep", M{"a": M{"b": M{"c": []any{M{"d": M{"e": "f"}, "g": "h"}}}}}},
		{"typed Go values", M{"ss": []string{"a", "b"}, "ms": map[string]string{"k": "v"}, "i32": int32(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeBlockYAML(&buf, tt.obj); err != nil {
				t.Fatal(err)
			}
			got := kustomizeRead(t, buf.Bytes())
			data, err := json.Marshal(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			want := kustomizeRead(t, data)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("block YAML reads as\n%#v\nJSON as\n%#v\nYAML:\n%s", got, want, buf.String())
			}
		})
	}
}

// kustomizeRead parses one document the way kustomize's resource reader
// does and returns its values.
func kustomizeRead(t *testing.T, data []byte) map[string]any {
	t.Helper()
	node, err := kyaml.Parse(string(bytes.TrimPrefix(data, []byte("---\n"))))
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	m, err := node.Map()
	if err != nil {
		t.Fatal(err)
	}
	return m
}
