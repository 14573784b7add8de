package preview

import (
	"strings"
	"testing"
)

const policyGateway = `apiVersion: gitplane.dev/v1alpha1
kind: Gateway
metadata: {name: ai}
spec:
  host: ai
  iam: {roleArn: "arn:aws:iam::111122223333:role/gw"}
  auth:
    apiKeysSecret: keys
    callers:
    - {name: team-search, routes: [claude, titan]}
    - {name: team-fraud, routes: [fraud], rateLimit: {requestsPerMinute: 50}}
  rateLimit: {requestsPerMinute: 600, tokensPerMinute: 100000}
  routes:
  - {name: claude, bedrock: {modelId: anthropic.claude}}
  - {name: titan, bedrock: {modelId: amazon.titan}}
  - {name: fraud, sagemaker: {endpointName: fraud-v7}, timeout: 10s}
  - {name: llama, model: {name: llama}, fallbacks: [claude]}
`

// TestGatewayAccessInWords: a Gateway's caller and route changes read as
// who gains or loses which route, and which route falls back to which.
func TestGatewayAccessInWords(t *testing.T) {
	base := map[string]string{"env.yaml": testEnv, "llama.yaml": testModel, "gw.yaml": policyGateway}
	with := func(edits ...string) map[string]string {
		out := map[string]string{"env.yaml": testEnv, "llama.yaml": testModel}
		gw := policyGateway
		for i := 0; i < len(edits); i += 2 {
			if !strings.Contains(gw, edits[i]) {
				t.Fatalf("gateway lacks %q", edits[i])
			}
			gw = strings.Replace(gw, edits[i], edits[i+1], 1)
		}
		out["gw.yaml"] = gw
		return out
	}
	tests := []struct {
		name           string
		head           map[string]string
		routes, access string // the facts; "" for unchanged
	}{
		{"caller gains a route", with("routes: [claude, titan]", "routes: [claude, titan, llama]"),
			"", "team-search gains llama"},
		{"caller loses routes", with("routes: [claude, titan]", "routes: [titan]"),
			"", "team-search loses claude"},
		{"caller swaps routes", with("routes: [fraud]", "routes: [claude, llama]"),
			"", "team-fraud gains claude and llama; team-fraud loses fraud"},
		{"caller no longer listed", with("    - {name: team-search, routes: [claude, titan]}\n", ""),
			"", "team-search gains fraud and llama"},
		{"new caller restricted", with("    callers:\n", "    callers:\n    - {name: team-ads, routes: [titan]}\n"),
			"", "team-ads loses claude, fraud and llama"},
		{"caller's own limit", with("rateLimit: {requestsPerMinute: 50}", "rateLimit: {tokensPerMinute: 2000}"),
			"", "team-fraud limit 50/min (burst 5) → 2000 tokens/min"},
		{"caller takes the Gateway's limit", with(", rateLimit: {requestsPerMinute: 50}", ""),
			"", "team-fraud limit 50/min (burst 5) → the Gateway's"},
		{"new route reaches unlisted callers", with("  - {name: llama,", "  - {name: nova, bedrock: {modelId: amazon.nova}}\n  - {name: llama,"),
			"+nova → bedrock amazon.nova", "every other caller gains nova"},
		{"removed route is the routes fact's", with("  - {name: llama, model: {name: llama}, fallbacks: [claude]}\n", ""),
			"−llama (was model models/llama)", ""},
		{"route now falls back", with("endpointName: fraud-v7}, timeout: 10s}", "endpointName: fraud-v7}, timeout: 10s, fallbacks: [llama, claude]}"),
			"fraud now falls back to llama, then claude", ""},
		{"route no longer falls back", with(", fallbacks: [claude]}", "}"),
			"llama no longer falls back (was claude)", ""},
		{"fallback changes", with("fallbacks: [claude]", "fallbacks: [titan]"),
			"llama now falls back to titan (was claude)", ""},
		{"timeout", with("timeout: 10s}", "timeout: 30s}"),
			"fraud timeout 10s → 30s", ""},
		{"timeout back to the default", with(", timeout: 10s}", "}"),
			"fraud timeout 10s → default", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gw SpecChange
			for _, s := range compareSpecs(parse(t, base), parse(t, tt.head), "dev") {
				if s.Kind == "Gateway" {
					gw = s
				}
			}
			if gw.Action != SpecChanged {
				t.Fatalf("Gateway %s, want changed: %s", gw.Action, gw)
			}
			facts := map[string]Fact{}
			for _, f := range gw.Facts {
				facts[f.Name] = f
			}
			for name, want := range map[string]string{"routes": tt.routes, "access": tt.access} {
				f, ok := facts[name]
				switch {
				case !ok:
					t.Errorf("no %s fact in %s", name, gw)
				case (want == "") == f.Changed || (want != "" && f.Value != want):
					t.Errorf("%s = %q (changed %v), want %q", name, f.Value, f.Changed, want)
				}
			}
		})
	}
}

// TestGatewayAddedLists shows every caller's routes of a new Gateway.
func TestGatewayAddedLists(t *testing.T) {
	base := map[string]string{"env.yaml": testEnv, "llama.yaml": testModel}
	head := map[string]string{"env.yaml": testEnv, "llama.yaml": testModel, "gw.yaml": policyGateway}
	var got string
	for _, s := range compareSpecs(parse(t, base), parse(t, head), "dev") {
		if s.Kind == "Gateway" {
			got = s.String()
		}
	}
	want := "Gateway ai-gateway/ai added: routes claude → bedrock anthropic.claude, titan → bedrock amazon.titan, fraud → sagemaker fraud-v7, llama → model models/llama (falls back to claude); " +
		"access team-search: claude, titan; team-fraud: fraud (50/min (burst 5)); every other caller: all routes; " +
		"image ghcr.io/gitplane/gitplane:dev; replicas 2; exposure public at ai.example.com; rate limit 600/min (burst 60), 100000 tokens/min"
	if got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}
