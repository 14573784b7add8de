package pricing_test

import (
	"strings"
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
		"| Model | Capacity | Instance (price) | Replicas | $/month before | $/month after | Δ $/month (max) | worst case $/h (max) |\n" +
		"|---|---|---|---|---:|---:|---:|---:|\n" +
		"| models/big | — → on-demand | — → g6e.xlarge (on-demand) | — → 1–1 | — | $1,359 | +$1,359 | $4.529 (g6e.8xlarge) |\n" +
		"| models/llama | spot-with-fallback | g5.xlarge (spot) | 1–3 → 2–4 | $241–$723 | $482–$964 | +$241 | $8.968 (g6e.2xlarge) |\n" +
		"| **Total** | | | | $625–$1,107 | $2,224–$2,706 | +$1,599 | |\n\n" +
		"Unchanged Models are not listed. One node per replica, 730 hours a month. " +
		"Worst case: every replica on the dearest instance type the NodePools allow. Prices: test prices.\n"
	if got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

// TestOfflineSpotIsListPrice: without spot prices a spot Model's estimate
// says it is the on-demand list price, not "spot"; its worst case stays
// within the NodePools' ceiling (no 8-GPU types for a 1-GPU Model).
func TestOfflineSpotIsListPrice(t *testing.T) {
	c, err := pricing.Environment(parseRepo(t, model("llama", "spot", "24G", 1, 2)), "staging", pricing.Offline())
	if err != nil {
		t.Fatal(err)
	}
	m := c.Models[0]
	if m.Basis != "on-demand list price" {
		t.Errorf("basis %q, want on-demand list price", m.Basis)
	}
	if m.Worst.InstanceType == "" || m.Worst.HourlyMax > 3*m.Expected.HourlyMax {
		t.Errorf("worst case %+v is over 3x the expected %+v", m.Worst, m.Expected)
	}
	for _, o := range m.Options {
		if o.GPUs != 1 {
			t.Errorf("option %s has %d GPUs for a 1-GPU Model", o.InstanceType, o.GPUs)
		}
	}
	if text := c.Text(); !strings.Contains(text, "(on-demand list price)") {
		t.Errorf("text does not say the price is the on-demand list price:\n%s", text)
	}
}
