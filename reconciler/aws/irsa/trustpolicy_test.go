package irsa_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/irsa"
)

func serviceAccount(ns, name string, ann map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("ServiceAccount")
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetAnnotations(ann)
	return u
}

func TestRoleUses(t *testing.T) {
	roleA := "arn:aws:iam::111122223333:role/a"
	dep := serviceAccount("models", "llama", map[string]string{irsa.AnnotationRoleARN: roleA})
	dep.SetKind("Deployment")
	dep.SetAPIVersion("apps/v1")
	objs := []*unstructured.Unstructured{
		serviceAccount("models", "whisper", map[string]string{irsa.AnnotationRoleARN: roleA, irsa.AnnotationAudience: "custom"}),
		serviceAccount("models", "plain", nil),
		dep,
		serviceAccount("ai-gateway", "gw", map[string]string{irsa.AnnotationRoleARN: roleA}),
		serviceAccount("models", "whisper", map[string]string{irsa.AnnotationRoleARN: roleA, irsa.AnnotationAudience: "custom"}),
	}
	got := irsa.RoleUses(objs)
	want := []irsa.RoleUse{
		{RoleARN: roleA, Namespace: "ai-gateway", ServiceAccount: "gw"},
		{RoleARN: roleA, Namespace: "models", ServiceAccount: "whisper", Audience: "custom"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("RoleUses = %+v, want %+v", got, want)
	}
}

// TestTrustPolicyPassesPreflight generates the policies for a set of uses,
// serves them from the fake IAM and checks that Preflight finds nothing.
func TestTrustPolicyPassesPreflight(t *testing.T) {
	uses := []irsa.RoleUse{
		{RoleARN: "arn:aws:iam::111122223333:role/gitplane/llama", Namespace: "models", ServiceAccount: "llama"},
		{RoleARN: "arn:aws:iam::111122223333:role/shared", Namespace: "models", ServiceAccount: "whisper"},
		{RoleARN: "arn:aws:iam::111122223333:role/shared", Namespace: "ai-gateway", ServiceAccount: "gateway"},
	}
	fake := awstest.NewIAM(t, account)
	for _, rt := range irsa.TrustPolicies(prov, uses) {
		doc, err := rt.Policy.JSON()
		if err != nil {
			t.Fatal(err)
		}
		name, _ := irsa.RoleName(rt.RoleARN)
		path := "/"
		if name == "llama" {
			path = "/gitplane/"
		}
		fake.Put(awstest.Role{Name: name, Path: path, TrustPolicy: string(doc)})
	}
	client := iam.NewFromConfig(awstest.Config("us-east-1"), fake.Options)
	if got := irsa.Preflight(context.Background(), client, uses, prov); len(got) != 0 {
		t.Errorf("generated trust policies have findings: %v", got)
	}
}

func TestTrustPolicyJSONAndTerraform(t *testing.T) {
	uses := []irsa.RoleUse{
		{RoleARN: "arn:aws:iam::111122223333:role/gitplane/models-llama", Namespace: "models", ServiceAccount: "llama"},
	}
	rts := irsa.TrustPolicies(prov, uses)
	if len(rts) != 1 {
		t.Fatalf("%d policies, want 1", len(rts))
	}
	doc, err := rts[0].Policy.JSON()
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
      },
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {
          "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com",
          "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:models:llama"
        }
      }
    }
  ]
}
`
	if string(doc) != wantJSON {
		t.Errorf("policy JSON:\n%s\nwant:\n%s", doc, wantJSON)
	}
	tf, err := rts[0].Terraform()
	if err != nil {
		t.Fatal(err)
	}
	const wantTF = `resource "aws_iam_role" "models_llama" {
  name = "models-llama"
  path = "/gitplane/"
  assume_role_policy = jsonencode({
    "Version": "2012-10-17",
    "Statement": [
      {
        "Effect": "Allow",
        "Principal": {
          "Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
        },
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
          "StringEquals": {
            "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com",
            "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:models:llama"
          }
        }
      }
    ]
  })
}
`
	if tf != wantTF {
		t.Errorf("terraform:\n%s\nwant:\n%s", tf, wantTF)
	}
}

func TestRoleName(t *testing.T) {
	tests := []struct {
		arn, want string
		ok        bool
	}{
		{"arn:aws:iam::111122223333:role/llama", "llama", true},
		{"arn:aws:iam::111122223333:role/a/b/llama", "llama", true},
		{"arn:aws:iam::111122223333:user/llama", "", false},
		{"llama", "", false},
	}
	for _, tc := range tests {
		if got, ok := irsa.RoleName(tc.arn); got != tc.want || ok != tc.ok {
			t.Errorf("RoleName(%q) = %q, %v; want %q, %v", tc.arn, got, ok, tc.want, tc.ok)
		}
	}
}

// TestParsePolicyForms reads a policy URL-encoded as iam:GetRole returns it
// and as plain JSON whose values contain a percent sign.
func TestParsePolicyForms(t *testing.T) {
	plain := `{"Version":"2012-10-17","Statement":{"Sid":"100%","Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity"}}`
	encoded := "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Sid%22%3A%22100%25%22%2C%22Effect%22%3A%22Allow%22%2C" +
		"%22Principal%22%3A%22%2A%22%2C%22Action%22%3A%22sts%3AAssumeRoleWithWebIdentity%22%7D%7D"
	for _, doc := range []string{plain, encoded} {
		p, err := irsa.ParsePolicy(doc)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if len(p.Statement) != 1 || p.Statement[0].Sid != "100%" || !p.Statement[0].Principal.Any {
			t.Errorf("%s: parsed %+v", doc, p)
		}
	}
	if _, err := irsa.ParsePolicy("%7B%ZZ"); err == nil {
		t.Error("bad URL encoding accepted")
	}
}
