package preview

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// scrubPlan removes every Secret value of the rendered and live objects
// from the plan's diffs, errors and guard reasons: a second line of defence
// behind the redaction of diffs, for text that quotes objects.
func scrubPlan(plan *engine.Plan, rendered []*unstructured.Unstructured) {
	objs := append([]*unstructured.Unstructured(nil), rendered...)
	for _, c := range plan.Changes {
		objs = append(objs, c.Live, c.Desired)
	}
	scrub := engine.TextRedactor(objs...) // the objects are read once, not per text
	for i := range plan.Changes {
		plan.Changes[i].Diff = scrub(plan.Changes[i].Diff)
		plan.Changes[i].Error = scrub(plan.Changes[i].Error)
		plan.Changes[i].Reason = scrub(plan.Changes[i].Reason)
	}
	if g := plan.PruneGuard; g != nil {
		g.Reason = scrub(g.Reason)
	}
}
