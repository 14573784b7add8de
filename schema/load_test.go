package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/schematest"
)

const envYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata:
  name: staging
spec:
  cluster:
    name: ml
    region: us-east-1
    accountId: "111122223333"
    oidcIssuer: https://oidc.eks.us-east-1.amazonaws.com/id/ABC
  ingress:
    certificateArn: arn:aws:acm:us-east-1:111122223333:certificate/abc-123
    domain: ml.example.com
  nodes:
    role: NodeRole
    subnetSelector: {karpenter.sh/discovery: ml}
    securityGroupSelector: {karpenter.sh/discovery: ml}
`

const modelYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata:
  name: llama
spec:
  image: vllm/vllm-openai:v0.6.3
  resources:
    gpu:
      memory: 24Gi
    cpu: "3"
    memory: 12Gi
  iam:
    roleArn: arn:aws:iam::111122223333:role/llama
  expose:
    host: llama
`

const gatewayYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Gateway
metadata:
  name: ai
spec:
  host: ai
  iam:
    roleArn: arn:aws:iam::111122223333:role/gw
  routes:
  - name: claude
    bedrock: {modelId: anthropic.claude-3-5-sonnet-20240620-v1:0}
  - name: llama
    model: {name: llama}
  auth: {apiKeysSecret: keys}
