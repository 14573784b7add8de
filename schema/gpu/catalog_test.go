package gpu_test

import (
	"slices"
	"testing"

	"github.com/gitplane/gitplane/schema/gpu"
)

func names(types []gpu.InstanceType) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = t.Name
	}
	return out
}

// TestCandidatesBounded: the types a NodePool allows are the fitting types
// with the fewest GPUs that fit, at most the given multiple of the cheapest
// one's price: no 8-GPU p5.48xlarge for a 1-GPU Model when spot is short.
func TestCandidatesBounded(t *testing.T) {
	oneA10 := gpu.Request{NominalGB: 24, GPUs: 1, MilliCPU: 3000, MemoryMiB: 12 << 10}
	for _, tt := range []struct {
		name     string
		req      gpu.Request
		multiple float64
		gpus     int32
		want     []string // must be in the list
		wantNot  []string // must not be
	}{
		{"1 GPU, 3x", oneA10, 3, 1, []string{"g6.xlarge", "g5.xlarge", "g6e.2xlarge"},
			[]string{"p5.48xlarge", "p4d.24xlarge", "p5.4xlarge", "g5.12xlarge", "g6.48xlarge", "g6e.48xlarge"}},
		{"1 GPU, 1x", oneA10, 1, 1, []string{"g6.xlarge"}, []string{"g6.2xlarge", "g5.xlarge"}},
		{"2 GPUs: the 4-GPU sizes", gpu.Request{NominalGB: 24, GPUs: 2}, 3, 4, []string{"g6.12xlarge", "g5.12xlarge"},
			[]string{"g6.48xlarge", "g5.48xlarge", "p4d.24xlarge", "p5.48xlarge", "g6.xlarge"}},
		{"80 GB", gpu.Request{NominalGB: 80, GPUs: 1}, 3, 1, []string{"p5.4xlarge"}, []string{"p5.48xlarge"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := gpu.Candidates(gpu.Types(), tt.req, tt.multiple)
			if len(got) == 0 {
				t.Fatal("no candidates")
			}
			cheapest := got[0].OnDemandUSD
			for _, c := range got {
				if !c.Fits(tt.req) {
					t.Errorf("%s does not fit", c.Name)
				}
				if c.GPUs != tt.gpus {
					t.Errorf("%s has %d GPUs, want %d", c.Name, c.GPUs, tt.gpus)
				}
				if c.OnDemandUSD > cheapest*tt.multiple {
					t.Errorf("%s costs $%.3f/h, over %v × $%.3f", c.Name, c.OnDemandUSD, tt.multiple, cheapest)
				}
			}
			n := names(got)
			for _, w := range tt.want {
				if !slices.Contains(n, w) {
					t.Errorf("%s missing from %v", w, n)
				}
			}
			for _, w := range tt.wantNot {
				if slices.Contains(n, w) {
					t.Errorf("%s allowed: %v", w, n)
				}
			}
			if !slices.IsSortedFunc(got, func(a, b gpu.InstanceType) int {
				return int((a.OnDemandUSD - b.OnDemandUSD) * 1e6)
			}) {
				t.Errorf("not cheapest first: %v", n)
			}
		})
	}
}
