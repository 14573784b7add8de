package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/eksauth"
)

const (
	awsSpecs      = "../../../../examples/specs"
	stagingIssuer = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
)

// fakeAWSEnv gives the default credential chain the fake test credentials
// and no other source, and points IAM and EC2 at the given fakes.
func fakeAWSEnv(t *testing.T, iamURL, ec2URL string) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_EKS", "")
	for _, v := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL_IAM", iamURL)
	t.Setenv("AWS_ENDPOINT_URL_EC2", ec2URL)
}

func runAWS(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestIAMTrustPolicy(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"iam", "trust-policy", awsSpecs, "--env", "staging"}, []string{
			`"arn:aws:iam::111122223333:role/ml-ai-gateway": {`,
			`"Federated": "arn:aws:iam::111122223333:oidc-provider/` + stagingIssuer + `"`,
			`"` + stagingIssuer + `:sub": "system:serviceaccount:models:llama-3-8b"`,
			`"` + stagingIssuer + `:aud": "sts.amazonaws.com"`,
		}},
		{[]string{"iam", "trust-policy", awsSpecs, "--env", "staging", "--role", "arn:aws:iam::111122223333:role/ml-ai-gateway"}, []string{
			"{\n  \"Version\": \"2012-10-17\",",
			`:sub": "system:serviceaccount:ai-gateway:ai"`,
		}},
		{[]string{"iam", "trust-policy", awsSpecs, "--env", "staging", "--terraform"}, []string{
			"# arn:aws:iam::111122223333:role/ml-llama-3-8b\nresource \"aws_iam_role\" \"ml_llama_3_8b\" {\n  name = \"ml-llama-3-8b\"\n  assume_role_policy = jsonencode({",
		}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[3:], " "), func(t *testing.T) {
			code, out, errOut := runAWS(tc.args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if code, _, errOut := runAWS("iam", "trust-policy", awsSpecs, "--env", "staging", "--role", "arn:aws:iam::111122223333:role/nobody"); code != ExitFailure || !strings.Contains(errOut, "uses role") {
		t.Errorf("unknown --role: exit %d, stderr %q", code, errOut)
	}
}

// TestIAMCheck runs `gitplane iam check` with the default credential chain
// against the fake IAM: the gateway's role is right, the model's is missing.
func TestIAMCheck(t *testing.T) {
	good := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/` + stagingIssuer +
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + stagingIssuer + `:sub":"system:serviceaccount:ai-gateway:ai","` +
		stagingIssuer + `:aud":"sts.amazonaws.com"}}}]}`
	fake := awstest.NewIAM(t, "111122223333", awstest.Role{Name: "ml-ai-gateway", TrustPolicy: good})
	fakeAWSEnv(t, fake.URL, "")

	code, out, errOut := runAWS("iam", "check", awsSpecs, "--env", "staging")
	if code != ExitFound || !strings.Contains(errOut, "1 IRSA problem(s)") {
		t.Errorf("exit %d, stderr %q; want exit 1 and one problem", code, errOut)
	}
	if want := "error: models/llama-3-8b → arn:aws:iam::111122223333:role/ml-llama-3-8b: role ml-llama-3-8b does not exist"; !strings.Contains(out, want) || strings.Contains(out, "ai-gateway/ai") {
		t.Errorf("output %q: want only %q", out, want)
	}
	if calls := fake.Calls("GetRole"); calls != 2 {
		t.Errorf("GetRole called %d times, want 2", calls)
	}

	code, out, errOut = runAWS("iam", "check", awsSpecs, "--env", "staging", "--skip-aws")
	if code != ExitOK || out != "" || !strings.Contains(errOut, "notice: AWS checks skipped (--skip-aws)") || fake.Calls("GetRole") != 2 {
		t.Errorf("--skip-aws: exit %d, stdout %q, stderr %q, %d GetRole calls", code, out, errOut, fake.Calls("GetRole"))
	}
}

func TestCost(t *testing.T) {
	fake := awstest.NewEC2(t,
		[]awstest.InstanceType{
			{Name: "g5.xlarge", GPUName: "A10G", GPUs: 1, GPUMiB: 22888, VCPU: 4, MemoryMiB: 16384},
			{Name: "g6.xlarge", GPUName: "L4", GPUs: 1, GPUMiB: 22888, VCPU: 4, MemoryMiB: 16384},
			{Name: "g6.2xlarge", GPUName: "L4", GPUs: 1, GPUMiB: 22888, VCPU: 8, MemoryMiB: 32768},
		},
		[]awstest.SpotPrice{{InstanceType: "g6.2xlarge", AZ: "us-east-1b", USD: "0.3100", Time: time.Now().Add(-time.Hour)}})
	fakeAWSEnv(t, "", fake.URL)

	code, out, errOut := runAWS("cost", awsSpecs, "--env", "staging")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"models/llama-3-8b (spot, replicas 1–2)", "expected  g6.2xlarge", "spot $0.31/h us-east-1b", "g5.xlarge      1×a10g  on-demand $1.006/h  spot —", "spot: ec2:DescribeSpotPriceHistory"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runAWS("cost", awsSpecs, "--env", "staging", "--skip-aws")
	if code != ExitOK || !strings.Contains(out, "no spot prices (offline)") || !strings.Contains(errOut, "--skip-aws") {
		t.Errorf("--skip-aws: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
}

func TestEKSToken(t *testing.T) {
	fakeAWSEnv(t, "", "")
	code, out, errOut := runAWS("eks", "token", "--cluster", "ml-staging", "--region", "eu-west-1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var cred struct {
		APIVersion, Kind string
		Status           struct {
			Token               string
			ExpirationTimestamp time.Time
		}
	}
	if err := json.Unmarshal([]byte(out), &cred); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	u, err := eksauth.DecodeToken(cred.Status.Token)
	if err != nil {
		t.Fatal(err)
	}
	if cred.Kind != "ExecCredential" || u.Host != "sts.eu-west-1.amazonaws.com" || u.Query().Get("X-Amz-SignedHeaders") != "host;x-k8s-aws-id" {
		t.Errorf("credential %s with URL %s", out, u)
	}
	if left := time.Until(cred.Status.ExpirationTimestamp); left < 13*time.Minute || left > 14*time.Minute {
		t.Errorf("token expires in %s, want about 14m", left)
	}
}

func TestEKSKubeconfig(t *testing.T) {
	fake := awstest.NewEKS(t, awstest.Cluster{Name: "ml-staging", Endpoint: "https://ABC.gr7.us-east-1.eks.amazonaws.com",
		CAData: base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n"))})
	fakeAWSEnv(t, "", "")
	t.Setenv("AWS_ENDPOINT_URL_EKS", fake.URL)
	code, out, errOut := runAWS("eks", "kubeconfig", "--cluster", "ml-staging")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	cfg, err := clientcmd.Load([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	name := "arn:aws:eks:us-east-1:111122223333:cluster/ml-staging"
	cl, user := cfg.Clusters[name], cfg.AuthInfos[name]
	if cfg.CurrentContext != name || cl == nil || user == nil || user.Exec == nil {
		t.Fatalf("kubeconfig:\n%s", out)
	}
	if cl.Server != "https://ABC.gr7.us-east-1.eks.amazonaws.com" || !strings.Contains(string(cl.CertificateAuthorityData), "fake") {
		t.Errorf("cluster %+v", cl)
	}
	if got := strings.Join(user.Exec.Args, " "); user.Exec.Command != "gitplane" || got != "eks token --cluster ml-staging --region us-east-1" {
		t.Errorf("exec %s %s", user.Exec.Command, got)
	}
	if code, _, errOut := runAWS("eks", "kubeconfig", "--cluster", "nope"); code != ExitFailure || !strings.Contains(errOut, "ResourceNotFoundException") {
		t.Errorf("unknown cluster: exit %d, stderr %q", code, errOut)
	}
}
