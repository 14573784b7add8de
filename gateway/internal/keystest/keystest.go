// Package keystest writes API keys the way the kubelet mounts a Secret.
package keystest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Dir is a mounted-Secret directory: the data in a timestamped directory,
// ..data a symlink to it, and one symlink per key into ..data. Write makes
// a new timestamped directory and renames a fresh symlink over ..data, as
// the kubelet's atomic writer does.
type Dir struct {
	t    testing.TB
	Path string
	gen  int
}

// New returns an empty Dir in a temporary directory.
func New(t testing.TB) *Dir { return &Dir{t: t, Path: t.TempDir()} }

// Write replaces the keys: caller name → key.
func (d *Dir) Write(keys map[string]string) {
	t := d.t
	t.Helper()
	d.gen++
	ts := fmt.Sprintf("..2025_01_01_00_00_%02d.%d", d.gen%60, d.gen)
	must(t, os.Mkdir(filepath.Join(d.Path, ts), 0o755))
	for name, key := range keys {
		must(t, os.WriteFile(filepath.Join(d.Path, ts, name), []byte(key+"\n"), 0o644))
	}
	tmp := filepath.Join(d.Path, "..data_tmp")
	must(t, os.Symlink(ts, tmp))
	must(t, os.Rename(tmp, filepath.Join(d.Path, "..data")))
	entries, err := os.ReadDir(d.Path)
	must(t, err)
	for _, e := range entries {
		if n := e.Name(); !strings.HasPrefix(n, ".") {
			if _, ok := keys[n]; !ok {
				must(t, os.Remove(filepath.Join(d.Path, n)))
			}
		}
	}
	for name := range keys {
		link := filepath.Join(d.Path, name)
		if _, err := os.Lstat(link); err != nil {
			must(t, os.Symlink(filepath.Join("..data", name), link))
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
