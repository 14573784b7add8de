package preview

import (
	"strings"
	"testing"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/schematest"
)

const testEnv = `apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata: {name: dev}
spec:
  cluster: {name: c, region: us-east-1, accountId: "111122223333", oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"}
  ingress: {certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/x", domain: example.com}
  nodes: {role: r, subnetSelector: {a: b}, securityGroupSelector: {a: b}}
`

const testModel = `apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: llama}
spec:
  image: vllm:v0.6.3
  resources: {gpu: {memory: 24Gi}, cpu: "3", memory: 12Gi}
  replicas: {min: 1, max: 3}
  expose: {host: llama, visibility: public}
`

const testGateway = `apiVersion: gitplane.dev/v1alpha1
kind: Gateway
metadata: {name: ai}
spec:
  host: ai
  iam: {roleArn: "arn:aws:iam::111122223333:role/gw"}
  routes:
  - {name: claude, bedrock: {modelId: anthropic.claude}}
  - {name: fraud, sagemaker: {endpointName: fraud-v7}}
  auth: {apiKeysSecret: keys}
`

func parse(t *testing.T, files map[string]string) *schema.Repo {
	t.Helper()
	in := map[string][]byte{}
	for k, v := range files {
		in[k] = []byte(v)
	}
	repo, err := schematest.Parse(in)
	if err != nil {
		t.Fatalf("parsing test repository: %v", err)
	}
	return repo
}

