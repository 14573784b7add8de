package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"testing/fstest"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
)

// BenchmarkApply applies n generated Models to the local control plane —
// first apply, then a no-op re-apply — counting requests, and does the same
// with `kubectl apply --server-side` on the same rendered objects (under
// another Environment name, so both start from an empty cluster state).
// GITPLANE_BENCH_SKIP_KUBECTL=1 leaves the kubectl anchor out.
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{100, 300, 1000} {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			for b.Loop() {
				benchApply(b, n)
			}
		})
	}
}

func benchApply(b *testing.B, n int) {
	h := newBenchHarness(b)
	env := fmt.Sprintf("apply%d", n)
	objs := rendered(b, benchRepo(env, n), env)
	h.ensureNamespace(env + "-istio")

	first, firstReq := h.timedSync(env, objs)
	if w := h.count.writes(); w < len(objs) {
		b.Fatalf("first apply wrote %d times for %d objects", w, len(objs))
	}
	noop, noopReq := h.timedSync(env, objs)
	if w := h.count.writes(); w != 0 {
		b.Fatalf("no-op re-apply wrote %d times, want 0", w)
	}
	watchedNoop := h.watchedNoop(env, objs)
	b.ReportMetric(watchedNoop.Seconds(), "watched-noop-s")
	b.Logf("%d Models: no-op with the watch cache (serve): %v", n, watchedNoop.Round(time.Millisecond))
	b.ReportMetric(float64(len(objs)), "objects")
	b.ReportMetric(first.Seconds(), "first-apply-s")
	b.ReportMetric(noop.Seconds(), "noop-apply-s")
	b.ReportMetric(float64(noopReq), "noop-requests")
	b.Logf("%d Models, %d objects: gitplane first apply %v (%d requests), no-op %v (%d requests, 0 writes)",
		n, len(objs), first.Round(time.Millisecond), firstReq, noop.Round(time.Millisecond), noopReq)

	kenv := fmt.Sprintf("kubectl%d", n)
	h.ensureNamespace(kenv + "-istio")
	kfirst, kfirstReq, ok := kubectlApply(b, h.cfg, rendered(b, benchRepo(kenv, n), kenv))
	if !ok {
		return
	}
	knoop, knoopReq, _ := kubectlApply(b, h.cfg, rendered(b, benchRepo(kenv, n), kenv))
	b.ReportMetric(kfirst.Seconds(), "kubectl-first-s")
	b.ReportMetric(knoop.Seconds(), "kubectl-noop-s")
	b.ReportMetric(kfirst.Seconds()/first.Seconds(), "first-speedup-x")
	b.ReportMetric(knoop.Seconds()/noop.Seconds(), "noop-speedup-x")
	b.Logf("kubectl apply --server-side: first %v (%d requests), no-op %v (%d requests); ratios: first %.1fx, no-op %.1fx",
		kfirst.Round(time.Millisecond), kfirstReq, knoop.Round(time.Millisecond), knoopReq,
		kfirst.Seconds()/first.Seconds(), knoop.Seconds()/noop.Seconds())
}

type benchHarness struct {
	*harness
	b *testing.B
}

func newBenchHarness(b *testing.B) *benchHarness {
	return &benchHarness{harness: newHarness(b, engine.Options{}), b: b}
}

// watchedNoop is a no-op re-apply by an Engine with Options.Watch, as serve
// runs it: the first sync fills the watch cache, the second is timed.
func (h *benchHarness) watchedNoop(env string, objs []*unstructured.Unstructured) time.Duration {
	e, err := engine.New(h.cfg, engine.Options{Watch: true})
	if err != nil {
		h.b.Fatal(err)
	}
	defer e.Close()
	plain := h.engine
	h.engine = e
	defer func() { h.engine = plain }()
	h.timedSync(env, objs)
	d, _ := h.timedSync(env, objs)
	return d
}

// timedSync plans and applies with --prune, returning the time and the
// number of requests.
func (h *benchHarness) timedSync(env string, objs []*unstructured.Unstructured) (time.Duration, int) {
	h.count.reset()
	start := time.Now()
	ctx := context.Background()
	p, err := h.engine.Plan(ctx, engine.PlanRequest{Environment: env, Objects: objs, PlanOptions: engine.PlanOptions{Prune: true}})
	if err != nil {
		h.b.Fatal(err)
	}
	if _, err := h.engine.Apply(ctx, p, engine.ApplyOptions{}); err != nil {
		h.b.Fatal(err)
	}
	return time.Since(start), h.count.total()
}

// kubectlApply runs `kubectl apply --server-side` on the objects and counts
// its requests from its -v=6 log.
func kubectlApply(b *testing.B, cfg *rest.Config, objs []*unstructured.Unstructured) (time.Duration, int, bool) {
	if os.Getenv("GITPLANE_BENCH_SKIP_KUBECTL") != "" {
		b.Log("GITPLANE_BENCH_SKIP_KUBECTL is set: no kubectl anchor")
		return 0, 0, false
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		b.Log("kubectl not found: no anchor")
		return 0, 0, false
	}
	dir := b.TempDir()
	data, err := render.YAML(objs)
	if err != nil {
		b.Fatal(err)
	}
	manifest := filepath.Join(dir, "objects.yaml")
	if err := os.WriteFile(manifest, data, 0o644); err != nil {
		b.Fatal(err)
	}
	kubeconfig := testenv.Kubeconfig(b, cfg)
	var stderr bytes.Buffer
	cmd := exec.Command(kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side", "--field-manager", "kubectl-bench", "-f", manifest, "-v=6")
	cmd.Stderr = &stderr
	start := time.Now()
	if out, err := cmd.Output(); err != nil {
		b.Fatalf("kubectl apply: %v\n%s\n%s", err, tail(out), tail(stderr.Bytes()))
	}
	return time.Since(start), countRequests(stderr.Bytes()), true
}

var requestLine = regexp.MustCompile(`\] "?Response"?|\b(GET|PATCH|POST|PUT|DELETE) https?://\S+ \d{3}`)

func countRequests(log []byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if requestLine.Match(sc.Bytes()) {
			n++
		}
	}
	return n
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}

// benchRepo is one Environment and n Models spread over seven namespaces,
// varied in GPU and capacity, as in render's benchmark. Each Environment
// has its own ingress gateway namespace (<env>-istio), so the gitplane and
// kubectl runs do not share the Istio Gateway.
func benchRepo(env string, n int) fstest.MapFS {
	fsys := fstest.MapFS{"env.yaml": {Data: fmt.Appendf(nil, envSpec+"  istio: {ingressGatewayNamespace: %s-istio}\n", env, env, env)}}
	gpus := []string{"16G", "24Gi", "48G", "40G"}
	caps := []string{"spot", "on-demand", "spot-with-fallback"}
	for i := range n {
		fsys[fmt.Sprintf("models/m%04d.yaml", i)] = &fstest.MapFile{Data: fmt.Appendf(nil, benchModel, i, env, i%7, gpus[i%len(gpus)], caps[i%len(caps)], i)}
	}
	return fsys
}

const benchModel = `apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: model-%04d, namespace: %s-team-%d}
spec:
  image: registry.example.com/server:v1
  resources: {gpu: {memory: %s}, cpu: "2", memory: 8Gi}
  capacity: %s
  replicas: {min: 1, max: 3}
  iam: {roleArn: "arn:aws:iam::111122223333:role/model-%04d"}
  expose: {host: m, path: /}
`
