package usage

import (
	"math"
	"strconv"
	"testing"
)

func TestBedrockPrice(t *testing.T) {
	tests := []struct {
		id   string
		ok   bool
		in   float64
		name string
	}{
		{"anthropic.claude-3-haiku-20240307-v1:0", true, 0.25, "base model id"},
		{"us.anthropic.claude-3-7-sonnet-20250219-v1:0", true, 3, "cross-Region inference profile"},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-5-haiku-20241022-v1:0", true, 0.80, "profile ARN"},
		{"arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0", true, 0.02, "foundation model ARN"},
		{"acme.unknown-v1", false, 0, "not in the table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := BedrockPrice(tt.id)
			if ok != tt.ok || p.Input != tt.in {
				t.Errorf("BedrockPrice(%q) = %+v, %v", tt.id, p, ok)
			}
		})
	}
}

func TestCost(t *testing.T) {
	p := Price{Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75}
	// 1M prompt tokens of which 200k cache reads and 100k cache writes, 100k output.
	got := p.Cost(1_000_000, 100_000, 200_000, 100_000)
	want := (700_000*3 + 200_000*0.30 + 100_000*3.75 + 100_000*15) / 1e6
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("cost %v, want %v", got, want)
	}
	// A model without cache prices charges cached tokens as input.
	if got := (Price{Input: 1}).Cost(1000, 0, 500, 0); math.Abs(got-0.001) > 1e-12 {
		t.Errorf("cost without cache prices %v, want 0.001", got)
	}
	// Small requests print as their decimal value, without float noise.
	if got := strconv.FormatFloat((Price{Input: 0.2, Output: 0.6}).Cost(12, 2, 0, 0), 'g', -1, 64); got != "3.6e-06" {
		t.Errorf("cost of 12 + 2 tokens prints as %s, want 3.6e-06", got)
	}
}
