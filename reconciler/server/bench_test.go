package server_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkPushToStatus measures, in a repository of 1000 Models, the
// latency from a signed push webhook to the commit's success status for a
// change of one Model (no rollout wait: the local control plane has no
// kubelet). It reports p50 and p95 over 20 pushes.
func BenchmarkPushToStatus(b *testing.B) {
	for b.Loop() {
		benchPushToStatus(b)
	}
}

func benchPushToStatus(b *testing.B) {
	g := newGitRepo(b)
	writeModels(b, g.work, 1000, g.env, g.ns("bench"))
	first := g.commit("1000 models")
	debug := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := startLoop(b, g, loopOptions{poll: "off", webhook: true, settle: -1, logger: debug})
	start := time.Now()
	l.waitStatus(first, 20*time.Minute)
	b.Logf("initial sync of 1000 Models: %v", time.Since(start).Round(time.Millisecond))

	var lat []time.Duration
	for i := range 20 {
		g.edit("models/bench/m0042.yaml", "server:", fmt.Sprintf("server:p%02d-", i))
		sha := g.commit(fmt.Sprintf("push %d", i))
		start := time.Now()
		l.deliver("push", fmt.Sprintf("bench-%d", i), pushPayload(sha), secret)
		sts := l.waitStatus(sha, time.Minute)
		lat = append(lat, time.Since(start))
		if sts[len(sts)-1].State != "success" {
			b.Fatalf("push %d: %+v", i, sts)
		}
	}
	slices.Sort(lat)
	p50, p95 := lat[len(lat)/2], lat[len(lat)*95/100]
	b.ReportMetric(p50.Seconds(), "p50-s")
	b.ReportMetric(p95.Seconds(), "p95-s")
	b.Logf("push → applied → success status, one Model changed of 1000: p50 %v, p95 %v (target p50 ≤ 1s)", p50.Round(time.Millisecond), p95.Round(time.Millisecond))
}

// writeModels adds n Models of Environment env to the example specs, in
// namespace ns.
func writeModels(b testing.TB, dir string, n int, env, ns string) {
	b.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "models", "bench"), 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		spec := strings.NewReplacer("NNNN", fmt.Sprintf("%04d", i), "ENV", env, "NAMESPACE", ns).Replace(benchModel)
		if err := os.WriteFile(filepath.Join(dir, "models", "bench", fmt.Sprintf("m%04d.yaml", i)), []byte(spec), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

const benchModel = `apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: m-NNNN, namespace: NAMESPACE}
spec:
  image: registry.example.com/server:v1
  resources: {gpu: {memory: 24Gi}, cpu: "2", memory: 8Gi}
  replicas: {min: 1, max: 2}
  iam: {roleArn: "arn:aws:iam::111122223333:role/m-NNNN"}
  environments: [ENV]
`
