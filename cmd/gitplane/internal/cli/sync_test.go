package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// copySpecs copies examples/specs into a temporary directory.
func copySpecs(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("..", "..", "..", "..", "examples", "specs")
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestDiffAndApply drives the CLI against the local control plane: apply,
// diff with no changes (exit 0), a changed spec (exit 1 with a diff), JSON
// output, and apply again.
func TestDiffAndApply(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t, testenv.Config(t))
	dir := copySpecs(t)
	k := []string{"--kubeconfig", kubeconfig}
	if code, _, stderr := run(t, append([]string{"apply", dir, "--env", "prod"}, k...)...); code != ExitFailure || !strings.Contains(stderr, "namespaces \"istio-ingress\" not found") {
		t.Fatalf("apply without the Istio namespace: exit %d, stderr %s; want the server's objection and exit 2", code, stderr)
	}
	createIstioNamespace(t)

	code, stdout, stderr := run(t, append([]string{"apply", dir, "--env", "prod", "--prune"}, k...)...)
	// The first run applied everything else; this one only what failed.
	if code != ExitOK || !strings.Contains(stdout, "prod: 2 created, 0 updated, 0 deleted, 38 unchanged") {
		t.Fatalf("apply after the namespace exists: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, append([]string{"diff", dir, "--env", "prod"}, k...)...)
	if code != ExitOK || !strings.HasSuffix(stdout, "prod: 0 to create, 0 to update, 0 to delete, 40 unchanged\n") {
		t.Fatalf("diff after apply: exit %d\n%s", code, stdout)
	}

	llama := filepath.Join(dir, "models", "llama.yaml")
	data, _ := os.ReadFile(llama)
	if err := os.WriteFile(llama, bytes.Replace(data, []byte("vllm-openai:v0.6.3"), []byte("vllm-openai:v0.7.0"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = run(t, append([]string{"diff", dir, "--env", "prod"}, k...)...)
	if code != ExitFound || !strings.Contains(stdout, "+        image: vllm/vllm-openai:v0.7.0") || strings.Contains(stdout, "\x1b[") {
		t.Fatalf("diff of a changed image: exit %d (want 1), uncoloured diff wanted:\n%s", code, stdout)
	}
	code, stdout, _ = run(t, append([]string{"diff", dir, "--env", "prod", "-o", "json"}, k...)...)
	var plan struct {
		Summary struct{ Update, Unchanged int }
		Changes []struct {
			Action string
			Diff   string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil || code != ExitFound || plan.Summary.Update != 1 || plan.Summary.Unchanged != 39 {
		t.Fatalf("diff -o json: exit %d, err %v, summary %+v\n%s", code, err, plan.Summary, stdout)
	}
	code, stdout, _ = run(t, append([]string{"apply", dir, "--env", "prod", "--prune"}, k...)...)
	if code != ExitOK || !strings.Contains(stdout, "apps/Deployment models/llama-3-8b configured") {
		t.Fatalf("second apply: exit %d\n%s", code, stdout)
	}
}

// TestInvalidSpecsWriteNothing points the CLI at an API server that counts
// requests: a broken spec must fail with file:line:col before any request.
func TestInvalidSpecsWriteNothing(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "unexpected", http.StatusInternalServerError)
	}))
	defer srv.Close()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "+srv.URL+"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := copySpecs(t)
	llama := filepath.Join(dir, "models", "llama.yaml")
	data, _ := os.ReadFile(llama)
	if err := os.WriteFile(llama, bytes.Replace(data, []byte("image:"), []byte("imag:"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"diff", "apply"} {
		code, _, stderr := run(t, verb, dir, "--env", "prod", "--kubeconfig", kubeconfig, "--prune")
		if code != ExitFound || !strings.Contains(stderr, "models/llama.yaml:6:3: spec.imag: unknown field") {
			t.Errorf("%s with a broken spec: exit %d, stderr:\n%s", verb, code, stderr)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the API server got %d requests; invalid specs must stop gitplane before it talks to the cluster", n)
	}
}

// createIstioNamespace creates the namespace the prod Environment's Istio ingress gateway runs in (an Istio install owns it).
func createIstioNamespace(t *testing.T) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(testenv.Config(t))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-ingress"}}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// TestApplyWhileAnotherRunSyncs: while another run holds the Environment's
// Lease, apply fails naming it, before it plans or writes anything.
func TestApplyWhileAnotherRunSyncs(t *testing.T) {
	cfg := testenv.Config(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: engine.InventoryNamespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	holder, now := "ci-run-42", metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: engine.LeaseName("staging"), Namespace: engine.InventoryNamespace},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: new(int32(600)), AcquireTime: &now, RenewTime: &now},
	}
	// A Lease given up by an earlier run of staging may be there: this test
	// writes the one it needs.
	if err := cs.CoordinationV1().Leases(engine.InventoryNamespace).Delete(ctx, lease.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	if _, err := cs.CoordinationV1().Leases(engine.InventoryNamespace).Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoordinationV1().Leases(engine.InventoryNamespace).Delete(ctx, lease.Name, metav1.DeleteOptions{})
	})

	code, stdout, stderr := run(t, "apply", copySpecs(t), "--env", "staging", "--kubeconfig", testenv.Kubeconfig(t, cfg))
	if code != ExitFailure || !strings.Contains(stderr, "Environment staging is being synced by ci-run-42 since ") || stdout != "" {
		t.Errorf("apply while the Lease is held: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
