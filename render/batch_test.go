package render

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func configMapUnit(source, name string, extra ...M) *unit {
	return &unit{source: source, what: "test " + source, env: "test", build: func() ([]M, error) {
		cm := object("v1", "ConfigMap", "ns", name, map[string]string{"a": "b"})
		cm["data"] = M{"k": "v", "n": int64(3)}
		return append([]M{cm}, extra...), nil
	}}
}

// TestBatchBuilds checks that units built together in one kustomize build
// get what one build per unit gives them, and that a batch kustomize
// rejects is built again unit by unit, with the error of the first unit
// that fails on its own.
func TestBatchBuilds(t *testing.T) {
	dup := object("v1", "Service", "ns", "shared", nil)
	tests := []struct {
		name    string
		units   []*unit
		wantErr string
	}{
		{"distinct objects", []*unit{configMapUnit("a.yaml", "a"), configMapUnit("b.yaml", "b"), configMapUnit("c.yaml", "c")}, ""},
		{"two units render one object", []*unit{configMapUnit("a.yaml", "a", dup), configMapUnit("b.yaml", "b", dup)}, ""},
		{"a unit kustomize rejects", []*unit{configMapUnit("a.yaml", "a"),
			configMapUnit("b.yaml", "b", object("v1", "ConfigMap", "ns", "b", nil)),
			configMapUnit("c.yaml", "c", object("v1", "ConfigMap", "ns", "c", nil))},
			"rendering test b.yaml (b.yaml): kustomize: accumulating resources"},
		{"a unit that fails to build", []*unit{configMapUnit("a.yaml", "a"), {source: "x.yaml", what: "test x.yaml", env: "test",
			build: func() ([]M, error) { return nil, fmt.Errorf("no GPU fits") }}}, "rendering test x.yaml (x.yaml): no GPU fits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := make([]int, len(tt.units))
			for i := range idx {
				idx[i] = i
			}
			outs := make([][]*unstructured.Unstructured, len(tt.units))
			errs := make([]error, len(tt.units))
			renderBatch(tt.units, idx, outs, errs, newInterner())
			err := firstError(errs)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one starting with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.units {
				alone, err := buildUnits(tt.units, []int{i}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(outs[i], alone[0]) {
					t.Errorf("unit %d: batch gave\n%v\nalone it gives\n%v", i, outs[i], alone[0])
				}
			}
		})
	}
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestRenderMissingSplits checks that every unit is rendered whatever the
// number of units and batches.
func TestRenderMissingSplits(t *testing.T) {
	for _, n := range []int{1, 2, 7, 8, 9, 33} {
		var units []*unit
		var missing []int
		for i := range n {
			units = append(units, configMapUnit(fmt.Sprintf("u%d.yaml", i), fmt.Sprintf("u%d", i)))
			missing = append(missing, i)
		}
		outs := make([][]*unstructured.Unstructured, n)
		if err := renderMissing(context.Background(), units, missing, outs); err != nil {
			t.Fatal(err)
		}
		for i, out := range outs {
			if len(out) != 1 || out[0].GetName() != fmt.Sprintf("u%d", i) ||
				out[0].GetAnnotations()[AnnotationSource] != fmt.Sprintf("u%d.yaml", i) ||
				out[0].GetLabels()[LabelEnvironment] != "test" {
				t.Errorf("n=%d: unit %d got %v", n, i, out)
			}
		}
	}
}
