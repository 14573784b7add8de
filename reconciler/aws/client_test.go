package aws_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	testingclock "k8s.io/utils/clock/testing"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/irsa"
	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/schematest"
)

const envYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata: {name: staging}
spec:
  cluster: {name: ml-staging, region: us-east-1, accountId: "111122223333", oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"}
  ingress: {certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/11111111-2222-3333-4444-555555555555", domain: ml.example.com}
  nodes: {role: KarpenterNodeRole, subnetSelector: {a: b}, securityGroupSelector: {a: b}}
`

const modelYAML = `---
apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: llama}
spec:
  image: vllm/vllm-openai:v0.6.3
  replicas: {min: 1, max: %d}
  resources: {gpu: {memory: 24G}, cpu: "2", memory: 8Gi}
  iam: {roleArn: "arn:aws:iam::111122223333:role/llama"}
`

func repo(t *testing.T, maxReplicas string) *schema.Repo {
	t.Helper()
	r, err := schematest.Parse(map[string][]byte{"env.yaml": []byte(envYAML), "m.yaml": []byte(strings.Replace(modelYAML, "%d", maxReplicas, 1))})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func llamaSA() []*unstructured.Unstructured {
	sa := &unstructured.Unstructured{}
	sa.SetAPIVersion("v1")
	sa.SetKind("ServiceAccount")
	sa.SetNamespace("models")
	sa.SetName("llama")
	sa.SetAnnotations(map[string]string{irsa.AnnotationRoleARN: "arn:aws:iam::111122223333:role/llama"})
	return []*unstructured.Unstructured{sa}
}

// TestCheckWithAWS runs the whole check against fake IAM and EC2: a trust
// policy for the wrong ServiceAccount is reported, and the cost of scaling
// the Model from 1–1 to 1–2 replicas uses the live spot price.
func TestCheckWithAWS(t *testing.T) {
	host := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/` + host + `"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"` + host + `:sub":"system:serviceaccount:default:llama","` + host + `:aud":"sts.amazonaws.com"}}}]}`
	fakeIAM := awstest.NewIAM(t, "111122223333", awstest.Role{Name: "llama", TrustPolicy: policy})
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	fakeEC2 := awstest.NewEC2(t,
		[]awstest.InstanceType{{Name: "g5.xlarge", GPUName: "A10G", GPUs: 1, GPUMiB: 22888, VCPU: 4, MemoryMiB: 16384}},
		[]awstest.SpotPrice{{InstanceType: "g5.xlarge", AZ: "us-east-1a", USD: "0.5000", Time: now.Add(-time.Hour)}})
	chk := gpaws.NewWithConfig(awstest.Config(""), gpaws.WithIAMOptions(fakeIAM.Options), gpaws.WithEC2Options(fakeEC2.Options),
		gpaws.WithClock(testingclock.NewFakeClock(now)))

	head := repo(t, "2")
	rep, err := chk.Check(context.Background(), gpaws.Change{Env: head.Environments[0], Objects: llamaSA(), Base: repo(t, "1"), Head: head})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Code != irsa.CodeSubMismatch || !rep.HasErrors() {
		t.Errorf("findings %v, want one SubMismatch", rep.Findings)
	}
	if len(rep.Notices) != 0 || rep.Checked != 1 || strings.Contains(rep.Markdown(), "✅") {
		t.Errorf("notices %v, checked %d: want none, 1, and no all-clear", rep.Notices, rep.Checked)
	}
	fakeIAM.Put(awstest.Role{Name: "llama", TrustPolicy: strings.Replace(policy, "system:serviceaccount:default:llama", "system:serviceaccount:models:llama", 1)})
	fixed, err := chk.Check(context.Background(), gpaws.Change{Env: head.Environments[0], Objects: llamaSA(), Head: head})
	if err != nil {
		t.Fatal(err)
	}
	if want := "✅ IRSA preflight: the trust policies let all 1 ServiceAccounts assume their roles."; len(fixed.Findings) != 0 || !strings.Contains(fixed.Markdown(), want) {
		t.Errorf("fixed trust policy: findings %v, markdown lacks %q", fixed.Findings, want)
	}
	md := rep.Markdown()
	for _, want := range []string{
		"| ❌ | models/llama | `arn:aws:iam::111122223333:role/llama` |",
		"| models/llama | spot-with-fallback | g5.xlarge (spot) | 1–1 → 1–2 | $365 | $365–$730 | +$365 | $1 (g5.xlarge) |",
		"spot: ec2:DescribeSpotPriceHistory (Linux/UNIX) at 2026-11-27T12:00:00Z",
		"<details><summary>33 differences between EC2 in this region and the embedded catalog</summary>",
		"- g6.xlarge: not offered in this region\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestCheckWithoutAWS covers --skip-aws and a machine without credentials:
// both give a disabled Client with a notice, and Check still prices offline.
func TestCheckWithoutAWS(t *testing.T) {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	tests := []struct {
		name   string
		opts   gpaws.Options
		notice string
	}{
		{"skip", gpaws.Options{Skip: true}, "--skip-aws"},
		{"no credentials", gpaws.Options{}, "no AWS credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chk := gpaws.New(context.Background(), tc.opts)
			if chk.Enabled() || !strings.Contains(chk.Notice(), tc.notice) {
				t.Fatalf("enabled %v, notice %q; want disabled with %q", chk.Enabled(), chk.Notice(), tc.notice)
			}
			head := repo(t, "2")
			rep, err := chk.Check(context.Background(), gpaws.Change{Env: head.Environments[0], Objects: llamaSA(), Head: head})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 0 || len(rep.Notices) != 1 || !strings.Contains(rep.Markdown(), "embedded catalog") {
				t.Errorf("report %+v: want no findings, one notice, offline prices", rep)
			}
			if _, err := chk.RESTConfig(context.Background(), head.Environments[0]); err == nil {
				t.Error("RESTConfig on a disabled Client succeeded")
			}
		})
	}
}
