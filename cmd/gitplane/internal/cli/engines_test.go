package cli

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/engine"
)

// apiServer is an API server that forbids every request (a Status, which
// is not retried) and records the Authorization headers it got.
type apiServer struct {
	mu    sync.Mutex
	auths []string
}

func (a *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.auths = append(a.auths, r.Header.Get("Authorization"))
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"forbidden: not in this test"}`))
}

func (a *apiServer) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.auths...)
}

// defaultKubeconfig makes a kubeconfig whose context ctx points at url the
// default one (~/.kube/config) for the test.
func defaultKubeconfig(t *testing.T, ctx, url string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".kube", "config")
	writeKubeconfig(t, path, ctx, url)
	prev := clientcmd.RecommendedHomeFile
	clientcmd.RecommendedHomeFile = path
	t.Cleanup(func() { clientcmd.RecommendedHomeFile = prev })
}

// writeKubeconfig writes a kubeconfig whose context ctx points at url.
func writeKubeconfig(t *testing.T, path, ctx, url string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	kc := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: " + url + "}}]\nusers: [{name: u, user: {}}]\n" +
		"contexts: [{name: " + ctx + ", context: {cluster: c, user: u}}]\ncurrent-context: " + ctx + "\n"
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDiffConnects: diff reaches the kubeconfig's cluster when
// --kubeconfig, --context or $KUBECONFIG names one, or --skip-aws turns
// AWS off; otherwise, with AWS credentials, the EKS cluster the
// Environment names, by name, with an EKS token.
func TestDiffConnects(t *testing.T) {
	kube := &apiServer{}
	kubeSrv := httptest.NewServer(kube)
	t.Cleanup(kubeSrv.Close)
	eksAPI := &apiServer{}
	eksSrv := httptest.NewTLSServer(eksAPI)
	t.Cleanup(eksSrv.Close)
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: eksSrv.Certificate().Raw}))
	fakeEKS := awstest.NewEKS(t, awstest.Cluster{Name: "ml-staging", Endpoint: eksSrv.URL, CAData: ca})
	fakeAWSEnv(t, "", "")
	t.Setenv("AWS_ENDPOINT_URL_EKS", fakeEKS.URL)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	defaultKubeconfig(t, "default", kubeSrv.URL)
	named := filepath.Join(t.TempDir(), "kubeconfig")
	writeKubeconfig(t, named, "named", kubeSrv.URL)
	specs := copySpecs(t)

	tests := []struct {
		name       string
		kubeconfig string // $KUBECONFIG
		args       []string
		eks        bool // by name, else the kubeconfig's cluster
	}{
		{"nothing named", "", nil, true},
		{"--kubeconfig", "", []string{"--kubeconfig", named}, false},
		{"--context", "", []string{"--context", "default"}, false},
		{"$KUBECONFIG", named, nil, false},
		{"--skip-aws", "", []string{"--skip-aws"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.kubeconfig)
			kubeBefore, eksBefore, describes := len(kube.requests()), len(eksAPI.requests()), fakeEKS.Calls("DescribeCluster")
			code, _, stderr := run(t, append([]string{"diff", specs, "--env", "staging"}, tt.args...)...)
			if code != ExitFailure || !strings.Contains(stderr, "forbidden") {
				t.Fatalf("exit %d, stderr %s; want the cluster's 403", code, stderr)
			}
			byName := eksAPI.requests()[eksBefore:]
			byKubeconfig := kube.requests()[kubeBefore:]
			if tt.eks {
				if len(byName) == 0 || len(byKubeconfig) != 0 || fakeEKS.Calls("DescribeCluster") != describes+1 || !strings.HasPrefix(byName[0], "Bearer k8s-aws-v1.") {
					t.Errorf("%d requests to the EKS cluster (first with %q), %d to the kubeconfig's; want EKS by name with a token", len(byName), first(byName), len(byKubeconfig))
				}
				return
			}
			if len(byKubeconfig) == 0 || len(byName) != 0 || fakeEKS.Calls("DescribeCluster") != describes {
				t.Errorf("%d requests to the kubeconfig's cluster, %d to EKS; want the kubeconfig's only", len(byKubeconfig), len(byName))
			}
		})
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// TestServeConnectsInItsPod: in a pod with no kubeconfig named, serve
// uses the cluster it runs in, where apply would go to EKS by name.
func TestServeConnectsInItsPod(t *testing.T) {
	fakeAWSEnv(t, "", "")
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
	defaultKubeconfig(t, "pod", "https://10.96.0.1") // stands in for the pod's service account
	for _, tt := range []struct {
		name      string
		inCluster bool
		fixed     bool
	}{
		{"serve", true, true},
		{"apply", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			engs, err := (&clusterFlags{}).engines(context.Background(), awsFlags{}, connectOptions{inCluster: tt.inCluster, engine: engine.DefaultOptions()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(engs.close)
			if fixed := engs.fixed != nil; fixed != tt.fixed || (engs.byName != nil) == fixed {
				t.Errorf("one cluster for every Environment: %v, want %v", fixed, tt.fixed)
			}
		})
	}
}
