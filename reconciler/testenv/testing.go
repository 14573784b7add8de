package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
)

var (
	shared   *Env
	startErr error
	once     sync.Once
)

// Config returns the rest.Config of the test binary's control plane, starting
// it on first use. Under `go test -short` the test is skipped.
func Config(t testing.TB) *rest.Config {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the local control plane (kube-apiserver + etcd); run without -short, as `make test` does")
	}
	once.Do(func() {
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

// Main runs the tests and stops the control plane if one was started. Use it
// from TestMain: func TestMain(m *testing.M) { testenv.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if err := shared.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stopping control plane: %v\n", err)
	}
	os.Exit(code)
}
