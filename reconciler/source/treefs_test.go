package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/gitplane/gitplane/render"
)

// treeOf commits files to a fresh repository served from disk and returns
// the commit's tree.
func treeOf(t *testing.T, files map[string]string, setup func(dir string)) fs.FS {
	t.Helper()
	bare := filepath.Join(t.TempDir(), "specs.git")
	gitCmd(t, t.TempDir(), "init", "--bare", "-b", "main", bare)
	wt := newWorkTree(t, bare)
	if setup != nil {
		setup(wt.dir)
	}
	sha := wt.commit("tree", files)
	wt.push("refs/heads/main")
	tree, err := open(t, Options{URL: bare}).Tree(sha)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func symlinks(links map[string]string) func(string) {
	return func(dir string) {
		for name, target := range links {
			p := filepath.Join(dir, name)
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.Symlink(target, p); err != nil {
				panic(err)
			}
		}
	}
}

// TestTreeFSConformance runs the standard library's io/fs checks.
func TestTreeFSConformance(t *testing.T) {
	tree := treeOf(t, map[string]string{
		"a/x":                 "x\n",
		"a.b":                 "ab\n",
		"dir/sub/deep.yaml":   "deep: true\n",
		"dir/empty-ish/.keep": "k",
	}, symlinks(map[string]string{"link": "a/x", "dir/up": "../a"}))
	if err := fstest.TestFS(tree, "a/x", "a.b", "dir/sub/deep.yaml", "dir/empty-ish/.keep", "link", "dir/up"); err != nil {
		t.Fatal(err)
	}
}

// TestTreeFSSemantics checks the os.DirFS-like behaviour gitplane relies on.
func TestTreeFSSemantics(t *testing.T) {
	tree := treeOf(t, map[string]string{"a/x": "x\n", "a.b": "ab\n", "run.sh": "#!/bin/sh\n"},
		symlinks(map[string]string{"link": "a/x", "escape": "../outside", "abs": "/etc/passwd", "loop": "loop", "d/up": "../a"}))
	entries, err := fs.ReadDir(tree, ".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// git orders trees as if directories ended in "/": a.b before a.
	if want := []string{"a", "a.b", "abs", "d", "escape", "link", "loop", "run.sh"}; !slices.Equal(names, want) {
		t.Errorf("ReadDir(.) = %v, want %v", names, want)
	}
	for _, tc := range []struct {
		op, name string
		want     string
		err      error // nil: success; fs.ErrInvalid etc. checked with errors.Is
	}{
		{"read", "a/x", "x\n", nil},
		{"read", "link", "x\n", nil},
		{"read", "d/up/x", "x\n", nil},
		{"read", "a", "", errAny},
		{"read", "missing", "", fs.ErrNotExist},
		{"read", "a/x/y", "", errAny},
		{"read", "../a/x", "", fs.ErrInvalid},
		{"read", "/a/x", "", fs.ErrInvalid},
		{"read", "escape", "", errAny},
		{"read", "abs", "", errAny},
		{"read", "loop", "", errAny},
		{"readlink", "link", "a/x", nil},
		{"readlink", "a/x", "", fs.ErrInvalid},
	} {
		t.Run(tc.op+" "+tc.name, func(t *testing.T) {
			var got string
			var err error
			if tc.op == "read" {
				var data []byte
				data, err = fs.ReadFile(tree, tc.name)
				got = string(data)
			} else {
				got, err = fs.ReadLink(tree, tc.name)
			}
			switch {
			case tc.err == nil && err != nil:
				t.Fatalf("error %v", err)
			case tc.err == nil && got != tc.want:
				t.Fatalf("got %q, want %q", got, tc.want)
			case tc.err != nil && err == nil:
				t.Fatalf("got %q, want an error", got)
			case tc.err != nil && tc.err != errAny && !errors.Is(err, tc.err):
				t.Fatalf("error %v, want %v", err, tc.err)
			}
		})
	}
	if fi, err := fs.Lstat(tree, "link"); err != nil || fi.Mode().Type() != fs.ModeSymlink {
		t.Errorf("Lstat(link) = %v, %v; want a symbolic link", fi, err)
	}
	if fi, err := fs.Stat(tree, "link"); err != nil || !fi.Mode().IsRegular() || fi.Size() != 2 {
		t.Errorf("Stat(link) = %v, %v; want the 2-byte file it points to", fi, err)
	}
}

var errAny = errors.New("any error")

// TestTreeRendersLikeDirFS renders the example specs from a commit and from
// disk: the objects must be identical.
func TestTreeRendersLikeDirFS(t *testing.T) {
	specs, err := filepath.Abs("../../examples/specs")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	err = filepath.WalkDir(specs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(specs, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tree := treeOf(t, files, nil)
	for _, env := range []string{"prod", "staging"} {
		t.Run(env, func(t *testing.T) {
			fromGit, err := render.Render(context.Background(), tree, env)
			if err != nil {
				t.Fatalf("rendering from git: %v", err)
			}
			fromDisk, err := render.Render(context.Background(), os.DirFS(specs), env)
			if err != nil {
				t.Fatalf("rendering from disk: %v", err)
			}
			if len(fromGit.Objects) == 0 || !reflect.DeepEqual(fromGit.Objects, fromDisk.Objects) {
				t.Fatalf("git tree rendered %d objects, disk %d; they differ", len(fromGit.Objects), len(fromDisk.Objects))
			}
		})
	}
}
