package render_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

func renderFS(b *testing.B, l *schema.Loader, r *render.Renderer, fsys fs.FS) *render.Result {
	repo, err := l.Load(fsys)
	if err != nil {
		b.Fatal(err)
	}
	res, err := r.Render(context.Background(), repo, fsys, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkRender renders n generated Models with a cold cache, in this
// process (the Go benchmark's figure) and with `gitplane render` in a
// fresh process (time and peak RSS of what a user runs), and compares with
// `kubectl kustomize` on a hand-written tree of the same objects.
func BenchmarkRender(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			fsys := generatedRepo(n)
			var res *render.Result
			start, cpu0 := time.Now(), cpuTime()
			for b.Loop() {
				res = renderFS(b, schema.NewLoader(), render.NewRenderer(), fsys)
			}
			perOp := time.Since(start) / time.Duration(b.N)
			cpuPerOp := (cpuTime() - cpu0) / time.Duration(b.N)
			b.ReportMetric(float64(len(res.Objects)), "objects")
			b.ReportMetric(perOp.Seconds(), "render-s")
			b.ReportMetric(cpuPerOp.Seconds(), "cpu-s")
			line := fmt.Sprintf("%d Models, %d objects: in process %v (CPU %v)", n, len(res.Objects),
				perOp.Round(time.Millisecond), cpuPerOp.Round(time.Millisecond))
			cli := gitplaneRender(b, fsys)
			b.ReportMetric(cli.wall.Seconds(), "cli-s")
			b.ReportMetric(cli.rssMiB, "cli-peak-RSS-MiB")
			line += fmt.Sprintf("; gitplane render %v (CPU %v), peak RSS %.0f MiB", cli.wall.Round(time.Millisecond),
				cli.cpu.Round(time.Millisecond), cli.rssMiB)
			kubectl, ok := kubectlKustomize(b, res)
			if !ok {
				b.Log(line)
				return
			}
			ratio := float64(kubectl.wall) / float64(cli.wall)
			b.ReportMetric(kubectl.wall.Seconds(), "kubectl-kustomize-s")
			b.ReportMetric(kubectl.rssMiB, "kubectl-peak-RSS-MiB")
			b.ReportMetric(ratio, "speedup-x")
			b.Logf("%s; kubectl kustomize %v, peak RSS %.0f MiB; gitplane render is %.1fx faster", line,
				kubectl.wall.Round(time.Millisecond), kubectl.rssMiB, ratio)
		})
	}
}

// run is what one command took.
type run struct {
	wall, cpu time.Duration
	rssMiB    float64 // peak resident set size
}

// measure runs cmd with its output discarded.
func measure(b *testing.B, cmd *exec.Cmd) run {
	b.Helper()
	return measureExit(b, cmd, 0)
}

// measureExit runs cmd, which must exit with code, with its output
// discarded. The peak RSS is GNU time's when /usr/bin/time is there: the
// child's own rusage is no good, since Linux carries the parent's peak
// over into a vforked child's exec (os/exec uses vfork), so it reports at
// least this test process's peak RSS.
func measureExit(b *testing.B, cmd *exec.Cmd, code int) run {
	b.Helper()
	rssFile := ""
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		rssFile = filepath.Join(b.TempDir(), "rss")
		cmd.Args = append([]string{"/usr/bin/time", "-f", "%M", "-o", rssFile}, cmd.Args...)
		cmd.Path = "/usr/bin/time"
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != code {
		b.Fatalf("%s: exit %d, want %d (%v)\n%s", strings.Join(cmd.Args, " "), got, code, err, stderr.String()[:min(stderr.Len(), 2000)])
	}
	r := run{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.rssMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	if rssFile != "" {
		data, err := os.ReadFile(rssFile)
		if err != nil {
			b.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n") // a non-zero exit adds a line
		kib, err := strconv.ParseFloat(lines[len(lines)-1], 64)
		if err != nil {
			b.Fatalf("reading the peak RSS from /usr/bin/time: %v", err)
		}
		r.rssMiB = kib / 1024
	}
	return r
}

// gitplaneRender writes the repository to disk and runs `gitplane render`
// on it: $GITPLANE_BIN (make bench builds it), else a build of ./cmd/gitplane.
func gitplaneRender(b *testing.B, fsys fstest.MapFS) run {
	b.Helper()
	dir := b.TempDir()
	for name, f := range fsys {
		writeFile(b, filepath.Join(dir, name), f.Data)
	}
	return measure(b, exec.Command(gitplaneBinary(b), "render", dir, "--env", "bench"))
}

var built struct {
	once sync.Once
	path string
	err  error
}

func gitplaneBinary(b *testing.B) string {
	if p := os.Getenv("GITPLANE_BIN"); p != "" {
		return p
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "gitplane-bench")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "gitplane")
		cmd := exec.Command("go", "build", "-o", built.path, "github.com/gitplane/gitplane/cmd/gitplane")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("building gitplane: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		b.Fatal(built.err)
	}
	return built.path
}

// BenchmarkReRender changes one spec of a 1000-Model repository on disk and
// loads and renders it again with a warm Loader and Renderer.
func BenchmarkReRender(b *testing.B) {
	dir := b.TempDir()
	for name, f := range generatedRepo(1000) {
		writeFile(b, filepath.Join(dir, name), f.Data)
	}
	fsys := os.DirFS(dir)
	l, r := schema.NewLoader(), render.NewRenderer()
	renderFS(b, l, r, fsys)
	changed := filepath.Join(dir, "models/m0042.yaml")
	spec, err := os.ReadFile(changed)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		b.StopTimer() // the edit is not gitplane's work
		writeFile(b, changed, []byte(strings.Replace(string(spec), "server:v", "server:v"+strconv.Itoa(i), 1)))
		b.StartTimer()
		renderFS(b, l, r, fsys)
	}
}

func writeFile(b *testing.B, name string, data []byte) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		b.Fatal(err)
	}
}

// kubectlKustomize writes the rendered objects as a hand-written kustomize
// tree (one file per object, the same labels transformer) and runs
// `kubectl kustomize` on it. ok is false when kubectl is not installed or
// GITPLANE_BENCH_SKIP_KUBECTL is set (the 1000-object anchor takes minutes).
func kubectlKustomize(b *testing.B, res *render.Result) (r run, ok bool) {
	if os.Getenv("GITPLANE_BENCH_SKIP_KUBECTL") != "" {
		b.Log("GITPLANE_BENCH_SKIP_KUBECTL is set: no kubectl anchor")
		return run{}, false
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		b.Log("kubectl not found: no anchor")
		return run{}, false
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
	return measure(b, exec.Command(kubectl, "kustomize", dir)), true
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
