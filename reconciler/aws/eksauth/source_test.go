package eksauth_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/eksauth"
)

// TestTokenSourceRefreshesBeforeExpiry steps a fake clock through a token's
// life: the cached token is reused until 5 minutes before its reported
// expiry (9 minutes after signing), then a new one is signed; no token is
// ever handed out within 5 minutes of expiring.
func TestTokenSourceRefreshesBeforeExpiry(t *testing.T) {
	ctx := context.Background()
	clk := testingclock.NewFakeClock(signTime)
	gen := eksauth.NewGenerator(sts.NewFromConfig(awstest.Config("us-east-1")), clk)
	src := eksauth.NewTokenSource(gen, "gitplane-test", clk, 0, nil)

	steps := []struct {
		at      time.Duration // since signTime
		newSign bool
	}{
		{0, true},
		{time.Minute, false},
		{8*time.Minute + 59*time.Second, false},
		{9 * time.Minute, true}, // 5 minutes before the 14-minute expiry
		{10 * time.Minute, false},
		{40 * time.Minute, true}, // long idle: the old token expired long ago
	}
	var last eksauth.Token
	for _, s := range steps {
		clk.SetTime(signTime.Add(s.at))
		tok, err := src.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if signed := tok != last; signed != s.newSign {
			t.Errorf("at +%s: new token %v, want %v", s.at, signed, s.newSign)
		}
		if left := tok.Expiration.Sub(clk.Now()); left < 5*time.Minute {
			t.Errorf("at +%s: token expires in %s, want at least 5m", s.at, left)
		}
		last = tok
	}
	clk.Step(time.Second) // a token signed a second later differs
	src.Invalidate()
	if tok, err := src.Token(ctx); err != nil || tok == last {
		t.Errorf("Invalidate kept the cached token (err %v)", err)
	}
}

func TestExecCredential(t *testing.T) {
	out, err := eksauth.ExecCredential(eksauth.Token{Value: "k8s-aws-v1.abc", Expiration: signTime.Add(14 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		APIVersion, Kind string
		Status           struct{ Token, ExpirationTimestamp string }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.APIVersion != "client.authentication.k8s.io/v1beta1" || got.Kind != "ExecCredential" ||
		got.Status.Token != "k8s-aws-v1.abc" || got.Status.ExpirationTimestamp != "2026-01-02T03:18:05Z" {
		t.Errorf("ExecCredential = %s", out)
	}
}
