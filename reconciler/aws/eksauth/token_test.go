package eksauth_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/eksauth"
)

var signTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestTokenKnownAnswer pins the token for fixed credentials, region, cluster
// and clock, and checks it with an independent SigV4 verifier.
func TestTokenKnownAnswer(t *testing.T) {
	clk := testingclock.NewFakeClock(signTime)
	gen := eksauth.NewGenerator(sts.NewFromConfig(awstest.Config("us-east-1")), clk)
	tok, err := gen.Token(context.Background(), "gitplane-test")
	if err != nil {
		t.Fatal(err)
	}
	if want := eksauth.TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(wantURL)); tok.Value != want {
		t.Errorf("token\n got %s\nwant %s", tok.Value, want)
	}
	if want := signTime.Add(14 * time.Minute); !tok.Expiration.Equal(want) {
		t.Errorf("expiration %s, want %s", tok.Expiration, want)
	}
	u, err := eksauth.DecodeToken(tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "sts.us-east-1.amazonaws.com" || u.Query().Get("X-Amz-Expires") != "60" {
		t.Errorf("presigned URL %s: want host sts.us-east-1.amazonaws.com and X-Amz-Expires=60", u)
	}
	if err := verifyPresigned(u, awstest.SecretAccessKey, "gitplane-test"); err != nil {
		t.Errorf("token for gitplane-test: %v", err)
	}
	if err := verifyPresigned(u, awstest.SecretAccessKey, "other-cluster"); err == nil {
		t.Error("token for gitplane-test verified for other-cluster")
	}
}

// wantURL is the presigned URL inside the token. Its signature was also
// computed with Python's hmac/hashlib from the same inputs.
const wantURL = "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15" +
	"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDFAKEGITPLANETEST%2F20260102%2Fus-east-1%2Fsts%2Faws4_request" +
	"&X-Amz-Date=20260102T030405Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id" +
	"&X-Amz-Signature=96fb2899b3aed457972e309cf404cb2a16f28d6ac5f57fc2e90853defd447015"
