package preview

import (
	"context"
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/aws/awstest"
)

// TestAWSChecks previews staging with fake IAM and EC2: the Llama role
// trusts another ServiceAccount, the Gateway's role does not exist, and the
// cost uses the live spot price.
func TestAWSChecks(t *testing.T) {
	host := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/` + host + `"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"` + host + `:sub":"system:serviceaccount:default:llama","` + host + `:aud":"sts.amazonaws.com"}}}]}`
	fakeIAM := awstest.NewIAM(t, "111122223333", awstest.Role{Name: "ml-llama-3-8b", TrustPolicy: policy})
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	fakeEC2 := awstest.NewEC2(t,
		[]awstest.InstanceType{
			{Name: "g6.xlarge", GPUName: "L4", GPUs: 1, GPUMiB: 22888, VCPU: 4, MemoryMiB: 16384},
			{Name: "g4dn.xlarge", GPUName: "T4", GPUs: 1, GPUMiB: 16384, VCPU: 4, MemoryMiB: 16384},
		},
		[]awstest.SpotPrice{
			{InstanceType: "g6.xlarge", AZ: "us-east-1a", USD: "0.4000", Time: now.Add(-time.Hour)},
			{InstanceType: "g4dn.xlarge", AZ: "us-east-1b", USD: "0.2000", Time: now.Add(-time.Hour)},
		})
	chk := gpaws.NewWithConfig(awstest.Config(""), gpaws.WithIAMOptions(fakeIAM.Options), gpaws.WithEC2Options(fakeEC2.Options),
		gpaws.WithClock(testingclock.NewFakeClock(now)))
	base := exampleSpecs(t)
	head := apply(t, base, edit{"models/whisper.yaml", "replicas: {min: 1, max: 3}", "replicas: {min: 1, max: 4}"})
	p := previewAll(t, Input{Base: base, Head: head, AWS: chk}, "staging")[0]
	md := Markdown([]*EnvPreview{p}, MarkdownOptions{})
	if testing.Verbose() {
		t.Log(md)
	}
	if p.AWS == nil || !p.AWS.HasErrors() {
		t.Fatalf("AWS report %+v; want IRSA errors\n%s", p.AWS, md)
	}
	for _, want := range []string{
		"⚠️ IRSA trust-policy problems",
		"#### IRSA preflight: staging",
		"models/llama-3-8b",
		"ai-gateway/ai",
		"#### Estimated GPU cost: staging",
		"| speech/whisper-large | spot | g4dn.xlarge (spot) | 1–3 → 1–4 | $146–$438 | $146–$584 | +$146 | $0.8 (g4dn.xlarge) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("preview lacks %q:\n%s", want, md)
		}
	}
}

// TestAWSChecksSkipped shows the disabled Client's notice and prices from
// the embedded catalog.
func TestAWSChecksSkipped(t *testing.T) {
	chk := gpaws.New(context.Background(), gpaws.Options{Skip: true})
	base := exampleSpecs(t)
	head := apply(t, base, edit{"models/whisper.yaml", "replicas: {min: 1, max: 3}", "replicas: {min: 1, max: 4}"})
	md := Markdown(previewAll(t, Input{Base: base, Head: head, AWS: chk}, "staging"), MarkdownOptions{})
	for _, want := range []string{"> **Note:** AWS checks skipped", "no spot prices (offline)"} {
		if !strings.Contains(md, want) {
			t.Errorf("preview lacks %q:\n%s", want, md)
		}
	}
}
