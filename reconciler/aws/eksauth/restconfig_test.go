package eksauth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	testingclock "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/eksauth"
)

// TestRESTConfigAgainstAPIServer connects by cluster name to a real local
// kube-apiserver that authenticates bearer tokens through a token-review
// webhook verifying them as STS would. The fake EKS returns that API
// server's URL and CA, so the connection proves endpoint, CA and token all
// work; stepping the clock past a token's 15 minutes proves the config keeps
// working on a fresh token.
func TestRESTConfigAgainstAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts etcd and kube-apiserver")
	}
	ctx := context.Background()
	clk := testingclock.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	wh := newSTSWebhook(t, "gitplane-test", clk)
	api := startAPIServer(t, wh.writeConfig(t))
	fakeEKS := awstest.NewEKS(t, awstest.Cluster{
		Name: "gitplane-test", Endpoint: api.Host, CAData: base64.StdEncoding.EncodeToString(api.CAData),
	})

	cfg, err := eksauth.RESTConfig(ctx, awstest.Config(""), "gitplane-test", "us-east-1",
		eksauth.WithClock(clk), eksauth.WithEKSOptions(fakeEKS.Options))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != api.Host || string(cfg.CAData) != string(api.CAData) || len(cfg.CertData) > 0 || cfg.BearerToken != "" {
		t.Fatalf("rest.Config: host %s, %d bytes CA, client cert %v, static token %q", cfg.Host, len(cfg.CAData), len(cfg.CertData) > 0, cfg.BearerToken)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, step := range []time.Duration{0, 16 * time.Minute, 16 * time.Minute} {
		clk.Step(step)
		review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("request %d at +%s: %v (webhook rejected: %v)", i, step, err, wh.rejected)
		}
		if got := review.Status.UserInfo.Username; got != webhookUser {
			t.Errorf("request %d: authenticated as %q, want %q", i, got, webhookUser)
		}
		if _, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("request %d: listing namespaces: %v", i, err)
		}
		if got := wh.distinctAccepted(); got != i+1 {
			t.Errorf("after request %d: webhook accepted %d distinct tokens, want %d", i, got, i+1)
		}
	}
	if len(wh.rejected) > 0 {
		t.Errorf("webhook rejected tokens: %v", wh.rejected)
	}
}

// TestRESTConfigErrors covers a missing cluster and throttling, which the
// SDK's retryer absorbs.
func TestRESTConfigErrors(t *testing.T) {
	ctx := context.Background()
	fakeEKS := awstest.NewEKS(t, awstest.Cluster{Name: "prod", Endpoint: "https://prod.example", CAData: base64.StdEncoding.EncodeToString([]byte("pem"))})

	_, err := eksauth.RESTConfig(ctx, awstest.Config("us-east-1"), "missing", "", eksauth.WithEKSOptions(fakeEKS.Options))
	var notFound *ekstypes.ResourceNotFoundException
	if !errors.As(err, &notFound) || !strings.Contains(err.Error(), "describing EKS cluster missing") {
		t.Errorf("missing cluster: err = %v, want a wrapped ResourceNotFoundException", err)
	}

	fakeEKS.Throttle(3)
	before := fakeEKS.Calls("DescribeCluster")
	cfg, err := eksauth.RESTConfig(ctx, awstest.Config("us-east-1"), "prod", "", eksauth.WithEKSOptions(fakeEKS.Options))
	if err != nil {
		t.Fatalf("throttled 3 times: %v", err)
	}
	if calls := fakeEKS.Calls("DescribeCluster") - before; calls != 4 || cfg.Host != "https://prod.example" {
		t.Errorf("throttled 3 times: %d calls, host %s; want 4 calls and the cluster's endpoint", calls, cfg.Host)
	}
}

// startAPIServer starts etcd and a kube-apiserver that authenticates bearer
// tokens with the webhook configured in webhookConfig.
func startAPIServer(t *testing.T, webhookConfig string) *rest.Config {
	te := &envtest.Environment{BinaryAssetsDirectory: assetsDir(t)}
	te.ControlPlane.GetAPIServer().Configure().
		Append("authentication-token-webhook-config-file", webhookConfig).
		Append("authentication-token-webhook-version", "v1").
		Append("authentication-token-webhook-cache-ttl", "1s")
	cfg, err := te.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = te.Stop() })
	return cfg
}

// assetsDir finds etcd and kube-apiserver as reconciler/testenv does:
// KUBEBUILDER_ASSETS, else .cache/bin at the repository root.
func assetsDir(t *testing.T) string {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, ".cache", "bin")
				break
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		t.Fatalf("kube-apiserver not found in %q: run `make controlplane` first", dir)
	}
	return dir
}
