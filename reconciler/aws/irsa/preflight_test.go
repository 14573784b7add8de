package irsa_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/irsa"
)

const (
	account = "111122223333"
	issuer  = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	host    = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
)

var prov = irsa.Provider{AccountID: account, Issuer: issuer}

// trust builds a one-statement trust policy document.
func trust(federated, conditions string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{%s}}]}`, federated, conditions)
}

func eq(key, value string) string { return fmt.Sprintf(`"StringEquals":{%q:%q}`, host+":"+key, value) }
func both(sub, aud string) string {
	return fmt.Sprintf(`"StringEquals":{%q:%q,%q:%q}`, host+":sub", sub, host+":aud", aud)
}
func provider(acct, h string) string { return "arn:aws:iam::" + acct + ":oidc-provider/" + h }

// TestPreflight runs the real IAM client against the fake IAM for each
// trust-policy shape and compares the finding codes.
func TestPreflight(t *testing.T) {
	own := provider(account, host)
	tests := []struct {
		name   string
		policy string // empty: the role does not exist
		want   []irsa.Code
		detail string // a substring the first finding must contain
	}{
		{name: "good", policy: trust(own, both("system:serviceaccount:models:llama", "sts.amazonaws.com"))},
		{name: "StringLike wildcard", policy: trust(own, eq("aud", "sts.amazonaws.com")+`,"StringLike":{"`+host+`:sub":"system:serviceaccount:models:*"}`)},
		{name: "StringLike list, ? wildcard", policy: trust(own, eq("aud", "sts.amazonaws.com")+`,"StringLike":{"`+host+`:sub":["system:serviceaccount:other:*","system:serviceaccount:models:llam?"]}`)},
		{name: "sts:* action, single statement object", policy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":["` + own + `"]},"Action":["sts:*"],"Condition":{` + both("system:serviceaccount:models:llama", "sts.amazonaws.com") + `}}}`},
		{name: "wrong sub", policy: trust(own, both("system:serviceaccount:models:mistral", "sts.amazonaws.com")),
			want: []irsa.Code{irsa.CodeSubMismatch}, detail: `allows StringEquals ["system:serviceaccount:models:mistral"], not "system:serviceaccount:models:llama"`},
		{name: "StringLike wildcard of another namespace", policy: trust(own, eq("aud", "sts.amazonaws.com")+`,"StringLike":{"`+host+`:sub":"system:serviceaccount:other:*"}`),
			want: []irsa.Code{irsa.CodeSubMismatch}},
		{name: "sub missing", policy: trust(own, eq("aud", "sts.amazonaws.com")), want: []irsa.Code{irsa.CodeSubMissing}},
		{name: "wrong aud", policy: trust(own, both("system:serviceaccount:models:llama", "sts.amazonaws.com.cn")),
			want: []irsa.Code{irsa.CodeAudMismatch}, detail: `not "sts.amazonaws.com"`},
		{name: "aud missing", policy: trust(own, eq("sub", "system:serviceaccount:models:llama")), want: []irsa.Code{irsa.CodeAudMissing}},
		{name: "no conditions", policy: trust(own, ""), want: []irsa.Code{irsa.CodeAudMissing, irsa.CodeSubMissing}},
		{name: "wrong provider", policy: trust(provider(account, "oidc.eks.us-east-1.amazonaws.com/id/OTHERCLUSTER"), both("system:serviceaccount:models:llama", "sts.amazonaws.com")),
			want: []irsa.Code{irsa.CodeWrongProvider}, detail: "/id/OTHERCLUSTER, not the cluster's OIDC provider"},
		{name: "wrong account", policy: trust(provider("999988887777", host), both("system:serviceaccount:models:llama", "sts.amazonaws.com")),
			want: []irsa.Code{irsa.CodeWrongAccount}, detail: "in account 999988887777, want account 111122223333"},
		{name: "role not found", want: []irsa.Code{irsa.CodeRoleNotFound}, detail: "does not exist"},
		{name: "EC2 service role", policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			want: []irsa.Code{irsa.CodeNoWebIdentity}},
		{name: "negated operator is not trusted", policy: trust(own, eq("aud", "sts.amazonaws.com")+`,"StringNotEquals":{"`+host+`:sub":"system:serviceaccount:models:other"}`),
			want: []irsa.Code{irsa.CodeSubMismatch}},
		{name: "explicit deny", policy: `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"Federated":"` + own + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{` + both("system:serviceaccount:models:llama", "sts.amazonaws.com") + `}},
			{"Sid":"NoModels","Effect":"Deny","Principal":{"Federated":"` + own + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"` + host + `:sub":"system:serviceaccount:models:*"}}}]}`,
			want: []irsa.Code{irsa.CodeDenied}, detail: `"NoModels"`},
		{name: "policy not JSON", policy: `{"Version":`, want: []irsa.Code{irsa.CodePolicyInvalid}},
	}
	fake := awstest.NewIAM(t, account)
	client := iam.NewFromConfig(awstest.Config("us-east-1"), fake.Options)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			role := fmt.Sprintf("model-%d", i)
			if tc.policy != "" {
				fake.Put(awstest.Role{Name: role, TrustPolicy: tc.policy})
			}
			use := irsa.RoleUse{RoleARN: "arn:aws:iam::" + account + ":role/" + role, Namespace: "models", ServiceAccount: "llama"}
			got := irsa.Preflight(context.Background(), client, []irsa.RoleUse{use}, prov)
			if codes(got) != fmt.Sprint(tc.want) {
				t.Fatalf("findings %v, want codes %v", got, tc.want)
			}
			if tc.detail != "" && !strings.Contains(got[0].Message, tc.detail) {
				t.Errorf("message %q does not contain %q", got[0].Message, tc.detail)
			}
			for _, f := range got {
				if f.Use != use {
					t.Errorf("finding for %+v, want %+v", f.Use, use)
				}
			}
		})
	}
}

func codes(fs []irsa.Finding) string {
	out := make([]irsa.Code, len(fs))
	for i, f := range fs {
		out[i] = f.Code
	}
	if len(out) == 0 {
		return fmt.Sprint([]irsa.Code(nil))
	}
	return fmt.Sprint(out)
}

// TestPreflightReadsEachRoleOnceAndRetries checks that one role shared by
// two ServiceAccounts is read once, that the policy allowing only one of
// them yields one finding, and that throttled GetRole calls are retried.
func TestPreflightReadsEachRoleOnceAndRetries(t *testing.T) {
	fake := awstest.NewIAM(t, account, awstest.Role{Name: "shared", Path: "/gitplane/",
		TrustPolicy: trust(provider(account, host), both("system:serviceaccount:models:llama", "sts.amazonaws.com"))})
	fake.Throttle(2)
	client := iam.NewFromConfig(awstest.Config("us-east-1"), fake.Options)
	arn := "arn:aws:iam::" + account + ":role/gitplane/shared"
	uses := []irsa.RoleUse{
		{RoleARN: arn, Namespace: "models", ServiceAccount: "llama"},
		{RoleARN: arn, Namespace: "models", ServiceAccount: "whisper"},
	}
	got := irsa.Preflight(context.Background(), client, uses, prov)
	if len(got) != 1 || got[0].Code != irsa.CodeSubMismatch || got[0].Use.ServiceAccount != "whisper" {
		t.Errorf("findings %v, want one SubMismatch for whisper", got)
	}
	if calls := fake.Calls("GetRole"); calls != 3 {
		t.Errorf("GetRole called %d times, want 3 (2 throttled, 1 answered)", calls)
	}
}