`

func baseFiles() map[string][]byte {
	return map[string][]byte{
		"envs/staging.yaml": []byte(envYAML),
		"models/llama.yaml": []byte(modelYAML),
		"gateways/ai.yaml":  []byte(gatewayYAML),
	}
}

func TestLoadValid(t *testing.T) {
	repo, err := schematest.Parse(baseFiles())
	if err != nil {
		t.Fatalf("valid repo rejected:\n%v", err)
	}
	m := repo.Models[0]
	if m.Metadata.Namespace != "models" || m.Spec.Port != 8080 || m.Spec.Resources.GPU.Count != 1 {
		t.Errorf("defaults not applied: %+v", m)
	}
	if got := m.EffectiveCapacity(repo.Environments[0]); got != schema.CapacitySpotWithFallback {
		t.Errorf("capacity = %s, want spot-with-fallback", got)
	}
}

// edit replaces old with new in one base file, or adds a file when old is empty.
type edit struct{ file, old, new string }

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		edits []edit
		want  []string
	}{
		{"unknown field", []edit{{"models/llama.yaml", "  image:", "  imagee: x\n  image:"}},
			[]string{"models/llama.yaml:6:3: spec.imagee: unknown field \"imagee\" (known fields: image, args, env, port, healthPath, resources, capacity, replicas, autoscaling, iam, expose, access, security, environments)"}},
		{"missing required image", []edit{{"models/llama.yaml", "  image: vllm/vllm-openai:v0.6.3\n", ""}},
			[]string{"models/llama.yaml:6:3: spec.image: required field is missing"}},
		{"wrong type port", []edit{{"models/llama.yaml", "  image:", "  port: eighty\n  image:"}},
			[]string{`models/llama.yaml:6:9: spec.port: expected an integer, got string "eighty"`}},
		{"bool where string", []edit{{"models/llama.yaml", "    cpu: \"3\"", "    cpu: true"}},
			[]string{`models/llama.yaml:10:10: spec.resources.cpu: expected a string, got bool "true" (quote it: "true")`}},
		{"list where mapping", []edit{{"models/llama.yaml", "  expose:\n    host: llama", "  expose: [llama]"}},
			[]string{`models/llama.yaml:14:11: spec.expose: expected a mapping, got a list`}},
		{"bad enum capacity", []edit{{"models/llama.yaml", "  image:", "  capacity: cheap\n  image:"}},
			[]string{`models/llama.yaml:6:13: spec.capacity: unsupported value "cheap": must be one of spot, on-demand, spot-with-fallback`}},
		{"bad role ARN", []edit{{"models/llama.yaml", "arn:aws:iam::111122223333:role/llama", "arn:aws:iam:111122223333:llama"}},
			[]string{`models/llama.yaml:13:14: spec.iam.roleArn: "arn:aws:iam:111122223333:llama" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`}},
		{"role ARN in other account", []edit{{"models/llama.yaml", "111122223333", "999988887777"}},
			[]string{`models/llama.yaml:13:14: spec.iam.roleArn: ARN is in account 999988887777 but Environment "staging" is in account 111122223333`}},
		{"dangling route", []edit{{"gateways/ai.yaml", "{name: llama}", "{name: mistral}"}},
			[]string{`gateways/ai.yaml:13:19: spec.routes[1].model.name: no Model "mistral" in namespace "models"`}},
		{"unsatisfiable GPU", []edit{{"models/llama.yaml", "memory: 24Gi", "memory: 96Gi"}},
			[]string{`models/llama.yaml:9:7: spec.resources.gpu: no instance type in the GPU catalog fits 1 GPU(s) with 96Gi each, cpu 3, memory 12Gi (largest GPU: 80 GB h100; see docs/spec.md)`}},
		{"GPU type too small", []edit{{"models/llama.yaml", "memory: 24Gi", "memory: 24Gi\n      type: t4"}},
			[]string{`models/llama.yaml:9:7: spec.resources.gpu: no instance type in the GPU catalog fits 1 t4 GPU(s) with 24Gi each, cpu 3, memory 12Gi (largest GPU: 80 GB h100; see docs/spec.md)`}},
		{"bad GPU type", []edit{{"models/llama.yaml", "memory: 24Gi", "memory: 24Gi\n      type: rtx4090"}},
			[]string{`models/llama.yaml:10:13: spec.resources.gpu.type: unsupported value "rtx4090": must be one of t4, a10g, l4, l40s, a100, h100`}},
		{"bad quantity", []edit{{"models/llama.yaml", "memory: 12Gi", "memory: 12 GB"}},
			[]string{`models/llama.yaml:11:13: spec.resources.memory: "12 GB" is not a quantity (like 500m, 2, 16Gi)`}},
		{"YAML syntax error", []edit{{"models/llama.yaml", "  image: vllm", "  image: [vllm"}},
			[]string{`models/llama.yaml:6:1: invalid YAML: did not find expected ',' or ']'`}},
		{"duplicate names", []edit{{"models/copy.yaml", "", modelYAML}},
			[]string{`models/llama.yaml:4:9: metadata.name: duplicate Model "llama" (first defined at models/copy.yaml:4:9)`}},
		{"unknown environment", []edit{{"models/llama.yaml", "  image:", "  environments: [staging, qa]\n  image:"}},
			[]string{`models/llama.yaml:6:27: spec.environments[1]: no Environment named "qa"`}},
		{"bad region", []edit{{"envs/staging.yaml", "region: us-east-1", "region: useast1"}},
			[]string{`envs/staging.yaml:8:13: spec.cluster.region: "useast1" is not an AWS region (like us-east-1)`, "envs/staging.yaml:10:17: spec.cluster.oidcIssuer: the issuer is EKS's in region us-east-1 but the cluster is in useast1; IRSA trusts the issuer of the cluster itself", `envs/staging.yaml:12:21: spec.ingress.certificateArn: certificate is in region us-east-1 but the cluster is in useast1; an ALB needs a certificate of its own region`}},
		{"bad account", []edit{{"envs/staging.yaml", `accountId: "111122223333"`, `accountId: "1234"`}},
			[]string{`envs/staging.yaml:9:16: spec.cluster.accountId: "1234" is not a 12-digit AWS account ID`, `envs/staging.yaml:12:21: spec.ingress.certificateArn: ARN is in account 111122223333 but Environment "staging" is in account 1234`, `models/llama.yaml:13:14: spec.iam.roleArn: ARN is in account 111122223333 but Environment "staging" is in account 1234`, `gateways/ai.yaml:8:14: spec.iam.roleArn: ARN is in account 111122223333 but Environment "staging" is in account 1234`}},
		{"bad certificate ARN", []edit{{"envs/staging.yaml", "certificate/abc-123", "cert/abc"}},
			[]string{`envs/staging.yaml:12:21: spec.ingress.certificateArn: "arn:aws:acm:us-east-1:111122223333:cert/abc" is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)`}},
		{"role ARN as node role", []edit{{"envs/staging.yaml", "role: NodeRole", "role: arn:aws:iam::111122223333:role/NodeRole"}},
			[]string{`envs/staging.yaml:15:11: spec.nodes.role: "arn:aws:iam::111122223333:role/NodeRole" is not an IAM role name (the EC2NodeClass takes the name, not the ARN)`}},
		{"missing overlay", []edit{{"envs/staging.yaml", "  nodes:", "  overlay: overlays/staging\n  nodes:"}},
			[]string{`envs/staging.yaml:14:12: spec.overlay: "overlays/staging" has no kustomization.yaml`}},
		{"host outside domain", []edit{{"models/llama.yaml", "host: llama", "host: llama.other.org"}},
			[]string{`models/llama.yaml:15:11: spec.expose.host: host "llama.other.org" is not in Environment "staging"'s domain ml.example.com`}},
		{"route with two backends", []edit{{"gateways/ai.yaml", "    bedrock: {modelId", "    sagemaker: {endpointName: x}\n    bedrock: {modelId"}},
			[]string{`gateways/ai.yaml:10:5: spec.routes[0]: set exactly one of bedrock, sagemaker, model (got 2)`}},
		{"duplicate route", []edit{{"gateways/ai.yaml", "- name: llama", "- name: claude"}},
			[]string{`gateways/ai.yaml:12:11: spec.routes[1].name: duplicate route "claude"`}},
		{"replicas min above max", []edit{{"models/llama.yaml", "  image:", "  replicas: {min: 3, max: 2}\n  image:"}},
			[]string{`models/llama.yaml:6:27: spec.replicas.max: must be at least min (3)`}},
		{"invalid name", []edit{{"models/llama.yaml", "name: llama", "name: Llama_3"}},
			[]string{`models/llama.yaml:4:9: metadata.name: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`, `gateways/ai.yaml:13:19: spec.routes[1].model.name: no Model "llama" in namespace "models"`}},
		{"not a gitplane kind", []edit{{"cm.yaml", "", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}},
			[]string{`cm.yaml:1:1: apiVersion: unsupported apiVersion "v1" for kind ConfigMap: gitplane reads gitplane.dev/v1alpha1 (Kubernetes objects belong in an Environment's overlay folder)`}},
		{"unknown kind", []edit{{"x.yaml", "", "apiVersion: gitplane.dev/v1alpha1\nkind: Modle\n"}},
			[]string{`x.yaml:1:1: kind: unknown kind "Modle": must be one of Environment, Model, Gateway`}},
		{"route to model not in env", []edit{{"models/llama.yaml", "  image:", "  environments: [prod]\n  image:"}, {"envs/prod.yaml", "", strings.ReplaceAll(envYAML, "name: staging", "name: prod")}},
			[]string{`gateways/ai.yaml:13:19: spec.routes[1].model.name: Model "llama" is not deployed to Environment "staging"`}},
		{"env var both value and secret", []edit{{"models/llama.yaml", "  image:", "  env:\n  - name: TOKEN\n    value: x\n    secretRef: {name: s, key: k}\n  image:"}},
			[]string{`models/llama.yaml:7:5: spec.env[0]: set either value or secretRef, not both`}},
		{"confirmation that names no commit", []edit{{"envs/staging.yaml", "  name: staging\n", "  name: staging\n  annotations:\n    gitplane.dev/confirm-prune: HEAD\n"}},
			[]string{`envs/staging.yaml:6:33: metadata.annotations.gitplane.dev/confirm-prune: "HEAD" is not a commit SHA: name the commit the sync was held back at (7 to 64 lower-case hex digits)`}},
		{"confirmation on a Model", []edit{{"models/llama.yaml", "  name: llama\n", "  name: llama\n  annotations: {gitplane.dev/force-conflicts: \"0123abc\"}\n"}},
			[]string{`models/llama.yaml:5:47: metadata.annotations.gitplane.dev/force-conflicts: only an Environment confirms a sync: move the annotation to the Environment this Model is deployed to`}},
		{"several errors at once", []edit{{"models/llama.yaml", "  image: vllm/vllm-openai:v0.6.3\n", "  port: 70000\n"}, {"gateways/ai.yaml", "  host: ai\n", ""}},
			[]string{`gateways/ai.yaml:6:3: spec.host: required field is missing`, `models/llama.yaml:6:3: spec.image: required field is missing`, `models/llama.yaml:6:9: spec.port: must be between 1 and 65535`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := baseFiles()
			for _, e := range tt.edits {
				if e.old == "" {
					files[e.file] = []byte(e.new)
					continue
				}
				if !strings.Contains(string(files[e.file]), e.old) {
					t.Fatalf("edit: %q not in %s", e.old, e.file)
				}
				files[e.file] = []byte(strings.Replace(string(files[e.file]), e.old, e.new, 1))
			}
			_, err := schematest.Parse(files)
			var list schema.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want an ErrorList, got %v", err)
			}
			got := strings.Split(list.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(sorted(tt.want), "\n") {
				t.Errorf("errors:\n  got:  %s\n  want: %s", strings.Join(got, "\n        "), strings.Join(sorted(tt.want), "\n        "))
			}
		})
	}
}
