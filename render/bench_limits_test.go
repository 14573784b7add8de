package render_test

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gitplane/gitplane/render"
)

// BenchmarkValidateUntrusted runs `gitplane validate` in a fresh process
// on repositories made to exhaust it, which it refuses, and on the largest
// repository of the benchmarks, which it accepts: wall time and peak RSS.
func BenchmarkValidateUntrusted(b *testing.B) {
	examples := examplesFS(b)
	bomb := cloneFS(examples)
	bomb["overlays/prod/lol.txt"] = &fstest.MapFile{Data: []byte(render.BillionLaughs)}
	bomb["overlays/prod/kustomization.yaml"] = &fstest.MapFile{Data: []byte("resources: [lol.txt]\n")}
	big := cloneFS(examples)
	big["models/big.yaml"] = &fstest.MapFile{Data: []byte("# " + strings.Repeat("x", 50<<20) + "\n")}
	cases := []struct {
		name string
		fsys fstest.MapFS
		code int // the exit code validate must give
	}{
		{"billion-laughs-overlay", bomb, 1},
		{"50MB-spec-file", big, 1},
		{"models=1000", generatedRepo(1000), 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			for name, f := range c.fsys {
				writeFile(b, filepath.Join(dir, name), f.Data)
			}
			var r run
			for b.Loop() {
				r = measureExit(b, exec.Command(gitplaneBinary(b), "validate", dir), c.code)
			}
			b.ReportMetric(r.wall.Seconds(), "cli-s")
			b.ReportMetric(r.rssMiB, "cli-peak-RSS-MiB")
			b.Logf("gitplane validate %s: exit %d in %v (CPU %v), peak RSS %.0f MiB", c.name, c.code,
				r.wall.Round(time.Millisecond), r.cpu.Round(time.Millisecond), r.rssMiB)
		})
	}
}

// examplesFS is examples/specs in memory.
func examplesFS(tb testing.TB) fstest.MapFS {
	tb.Helper()
	out := fstest.MapFS{}
	src := os.DirFS("../examples/specs")
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, p)
		out[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		tb.Fatal(fmt.Errorf("reading the examples: %w", err))
	}
	return out
}

func cloneFS(in fstest.MapFS) fstest.MapFS {
	out := make(fstest.MapFS, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}
