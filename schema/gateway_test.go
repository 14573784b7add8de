package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/schematest"
)

// policyGatewayYAML is gatewayYAML with callers, limits, Redis, fallbacks
// and timeouts.
const policyGatewayYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Gateway
metadata:
  name: ai
spec:
  host: ai
  iam:
    roleArn: arn:aws:iam::111122223333:role/gw
  auth:
    apiKeysSecret: keys
    callers:
    - name: team-search
      routes: [claude, llama]
      rateLimit: {requestsPerMinute: 100, tokensPerMinute: 50000}
    - name: team-fraud
      routes: [llama]
  rateLimit:
    requestsPerMinute: 600
    tokensPerMinute: 200000
    redis:
      address: redis.ai-gateway.svc:6379
      passwordSecret: {name: redis, key: password}
  routes:
  - name: claude
    bedrock: {modelId: anthropic.claude-3-5-sonnet-20240620-v1:0}
    fallbacks: [llama]
    timeout: 30s
  - name: llama
    model: {name: llama}
    timeout: 2m
  - name: titan
    bedrock: {modelId: amazon.titan-embed-text-v2:0}
`

func policyFiles() map[string][]byte {
	files := baseFiles()
	files["gateways/ai.yaml"] = []byte(policyGatewayYAML)
	return files
}

func TestGatewayPolicyValid(t *testing.T) {
	repo, err := schematest.Parse(policyFiles())
	if err != nil {
		t.Fatalf("valid repo rejected:\n%v", err)
	}
	s := repo.Gateways[0].Spec
	if got := s.RateLimit.Burst; got != 60 {
		t.Errorf("spec.rateLimit.burst = %d, want the default 60", got)
	}
	if got := s.Auth.Callers[0].RateLimit.Burst; got != 10 {
		t.Errorf("callers[0].rateLimit.burst = %d, want the default 10", got)
	}
	if s.Auth.Callers[1].RateLimit != nil {
		t.Errorf("callers[1] got a rate limit of its own; it has none in the spec")
	}
	if got := s.RateLimit.Redis.PasswordSecret.Key; got != "password" {
		t.Errorf("redis password key = %q", got)
	}
	if got := s.Routes[0].Fallbacks; len(got) != 1 || got[0] != "llama" {
		t.Errorf("fallbacks = %v", got)
	}
}

func TestGatewayPolicyErrors(t *testing.T) {
	const f = "gateways/ai.yaml"
	tests := []struct {
		name  string
		edits []edit
		want  []string
	}{
		{"caller route unknown", []edit{{f, "routes: [claude, llama]", "routes: [claude, mistral]"}},
			[]string{`gateways/ai.yaml:13:24: spec.auth.callers[0].routes[1]: no route named "mistral"`}},
		{"caller route twice", []edit{{f, "routes: [claude, llama]", "routes: [llama, llama]"}},
			[]string{`gateways/ai.yaml:13:23: spec.auth.callers[0].routes[1]: route "llama" is listed twice`}},
		{"caller routes empty", []edit{{f, "routes: [llama]", "routes: []"}},
			[]string{`gateways/ai.yaml:16:15: spec.auth.callers[1].routes: must name at least one route (leave routes out for all routes)`}},
		{"duplicate caller", []edit{{f, "name: team-fraud", "name: team-search"}},
			[]string{`gateways/ai.yaml:15:13: spec.auth.callers[1].name: duplicate caller "team-search"`}},
		{"caller name not a Secret key", []edit{{f, "name: team-fraud", "name: team/fraud"}},
			[]string{`gateways/ai.yaml:15:13: spec.auth.callers[1].name: "team/fraud" is not a Secret key: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`}},
		{"caller without name", []edit{{f, "- name: team-fraud\n      routes", "- routes"}},
			[]string{`gateways/ai.yaml:15:7: spec.auth.callers[1].name: required field is missing`}},
		{"callers without keys Secret", []edit{{f, "    apiKeysSecret: keys\n", ""}},
			[]string{`gateways/ai.yaml:10:5: spec.auth.apiKeysSecret: required field is missing`}},
		{"no auth", []edit{{f, "  auth:\n    apiKeysSecret: keys\n    callers:", "  x-callers:"}},
			[]string{`gateways/ai.yaml:6:3: spec.auth: required field is missing`, `gateways/ai.yaml:9:3: spec.x-callers: unknown field "x-callers" (known fields: host, image, port, replicas, visibility, iam, auth, rateLimit, routes, environments)`}},
		{"caller limit empty", []edit{{f, "rateLimit: {requestsPerMinute: 100, tokensPerMinute: 50000}", "rateLimit: {burst: 0}"}},
			[]string{`gateways/ai.yaml:14:18: spec.auth.callers[0].rateLimit: set requestsPerMinute, tokensPerMinute or both`}},
		{"caller limit negative", []edit{{f, "tokensPerMinute: 50000}", "tokensPerMinute: -5}"}},
			[]string{`gateways/ai.yaml:14:60: spec.auth.callers[0].rateLimit.tokensPerMinute: must be at least 1`}},
		{"burst without requests", []edit{{f, "requestsPerMinute: 100, tokensPerMinute: 50000", "tokensPerMinute: 50000, burst: 5"}},
			[]string{`gateways/ai.yaml:14:50: spec.auth.callers[0].rateLimit.burst: burst is a number of requests: set requestsPerMinute too`}},
		{"negative burst", []edit{{f, "    tokensPerMinute: 200000\n", "    tokensPerMinute: 200000\n    burst: -1\n"}},
			[]string{`gateways/ai.yaml:20:12: spec.rateLimit.burst: must not be negative`}},
		{"gateway limit tokens only", []edit{{f, "    requestsPerMinute: 600\n", ""}}, nil},
		{"gateway limit empty", []edit{{f, "    requestsPerMinute: 600\n    tokensPerMinute: 200000\n", ""}},
			[]string{`gateways/ai.yaml:18:5: spec.rateLimit: set requestsPerMinute, tokensPerMinute or both`}},
		{"tokens per minute not a number", []edit{{f, "tokensPerMinute: 200000", "tokensPerMinute: lots"}},
			[]string{`gateways/ai.yaml:19:22: spec.rateLimit.tokensPerMinute: expected an integer, got string "lots"`}},
		{"redis address without port", []edit{{f, "address: redis.ai-gateway.svc:6379", "address: redis.ai-gateway.svc"}},
			[]string{`gateways/ai.yaml:21:16: spec.rateLimit.redis.address: "redis.ai-gateway.svc" is not host:port (like redis.ai-gateway.svc.cluster.local:6379)`}},
		{"redis address as URL", []edit{{f, "address: redis.ai-gateway.svc:6379", "address: redis://redis:6379"}},
			[]string{`gateways/ai.yaml:21:16: spec.rateLimit.redis.address: "redis://redis:6379" is not host:port (like redis.ai-gateway.svc.cluster.local:6379)`}},
		{"redis port out of range", []edit{{f, "svc:6379", "svc:70000"}},
			[]string{`gateways/ai.yaml:21:16: spec.rateLimit.redis.address: "redis.ai-gateway.svc:70000" is not host:port (like redis.ai-gateway.svc.cluster.local:6379)`}},
		{"redis without address", []edit{{f, "      address: redis.ai-gateway.svc:6379\n", ""}},
			[]string{`gateways/ai.yaml:21:7: spec.rateLimit.redis.address: required field is missing`}},
		{"redis ACL user without password", []edit{{f, "      passwordSecret: {name: redis, key: password}\n", "      username: gateway\n      tls: true\n"}},
			[]string{`gateways/ai.yaml:22:17: spec.rateLimit.redis.username: a Redis ACL user needs its password: set passwordSecret too`}},
		{"redis tls not a boolean", []edit{{f, "      passwordSecret: {name: redis, key: password}\n", "      tls: yes please\n"}},
			[]string{`gateways/ai.yaml:22:12: spec.rateLimit.redis.tls: expected true or false, got string "yes please"`}},
		{"redis password Secret without key", []edit{{f, "{name: redis, key: password}", "{name: redis}"}},
			[]string{`gateways/ai.yaml:22:23: spec.rateLimit.redis.passwordSecret.key: required field is missing`}},
		{"redis password Secret bad name", []edit{{f, "{name: redis, key: password}", "{name: Redis_PW, key: pass word}"}},
			[]string{`gateways/ai.yaml:22:30: spec.rateLimit.redis.passwordSecret.name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
				`gateways/ai.yaml:22:45: spec.rateLimit.redis.passwordSecret.key: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`}},
		{"fallback unknown", []edit{{f, "fallbacks: [llama]", "fallbacks: [llama, gpt]"}},
			[]string{`gateways/ai.yaml:26:24: spec.routes[0].fallbacks[1]: no route named "gpt"`}},
		{"fallback to itself", []edit{{f, "fallbacks: [llama]", "fallbacks: [claude]"}},
			[]string{`gateways/ai.yaml:26:17: spec.routes[0].fallbacks[0]: a route cannot fall back to itself`}},
		{"fallback listed twice", []edit{{f, "fallbacks: [llama]", "fallbacks: [llama, llama]"}},
			[]string{`gateways/ai.yaml:26:24: spec.routes[0].fallbacks[1]: route "llama" is listed twice`}},
		{"fallback cycle of two", []edit{{f, "    timeout: 2m", "    timeout: 2m\n    fallbacks: [claude]"}},
			[]string{`gateways/ai.yaml:31:17: spec.routes[1].fallbacks[0]: fallbacks form a cycle: claude → llama → claude`}},
		{"fallback cycle of three", []edit{{f, "    timeout: 2m", "    timeout: 2m\n    fallbacks: [titan]"}, {f, "v2:0}\n", "v2:0}\n    fallbacks: [claude]\n"}},
			[]string{`gateways/ai.yaml:34:17: spec.routes[2].fallbacks[0]: fallbacks form a cycle: claude → llama → titan → claude`}},
		{"fallback chain without cycle", []edit{{f, "    timeout: 2m", "    timeout: 2m\n    fallbacks: [titan]"}}, nil},
		{"fallbacks not a list", []edit{{f, "fallbacks: [llama]", "fallbacks: llama"}},
			[]string{`gateways/ai.yaml:26:16: spec.routes[0].fallbacks: expected a list, got string "llama"`}},
		{"timeout not a duration", []edit{{f, "timeout: 30s", "timeout: 30"}},
			[]string{`gateways/ai.yaml:27:14: spec.routes[0].timeout: "30" is not a duration (like 30s or 2m)`}},
		{"timeout zero", []edit{{f, "timeout: 30s", "timeout: 0s"}},
			[]string{`gateways/ai.yaml:27:14: spec.routes[0].timeout: must be greater than zero`}},
		{"timeout too long", []edit{{f, "timeout: 2m", "timeout: 2h"}},
			[]string{`gateways/ai.yaml:30:14: spec.routes[1].timeout: must be at most 1h0m0s`}},
		{"all at once", []edit{{f, "routes: [claude, llama]", "routes: [gpt]"}, {f, "fallbacks: [llama]", "fallbacks: [claude]"}, {f, "timeout: 2m", "timeout: soon"}},
			[]string{`gateways/ai.yaml:13:16: spec.auth.callers[0].routes[0]: no route named "gpt"`,
				`gateways/ai.yaml:26:17: spec.routes[0].fallbacks[0]: a route cannot fall back to itself`,
				`gateways/ai.yaml:30:14: spec.routes[1].timeout: "soon" is not a duration (like 30s or 2m)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := policyFiles()
			for _, e := range tt.edits {
				if !strings.Contains(string(files[e.file]), e.old) {
					t.Fatalf("edit: %q not in %s", e.old, e.file)
				}
				files[e.file] = []byte(strings.Replace(string(files[e.file]), e.old, e.new, 1))
			}
			_, err := schematest.Parse(files)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("valid repo rejected:\n%v", err)
				}
				return
			}
			var list schema.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want an ErrorList, got %v", err)
			}
			got, want := list.Error(), strings.Join(sorted(tt.want), "\n")
			if got != want {
				t.Errorf("errors:\n  got:  %s\n  want: %s", strings.ReplaceAll(got, "\n", "\n        "), strings.ReplaceAll(want, "\n", "\n        "))
			}
		})
	}
}
