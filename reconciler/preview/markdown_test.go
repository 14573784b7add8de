package preview

import (
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/schema"
)

func TestMarkdownText(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"code", code("a"), "`a`"},
		{"code with backtick", code("a`b"), "``a`b``"},
		{"code starting with backtick", code("`a"), "`` `a ``"},
		{"code empty", code(""), "` `"},
		{"fence", fenced("diff", "+x\n"), "```diff\n+x\n```\n"},
		{"fence longer than content's", fenced("diff", "+```\n"), "````diff\n+```\n````\n"},
		{"escape", escape("a|b <c> *d* [e](f)\nnext"), `a\|b \<c\> \*d\* \[e\](f) next`},
		{"anchor", anchor("Prod EU-1"), "prod-eu-1"},
		{"usd", usd(1234567.4), "$1,234,567"},
		{"short", short("0123456789abcdef"), "0123456789ab"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestMarkdownStatus checks the summary table's status cell for each kind
// of outcome.
func TestMarkdownStatus(t *testing.T) {
	changed := &engine.Plan{Changes: []engine.Change{{Action: engine.ActionConfigure}}}
	none := &engine.Plan{Changes: []engine.Change{{Action: engine.ActionUnchanged}}}
	tests := []struct {
		p    EnvPreview
		want string
	}{
		{EnvPreview{Refused: "symbolic link models/x.yaml leaves the tree", Failed: true}, "❌ not previewed"},
		{EnvPreview{ValidationErrors: make(schema.ErrorList, 2), Failed: true}, "❌ 2 validation error(s)"},
		{EnvPreview{RenderError: "x", Failed: true}, "❌ render failed"},
		{EnvPreview{Plan: changed, ServerErrors: []string{"x"}, Failed: true}, "❌ 1 rejected by the API server"},
		{EnvPreview{Plan: changed, Risks: []Risk{{Message: "x"}}}, "⚠️ 1 risk(s)"},
		{EnvPreview{}, "ℹ️ not planned"},
		{EnvPreview{Plan: none}, "✅ no changes"},
		{EnvPreview{Plan: changed}, "✅ ready"},
	}
	for _, tt := range tests {
		if got := status(&tt.p); got != tt.want {
			t.Errorf("status = %q, want %q", got, tt.want)
		}
	}
}

// TestMarkdownSplits previews a change too large for one comment: the
// github package cuts it into numbered parts that fit, every part with
// balanced diff fences and <details> blocks.
func TestMarkdownSplits(t *testing.T) {
	var changes []engine.Change
	for i := range 300 {
		var diff strings.Builder
		for j := range 40 {
			diff.WriteString("-  field" + itoa(j) + ": old value of object " + itoa(i) + "\n+  field" + itoa(j) + ": new value\n")
		}
		changes = append(changes, engine.Change{Ref: engine.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "cm-" + itoa(i)},
			Action: engine.ActionConfigure, Diff: diff.String()})
	}
	md := Markdown([]*EnvPreview{{Env: "prod", Plan: &engine.Plan{Environment: "prod", Changes: changes}}}, MarkdownOptions{})
	limit := github.PartLimit("preview")
	parts := github.SplitMarkdown(md, limit)
	if len(md) <= limit || len(parts) < 2 {
		t.Fatalf("%d bytes in %d part(s); the test needs a preview larger than one comment", len(md), len(parts))
	}
	for i, p := range parts {
		if len(p) > limit {
			t.Errorf("part %d: %d bytes, limit %d", i+1, len(p), limit)
		}
		if n := strings.Count(p, "\n```"); n%2 != 0 {
			t.Errorf("part %d has %d fence lines: unbalanced", i+1, n)
		}
		if strings.Count(p, "<details>") != strings.Count(p, "</details>") {
			t.Errorf("part %d: unbalanced <details>", i+1)
		}
	}
	if !strings.Contains(strings.Join(parts, ""), "cm-299") {
		t.Error("the last object's diff is missing from the parts")
	}
}
