package preview

import (
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// TestMarkdownShowsTakeOvers: an object the plan takes over is counted in
// the summary table, named as a risk, and its diff says "taken over".
func TestMarkdownShowsTakeOvers(t *testing.T) {
	plan := &engine.Plan{Environment: "prod", Changes: []engine.Change{{
		Ref:    engine.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "models", Name: "by-hand"},
		Action: engine.ActionTakeOver,
		Risks:  []string{engine.TakeOverRisk + " (its fields are managed by kubectl-create)"},
		Diff:   "--- live/ConfigMap models/by-hand\n+++ desired/ConfigMap models/by-hand\n@@ -1 +1 @@\n-k: old\n+k: new\n",
	}}}
	md := Markdown([]*EnvPreview{{Env: "prod", Plan: plan, Risks: risksOf(plan, "")}}, MarkdownOptions{})
	for _, want := range []string{
		"| 0 (+1 taken over) |",
		"takes over an object not managed by this Environment (its fields are managed by kubectl-create)",
		"<code>ConfigMap models/by-hand</code> taken over</summary>",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}
