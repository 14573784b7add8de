package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/schematest"
)

// TestExplicitValuesAreNotDefaults: a value the file sets, even a zero or
// an empty string, is judged as written; the default does not stand in
// for it.
func TestExplicitValuesAreNotDefaults(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edits []edit
		want  []string
	}{
		{"gpu count 0", []edit{{"models/llama.yaml", "      memory: 24Gi", "      memory: 24Gi\n      count: 0"}},
			[]string{"models/llama.yaml:10:14: spec.resources.gpu.count: must be between 1 and 8"}},
		{"target CPU 0", []edit{{"models/llama.yaml", "  image:", "  autoscaling: {targetCPUUtilization: 0}\n  image:"}},
			[]string{"models/llama.yaml:6:39: spec.autoscaling.targetCPUUtilization: must be between 1 and 100"}},
		{"port 0", []edit{{"models/llama.yaml", "  image:", "  port: 0\n  image:"}},
			[]string{"models/llama.yaml:6:9: spec.port: must be between 1 and 65535"}},
		{"empty health path", []edit{{"models/llama.yaml", "  image:", "  healthPath: \"\"\n  image:"}},
			[]string{"models/llama.yaml:6:15: spec.healthPath: must start with /"}},
		{"empty AMI alias", []edit{{"envs/staging.yaml", "    role: NodeRole", "    role: NodeRole\n    amiAlias: \"\""}},
			[]string{`envs/staging.yaml:16:15: spec.nodes.amiAlias: "" is not an AMI alias (family@version, like al2023@latest or bottlerocket@latest)`}},
		{"price multiple 0", []edit{{"envs/staging.yaml", "    role: NodeRole", "    role: NodeRole\n    maxPriceMultiple: 0"}},
			[]string{"envs/staging.yaml:16:23: spec.nodes.maxPriceMultiple: must be between 1 and 100"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			files := baseFiles()
			for _, e := range tt.edits {
				editFile(t, files, e.file, e.old, e.new)
			}
			wantErrors(t, files, tt.want)
		})
	}
}

// TestModelSpecChecks: reserved ports, in-mesh callers and the security
// context are checked where they are written.
func TestModelSpecChecks(t *testing.T) {
	for _, tt := range []struct {
		name, add string
		want      []string
	}{
		{"Istio's sidecar port", "  port: 15006\n", []string{"models/llama.yaml:6:9: spec.port: 15006 is reserved by Istio's sidecar (15000-15090)"}},
		{"callers", "  access:\n    namespaces: [search, Bad_NS]\n    serviceAccounts: [search/api, nobody]\n", []string{
			`models/llama.yaml:7:26: spec.access.namespaces[1]: "Bad_NS" is not a namespace name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			`models/llama.yaml:8:35: spec.access.serviceAccounts[1]: "nobody" is not namespace/name of a service account`}},
		{"root with runAsNonRoot", "  security: {runAsNonRoot: true, runAsUser: 0}\n", []string{"models/llama.yaml:6:45: spec.security.runAsUser: 0 is root, and runAsNonRoot is set"}},
		{"cache path", "  security: {readOnlyRootFilesystem: true, cachePath: tmp}\n", []string{"models/llama.yaml:6:55: spec.security.cachePath: must be an absolute path other than / and /tmp"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			files := baseFiles()
			editFile(t, files, "models/llama.yaml", "  image:", tt.add+"  image:")
			wantErrors(t, files, tt.want)
		})
	}
}

// TestDuplicateKeysAndRegions: a key set twice in one mapping is an error
// naming both places (the last one does not quietly win), and the OIDC
// issuer must be the cluster region's.
func TestDuplicateKeysAndRegions(t *testing.T) {
	for _, tt := range []struct {
		name, file, old, new string
		want                 []string
	}{
		{"duplicate spec field", "models/llama.yaml", "  image:", "  port: 8000\n  port: 9000\n  image:",
			[]string{`models/llama.yaml:7:3: spec.port: duplicate key "port" (first set at line 6, column 3)`}},
		{"duplicate map key", "envs/staging.yaml", "    subnetSelector: {karpenter.sh/discovery: ml}", "    subnetSelector: {karpenter.sh/discovery: ml, karpenter.sh/discovery: other}",
			[]string{`envs/staging.yaml:16:50: spec.nodes.subnetSelector.karpenter.sh/discovery: duplicate key "karpenter.sh/discovery" (first set at line 16, column 22)`}},
		{"duplicate top-level key", "models/llama.yaml", "kind: Model\n", "kind: Model\nkind: Model\n",
			[]string{`models/llama.yaml:3:1: kind: duplicate key "kind" (first set at line 2, column 1)`}},
		{"issuer of another region", "envs/staging.yaml", "https://oidc.eks.us-east-1.amazonaws.com/id/ABC", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
			[]string{"envs/staging.yaml:10:17: spec.cluster.oidcIssuer: the issuer is EKS's in region eu-west-1 but the cluster is in us-east-1; IRSA trusts the issuer of the cluster itself"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			files := baseFiles()
			editFile(t, files, tt.file, tt.old, tt.new)
			wantErrors(t, files, tt.want)
		})
	}
}

// wantErrors parses files and compares every error with want.
func wantErrors(t *testing.T, files map[string][]byte, want []string) {
	t.Helper()
	_, err := schematest.Parse(files)
	var list schema.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("want an ErrorList, got %v", err)
	}
	if got, want := list.Error(), strings.Join(sorted(want), "\n"); got != want {
		t.Errorf("errors:\n  got:  %s\n  want: %s", got, want)
	}
}

// TestGatewayCrossFieldChecks: a Gateway whose routes call AWS needs a
// role to sign with, and its port is not one Istio's sidecar holds.
func TestGatewayCrossFieldChecks(t *testing.T) {
	for _, tt := range []struct {
		name, old, new string
		want           []string
	}{
		{"Bedrock route, empty role", "    roleArn: arn:aws:iam::111122223333:role/gw\n", "    roleArn: \"\"\n",
			[]string{`gateways/ai.yaml:8:14: spec.iam.roleArn: route "claude" calls AWS (Bedrock or SageMaker): the gateway needs an IAM role to sign its requests with`}},
		{"sidecar port", "  host: ai\n", "  host: ai\n  port: 15090\n",
			[]string{"gateways/ai.yaml:7:9: spec.port: 15090 is reserved by Istio's sidecar (15000-15090)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			files := baseFiles()
			editFile(t, files, "gateways/ai.yaml", tt.old, tt.new)
			wantErrors(t, files, tt.want)
		})
	}
}

// editFile replaces the first old in files[file] with new; old must be
// there.
func editFile(t *testing.T, files map[string][]byte, file, old, new string) {
	t.Helper()
	if !strings.Contains(string(files[file]), old) {
		t.Fatalf("edit: %q not in %s", old, file)
	}
	files[file] = []byte(strings.Replace(string(files[file]), old, new, 1))
}
