package preview

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// exampleSpecs reads examples/specs into memory.
func exampleSpecs(t *testing.T) fstest.MapFS {
	t.Helper()
	return readSpecs(t, filepath.Join("..", "..", "examples", "specs"))
}

// readSpecs reads the spec files under dir into memory.
func readSpecs(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	src := os.DirFS(dir)
	out := fstest.MapFS{}
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, p)
		out[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// edit returns a copy of fsys with file's old text replaced by new (which
// must be there); an empty new with an empty old deletes the file.
type edit struct{ file, old, new string }

func apply(t *testing.T, fsys fstest.MapFS, edits ...edit) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	for k, v := range fsys {
		out[k] = &fstest.MapFile{Data: bytes.Clone(v.Data)}
	}
	for _, e := range edits {
		switch f, ok := out[e.file]; {
		case e.old == "" && e.new == "":
			delete(out, e.file)
		case !ok:
			out[e.file] = &fstest.MapFile{Data: []byte(e.new)}
		case e.old == "":
			f.Data = []byte(e.new)
		default:
			if !bytes.Contains(f.Data, []byte(e.old)) {
				t.Fatalf("%s does not contain %q", e.file, e.old)
			}
			f.Data = bytes.Replace(f.Data, []byte(e.old), []byte(e.new), 1)
		}
	}
	return out
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", path, firstDifference(string(want), got))
	}
}

// firstDifference shows the lines around the first line that differs.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(equal)"
}

func itoa(i int) string { return strconv.Itoa(i) }
