package pricing_test

import (
	"testing"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/pricing"
)

// TestCompareMarkdown renders the PR-comment cost section for a change that
// scales one Model, adds one and leaves one alone.
func TestCompareMarkdown(t *testing.T) {
	p := livePrices(t, awstest.NewEC2(t, ec2Types(), ec2Spot()))
	estimate := func(models string) pricing.EnvironmentCost {
		c, err := pricing.Environment(parseRepo(t, models), "staging", p)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	before := estimate(model("llama", "spot-with-fallback", "24G", 1, 3) + model("steady", "on-demand", "16G", 1, 1))
	after := estimate(model("llama", "spot-with-fallback", "24G", 2, 4) + model("steady", "on-demand", "16G", 1, 1) +
		model("big", "on-demand", "48G", 1, 1))
	got := pricing.Compare(before, after).Markdown("test prices")
	const want = "#### Estimated GPU cost: staging\n\n" +
		"| Model | Capacity | Instance | Replicas | $/month before | $/month after | Δ $/month (max) |\n" +
		"|---|---|---|---|---:|---:|---:|\n" +
		"| models/big | — → on-demand | — → g6e.xlarge | — → 1–1 | — | $1,359 | +$1,359 |\n" +
		"| models/llama | spot-with-fallback | g5.xlarge | 1–3 → 2–4 | $241–$723 | $482–$964 | +$241 |\n" +
		"| **Total** | | | | $625–$1,107 | $2,224–$2,706 | +$1,599 |\n\n" +
		"Unchanged Models are not listed. One node per replica, 730 hours a month. Prices: test prices.\n"
	if got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}
