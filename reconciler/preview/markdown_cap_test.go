package preview

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/aws/pricing"
	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/github"
)

// bigPreview is an Environment with n created objects, n added specs and a
// cost table of n Models; object i's diff grows with i%7.
func bigPreview(env string, n int) *EnvPreview {
	p := &EnvPreview{Env: env, HeadSHA: headSHA, Plan: &engine.Plan{Environment: env}, Cost: &pricing.CostChange{}}
	for i := range n {
		var diff strings.Builder
		for j := range 20 + 10*(i%7) {
			fmt.Fprintf(&diff, "+  field%02d: value of object %04d\n", j, i)
		}
		p.Plan.Changes = append(p.Plan.Changes, engine.Change{Action: engine.ActionCreate, Diff: diff.String(),
			Ref: engine.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "bench", Name: fmt.Sprintf("m-%04d", i)}})
		p.Specs = append(p.Specs, SpecChange{Kind: "Model", Namespace: "bench", Name: fmt.Sprintf("m-%04d", i), Action: SpecAdded,
			File: fmt.Sprintf("models/m%04d.yaml", i), Line: 1, Facts: []Fact{{Name: "image", Value: "server:v1", Changed: true}}})
		p.Cost.Models = append(p.Cost.Models, pricing.ModelChange{})
	}
	return p
}

// TestMarkdownCap: a preview of 1000 changes in two Environments fits
// MaxBytes (one comment) with the summary table, both Environments, the
// largest diffs and notes of how much is not shown and where to see it.
func TestMarkdownCap(t *testing.T) {
	previews := []*EnvPreview{bigPreview("staging", 1000), bigPreview("prod", 3)}
	limit := github.PartLimit("preview")
	opts := MarkdownOptions{MaxBytes: limit, More: "see <https://gitplane.example.com/status>", Footer: "Updated for abc."}
	full := Markdown(previews, MarkdownOptions{Footer: opts.Footer})
	md := Markdown(previews, opts)
	if len(full) <= limit || len(md) > limit {
		t.Fatalf("full %d bytes, capped %d, limit %d", len(full), len(md), limit)
	}
	for _, want := range []string{
		"| [staging](#staging) |", "| [prod](#prod) |", "### staging", "### prod", "Updated for abc.",
		"more change(s) not shown: this comment is capped; see <https://gitplane.example.com/status>",
		"more changed spec(s) not listed",
		"<code>apps/Deployment bench/m-0006</code>", // the largest diffs are i%7 == 6
	} {
		if !strings.Contains(md, want) {
			t.Errorf("capped preview lacks %q", want)
		}
	}
	if strings.Contains(md, "bench/m-0000</code>") || strings.Index(md, "bench/m-0006</code>") > strings.Index(md, "bench/m-0013</code>") {
		t.Error("a smallest diff is shown while larger ones are not, or the diffs are out of plan order")
	}
	if n := strings.Count(md, "\n```"); n%2 != 0 || strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Error("unbalanced blocks")
	}
	if parts := github.SplitMarkdown(md, limit); len(parts) != 1 {
		t.Errorf("the capped preview takes %d comments, want 1", len(parts))
	}
	small := []*EnvPreview{bigPreview("staging", 3)}
	if a, b := Markdown(small, MarkdownOptions{}), Markdown(small, MarkdownOptions{MaxBytes: limit}); a != b {
		t.Error("a preview within the cap changed")
	}
}

// TestMarkdownCapFallback: when even the shortest summary is over the cap
// the document is cut at MaxBytes and says so.
func TestMarkdownCapFallback(t *testing.T) {
	var previews []*EnvPreview
	for i := range 2000 {
		previews = append(previews, &EnvPreview{Env: fmt.Sprintf("env-%04d", i)})
	}
	md := Markdown(previews, MarkdownOptions{MaxBytes: 20000})
	if len(md) > 20000 || !strings.Contains(md, "The rest of this preview is not shown") {
		t.Errorf("%d bytes, ends %q", len(md), md[max(0, len(md)-200):])
	}
}
