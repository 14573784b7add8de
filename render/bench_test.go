package render_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

var benchSizes = []int{100, 300, 1000}

// generatedRepo is one Environment and n Models, varied in GPU and capacity.
func generatedRepo(n int) fstest.MapFS {
	fsys := fstest.MapFS{"env.yaml": {Data: []byte(envYAMLForBench)}}
	gpus := []string{"16G", "24Gi", "48G", "40G"}
	caps := []string{"spot", "on-demand", "spot-with-fallback"}
	for i := range n {
		spec := fmt.Sprintf(modelYAMLForBench, i, i%7, gpus[i%len(gpus)], caps[i%len(caps)], i)
		fsys[fmt.Sprintf("models/m%04d.yaml", i)] = &fstest.MapFile{Data: []byte(spec)}
	}
	return fsys
}

const envYAMLForBench = `apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata: {name: bench}
spec:
  cluster: {name: bench, region: us-east-1, accountId: "111122223333", oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/X"}
  ingress: {certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/x", domain: bench.example.com}
  nodes: {role: NodeRole, subnetSelector: {a: b}, securityGroupSelector: {a: b}}
`

const modelYAMLForBench = `apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: model-%04d, namespace: team-%d}
spec:
  image: registry.example.com/server:v1
  resources: {gpu: {memory: %s}, cpu: "2", memory: 8Gi}
  capacity: %s
  replicas: {min: 1, max: 3}
  iam: {roleArn: "arn:aws:iam::111122223333:role/model-%04d"}
  expose: {host: m, path: /}
`

func renderFS(b *testing.B, r *render.Renderer, fsys fstest.MapFS) *render.Result {
	repo, err := schema.Load(fsys)
	if err != nil {
		b.Fatal(err)
	}
	res, err := r.Render(context.Background(), repo, fsys, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkRender renders n generated Models with a cold cache and compares
// with `kubectl kustomize` on a hand-written tree of the same objects.
func BenchmarkRender(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			fsys := generatedRepo(n)
			var res *render.Result
			start := time.Now()
			for b.Loop() {
				res = renderFS(b, render.NewRenderer(), fsys)
			}
			perOp := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(len(res.Objects)), "objects")
			b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
			if kubectl := kubectlKustomize(b, res); kubectl > 0 {
				b.ReportMetric(kubectl.Seconds(), "kubectl-kustomize-s")
				b.ReportMetric(float64(kubectl)/float64(perOp), "speedup-x")
			}
		})
	}
}

// BenchmarkReRender changes one spec of a 1000-Model repository and renders
// again with a warm cache.
func BenchmarkReRender(b *testing.B) {
	fsys := generatedRepo(1000)
	r := render.NewRenderer()
	renderFS(b, r, fsys)
	i := 0
	for b.Loop() {
		i++
		f := fsys["models/m0042.yaml"]
		fsys["models/m0042.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), "server:v", "server:v"+strconv.Itoa(i), 1))}
		renderFS(b, r, fsys)
	}
}

// kubectlKustomize writes the rendered objects as a hand-written kustomize
// tree (one file per object, the same labels transformer) and times
// `kubectl kustomize` on it. It returns 0 when kubectl is not installed.
func kubectlKustomize(b *testing.B, res *render.Result) time.Duration {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		b.Log("kubectl not found: no anchor")
		return 0
	}
	dir := b.TempDir()
	var files []string
	for i, o := range res.Objects {
		data, err := render.YAML(res.Objects[i : i+1])
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("%05d-%s.yaml", i, strings.ToLower(o.GetKind()))
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
		files = append(files, name)
	}
	kust := "resources:\n- " + strings.Join(files, "\n- ") +
		"\nlabels:\n- pairs: {app.kubernetes.io/managed-by: gitplane, gitplane.dev/environment: bench}\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kust), 0o644); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if out, err := exec.Command(kubectl, "kustomize", dir).CombinedOutput(); err != nil {
		b.Fatalf("kubectl kustomize: %v\n%s", err, out[:min(len(out), 2000)])
	}
	return time.Since(start)
}

// peakRSSMiB is the process's peak resident set size (VmHWM), in MiB.
func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.Sys) / (1 << 20)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
