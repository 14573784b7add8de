package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

var (
	shared   *Env
	startErr error
	once     sync.Once
)

// SharedKubeconfig names the environment variable that points the tests at
// a control plane already running (cmd/devcluster's kubeconfig): every test
// binary then shares it instead of starting its own, and none stops it.
// `make test-shared` runs the whole suite twice, shuffled, on one.
const SharedKubeconfig = "GITPLANE_TEST_KUBECONFIG"

// Config returns the rest.Config of the test binary's control plane: the
// shared one named by $GITPLANE_TEST_KUBECONFIG, or one of its own started
// on first use. Under `go test -short` the test is skipped.
func Config(t testing.TB) *rest.Config {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the local control plane (kube-apiserver + etcd); run without -short, as `make test` does")
	}
	once.Do(func() {
		if path := os.Getenv(SharedKubeconfig); path != "" {
			shared, startErr = connect(path)
			return
		}
		shared, startErr = Start(context.Background(), Options{})
		if startErr == nil {
			fmt.Fprintf(os.Stderr, "testenv: kube-apiserver started at %s; %d CRDs established (%s)\n",
				shared.Config.Host, len(shared.CRDs), strings.Join(RequiredCRDs, ", "))
		}
	})
	if startErr != nil {
		t.Fatalf("starting local control plane: %v", startErr)
	}
	return rest.CopyConfig(shared.Config)
}

// connect uses the running control plane of a kubeconfig file; its CRDs
// must be established (cmd/devcluster loads them).
func connect(path string) (*Env, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", SharedKubeconfig, path, err)
	}
	crds, err := waitEstablished(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("shared control plane at %s: %w", cfg.Host, err)
	}
	return &Env{Config: cfg, CRDs: crds}, nil
}

// Main runs the tests and stops the control plane if one was started. Use it
// from TestMain: func TestMain(m *testing.M) { testenv.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if err := shared.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stopping control plane: %v\n", err)
	}
	os.Exit(code)
}

// Kubeconfig writes a kubeconfig file for cfg into the test's temporary
// directory and returns its path, for code under test that loads one (the
// CLI, kubectl).
func Kubeconfig(t testing.TB, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["testenv"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["testenv"] = &clientcmdapi.Context{Cluster: "testenv", AuthInfo: "admin"}
	kc.CurrentContext = "testenv"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatalf("writing kubeconfig: %v", err)
	}
	return path
}