// TestCompareSpecs checks the one-line summaries of Models, Gateways and the
// Environment for typical changes.
func TestCompareSpecs(t *testing.T) {
	base := map[string]string{"env.yaml": testEnv, "llama.yaml": testModel, "gw.yaml": testGateway}
	with := func(file, old, new string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		if old == "" && new == "" {
			delete(out, file)
			return out
		}
		if !strings.Contains(out[file], old) && old != "" {
			t.Fatalf("%s lacks %q", file, old)
		}
		out[file] = strings.Replace(out[file], old, new, 1)
		if old == "" {
			out[file] = new
		}
		return out
	}
	tests := []struct {
		name string
		head map[string]string
		want []string // String() of each spec summary, in order
	}{
		{"no change", base, []string{
			"Environment dev unchanged: cluster c (us-east-1); ingress internet-facing *.example.com",
			"Model models/llama unchanged: image vllm:v0.6.3; GPU 24Gi ×1 (g5, g6, g6e); capacity spot-with-fallback; replicas 1–3; exposure public at llama.example.com/",
			"Gateway ai-gateway/ai unchanged: routes 2 unchanged; access every caller: all routes; image ghcr.io/gitplane/gitplane:dev; replicas 2; exposure public at ai.example.com; rate limit none",
		}},
		{"image and replicas", with("llama.yaml", "image: vllm:v0.6.3\n", "image: vllm:v0.7.0\n  capacity: on-demand\n  args: [--x]\n"), []string{
			"Environment dev unchanged: cluster c (us-east-1); ingress internet-facing *.example.com",
			"Model models/llama changed: image vllm v0.6.3 → v0.7.0; GPU 24Gi ×1 (g5, g6, g6e); capacity spot-with-fallback → on-demand; replicas 1–3; exposure public at llama.example.com/; also changed: args",
			"Gateway ai-gateway/ai unchanged: routes 2 unchanged; access every caller: all routes; image ghcr.io/gitplane/gitplane:dev; replicas 2; exposure public at ai.example.com; rate limit none",
		}[1:2]},
		{"replicas", with("llama.yaml", "replicas: {min: 1, max: 3}", "replicas: {min: 2, max: 4}"), []string{
			"Model models/llama changed: image vllm:v0.6.3; GPU 24Gi ×1 (g5, g6, g6e); capacity spot-with-fallback; replicas 1–3 → 2–4; exposure public at llama.example.com/",
		}},
		{"GPU type and exposure", with("llama.yaml", "resources: {gpu: {memory: 24Gi}", "resources: {gpu: {memory: 16G, type: t4, count: 1}"), []string{
			"Model models/llama changed: image vllm:v0.6.3; GPU 24Gi ×1 (g5, g6, g6e) → t4 16G ×1 (g4dn); capacity spot-with-fallback; replicas 1–3; exposure public at llama.example.com/",
		}},
		{"internal exposure", with("llama.yaml", "expose: {host: llama, visibility: public}", "expose: {host: llama, path: /v1}"), []string{
			"Model models/llama changed: image vllm:v0.6.3; GPU 24Gi ×1 (g5, g6, g6e); capacity spot-with-fallback; replicas 1–3; exposure public at llama.example.com/ → internal at llama.example.com/v1",
		}},
		{"routes", with("gw.yaml", "  - {name: fraud, sagemaker: {endpointName: fraud-v7}}\n",
			"  - {name: fraud, sagemaker: {endpointName: fraud-v8}}\n  - {name: llama, model: {name: llama}}\n  - {name: titan, bedrock: {modelId: amazon.titan, region: us-west-2}}\n"), []string{
			"Gateway ai-gateway/ai changed: routes ~fraud: sagemaker fraud-v7 → sagemaker fraud-v8, +llama → model models/llama, +titan → bedrock amazon.titan (us-west-2); access every caller gains llama and titan; image ghcr.io/gitplane/gitplane:dev; replicas 2; exposure public at ai.example.com; rate limit none",
		}},
		{"route removed and rate limit", with("gw.yaml", "  routes:\n  - {name: claude, bedrock: {modelId: anthropic.claude}}\n", "  rateLimit: {requestsPerMinute: 100}\n  routes:\n"), []string{
			"Gateway ai-gateway/ai changed: routes −claude (was bedrock anthropic.claude); access every caller: all routes; image ghcr.io/gitplane/gitplane:dev; replicas 2; exposure public at ai.example.com; rate limit none → 100/min (burst 10)",
		}},
		{"model removed", with("llama.yaml", "", ""), []string{
			"Model models/llama removed: image vllm:v0.6.3; GPU 24Gi ×1 (g5, g6, g6e); capacity spot-with-fallback; replicas 1–3; exposure public at llama.example.com/",
		}},
		{"model added", with("cpu.yaml", "", "apiVersion: gitplane.dev/v1alpha1\nkind: Model\nmetadata: {name: embed, namespace: ml}\nspec: {image: e:1, resources: {}}\n"), []string{
			"Model ml/embed added: image e:1; GPU none (CPU); capacity spot-with-fallback; replicas 1; exposure mesh only",
		}},
		{"environment defaults reach models", with("env.yaml", "  nodes:", "  defaults: {capacity: spot}\n  nodes:"), []string{
			"Environment dev changed: cluster c (us-east-1); ingress internet-facing *.example.com; also changed: defaults",
			"Model models/llama changed: image vllm:v0.6.3; GPU 24Gi ×1 (g5, g6, g6e); capacity spot-with-fallback → spot; replicas 1–3; exposure public at llama.example.com/",
		}},
		{"environment domain", with("env.yaml", "domain: example.com", "domain: ml.example.com"), []string{
			"Environment dev changed: cluster c (us-east-1); ingress internet-facing *.example.com → internet-facing *.ml.example.com",
			"Model models/llama changed: image vllm:v0.6.3; GPU 24Gi ×1 (g5, g6, g6e); capacity spot-with-fallback; replicas 1–3; exposure public at llama.example.com/ → public at llama.ml.example.com/",
			"Gateway ai-gateway/ai changed: routes 2 unchanged; access every caller: all routes; image ghcr.io/gitplane/gitplane:dev; replicas 2; exposure public at ai.example.com → public at ai.ml.example.com; rate limit none",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compareSpecs(parse(t, base), parse(t, tt.head), "dev")
			var lines []string
			for _, s := range got {
				if tt.name == "no change" || s.Action != SpecUnchanged {
					lines = append(lines, s.String())
				}
			}
			if strings.Join(lines, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("summaries:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestCompareSpecsFiltersEnvironments leaves out specs that do not go to
// the Environment, and counts a spec moving out of it as removed.
func TestCompareSpecsFiltersEnvironments(t *testing.T) {
	base := parse(t, map[string]string{"env.yaml": testEnv, "llama.yaml": testModel})
	head := parse(t, map[string]string{"env.yaml": testEnv, "llama.yaml": strings.Replace(testModel, "spec:\n", "spec:\n  environments: [dev]\n", 1)})
	other := parse(t, map[string]string{"env.yaml": testEnv, "env2.yaml": strings.Replace(testEnv, "name: dev", "name: prod", 1),
		"llama.yaml": strings.Replace(testModel, "spec:\n", "spec:\n  environments: [prod]\n", 1)})
	if got := compareSpecs(base, head, "dev"); len(got) != 2 || got[1].Action != SpecUnchanged {
		t.Errorf("listing dev explicitly: %+v; want the Model unchanged in dev", got)
	}
	got := compareSpecs(base, other, "dev")
	if len(got) != 2 || got[1].Action != SpecRemoved {
		t.Fatalf("Model moved to prod only: %+v; want it removed from dev", got)
	}
}
