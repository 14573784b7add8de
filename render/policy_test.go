package render_test

import (
	"context"
	"testing"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/render"
)

// TestPoliciesRideOnTheObjects: a spec's per-object policies are stamped
// on the objects rendered from it (and an Environment's force on all of
// its objects), with the annotation names the engine reads.
func TestPoliciesRideOnTheObjects(t *testing.T) {
	if render.AnnotationForce != engine.AnnotationForce || render.AnnotationPrune != engine.AnnotationPrune {
		t.Fatal("render and the engine disagree on the policy annotations")
	}
	for _, tt := range []struct {
		name  string
		edits map[string][2]string
		want  func(source string) map[string]string
	}{
		{"forced Model, prune-disabled Gateway", map[string][2]string{
			"models/whisper.yaml":      {"  namespace: speech\n", "  namespace: speech\n  annotations: {gitplane.dev/force: \"true\"}\n"},
			"gateways/ai-gateway.yaml": {"metadata:\n", "metadata:\n  annotations: {gitplane.dev/prune: disabled}\n"},
		}, func(source string) map[string]string {
			switch source {
			case "models/whisper.yaml":
				return map[string]string{render.AnnotationForce: "true"}
			case "gateways/ai-gateway.yaml":
				return map[string]string{render.AnnotationPrune: "disabled"}
			}
			return nil
		}},
		{"forced Environment", map[string][2]string{
			"environments/staging.yaml": {"metadata:\n", "metadata:\n  annotations: {gitplane.dev/force: \"true\"}\n"},
		}, func(string) map[string]string { return map[string]string{render.AnnotationForce: "true"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := render.Render(context.Background(), examplesWith(t, tt.edits), "staging")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Objects {
				a := o.GetAnnotations()
				want := tt.want(a[render.AnnotationSource])
				for _, k := range []string{render.AnnotationForce, render.AnnotationPrune} {
					if a[k] != want[k] {
						t.Errorf("%s %s/%s (from %s): %s = %q, want %q", o.GetKind(), o.GetNamespace(), o.GetName(), a[render.AnnotationSource], k, a[k], want[k])
					}
				}
			}
		})
	}
}
