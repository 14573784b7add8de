package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
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
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
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
// output, and apply again. The counts are those of the test's own
// Environment, whatever else the control plane holds.
func TestDiffAndApply(t *testing.T) {
	cfg := testenv.Config(t)
	s := ownSpecs(t)
	env, istio := s.prod, s.Namespace("istio-ingress")
	objs := s.render(t, env)
	inIstio := 0 // the ingress Gateway and the ALB Ingress
	for _, o := range objs {
		if o.GetNamespace() == istio {
			inIstio++
		}
	}
	all := len(objs)
	k := []string{"--kubeconfig", testenv.Kubeconfig(t, cfg), "--skip-aws"}
	sync := func(verb string, args ...string) (int, string, string) {
		t.Helper()
		return run(t, append(append([]string{verb, s.Dir, "--env", env}, args...), k...)...)
	}
	if code, _, stderr := sync("apply"); code != ExitFailure || !strings.Contains(stderr, fmt.Sprintf("namespaces %q not found", istio)) {
		t.Fatalf("apply without the Istio namespace: exit %d, stderr %s; want the server's objection and exit 2", code, stderr)
	}
	createNamespace(t, kubernetes.NewForConfigOrDie(cfg), istio) // an Istio install owns it

	code, stdout, stderr := sync("apply", "--prune")
	// The first run applied everything else; this one only what failed.
	if want := fmt.Sprintf("%s: %d created, 0 updated, 0 deleted, %d unchanged", env, inIstio, all-inIstio); code != ExitOK || inIstio == 0 || !strings.Contains(stdout, want) {
		t.Fatalf("apply after the namespace exists: exit %d, want %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
	}
	code, stdout, stderr = sync("diff")
	if want := fmt.Sprintf("%s: 0 to create, 0 to update, 0 to delete, %d unchanged\n", env, all); code != ExitOK || !strings.HasSuffix(stdout, want) {
		t.Fatalf("diff after apply: exit %d, want %q\n%s%s", code, want, stdout, stderr)
	}

	replaceIn(t, filepath.Join(s.Dir, "models", "llama.yaml"), "vllm-openai:v0.6.3", "vllm-openai:v0.7.0")
	code, stdout, stderr = sync("diff")
	if code != ExitFound || !strings.Contains(stdout, "+        image: vllm/vllm-openai:v0.7.0") || strings.Contains(stdout, "\x1b[") {
		t.Fatalf("diff of a changed image: exit %d (want 1), uncoloured diff wanted:\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = sync("diff", "-o", "json")
	var plan struct {
		Summary struct{ Update, Unchanged int }
		Changes []struct {
			Action string
			Diff   string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil || code != ExitFound || plan.Summary.Update != 1 || plan.Summary.Unchanged != all-1 {
		t.Fatalf("diff -o json: exit %d, err %v, summary %+v, want 1 update and %d unchanged\n%s%s", code, err, plan.Summary, all-1, stdout, stderr)
	}
	// apply --dry-run shows what apply would do, diffs included (the plan
	// is made with Diffs, and Apply reports them), and writes nothing.
	code, stdout, stderr = sync("apply", "--prune", "--dry-run")
	if want := fmt.Sprintf("%s: 0 to create, 1 to update, 0 to delete, %d unchanged", env, all-1); code != ExitOK ||
		!strings.Contains(stdout, "+        image: vllm/vllm-openai:v0.7.0") || !strings.Contains(stdout, want) {
		t.Fatalf("apply --dry-run of a changed image: exit %d, want the diff and %q\n%s%s", code, want, stdout, stderr)
	}
	if code, stdout, stderr = sync("diff"); code != ExitFound {
		t.Fatalf("diff after apply --dry-run: exit %d, want 1 (the dry-run wrote nothing)\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = sync("apply", "--prune")
	if want := "apps/Deployment " + s.Namespace("models") + "/llama-3-8b configured"; code != ExitOK || !strings.Contains(stdout, want) {
		t.Fatalf("second apply: exit %d, want %q\n%s%s", code, want, stdout, stderr)
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
	replaceIn(t, filepath.Join(dir, "models", "llama.yaml"), "image:", "imag:")
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

// TestApplyWhileAnotherRunSyncs: while another run holds the Environment's
// Lease, apply fails naming it, before it plans or writes anything.
func TestApplyWhileAnotherRunSyncs(t *testing.T) {
	cfg := testenv.Config(t)
	s := ownSpecs(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	holder, now := "ci-run-42", metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: engine.LeaseName(s.staging), Namespace: engine.InventoryNamespace},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: new(int32(600)), AcquireTime: &now, RenewTime: &now},
	}
	if _, err := cs.CoordinationV1().Leases(engine.InventoryNamespace).Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cs.CoordinationV1().Leases(engine.InventoryNamespace).Delete(ctx, lease.Name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("deleting the test's Lease: %v", err)
		}
	})

	code, stdout, stderr := run(t, "apply", s.Dir, "--env", s.staging, "--kubeconfig", testenv.Kubeconfig(t, cfg), "--skip-aws")
	if want := "Environment " + s.staging + " is being synced by ci-run-42 since "; code != ExitFailure || !strings.Contains(stderr, want) || stdout != "" {
		t.Errorf("apply while the Lease is held: exit %d, want %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
	}
	if _, err := cs.CoreV1().ConfigMaps(engine.InventoryNamespace).Get(ctx, engine.InventoryName(s.staging), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("apply wrote an inventory while another run held the Lease: %v", err)
	}
}
