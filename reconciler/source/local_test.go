package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func openLocal(t *testing.T, path string) *Repo {
	t.Helper()
	r, err := OpenLocal(path)
	if err != nil {
		t.Fatalf("OpenLocal(%s): %v", path, err)
	}
	return r
}

// TestOpenLocalResolvesRevisions reads an existing repository as git
// does: HEAD, ancestry, tags, abbreviated SHAs and branches resolve; trees
// are the commits', not the work tree's uncommitted changes; Fetch sees
// new commits.
func TestOpenLocalResolvesRevisions(t *testing.T) {
	wt := newWorkTree(t, "")
	c1 := wt.commit("first", map[string]string{"models/a.yaml": "a: 1\n"})
	gitCmd(t, wt.dir, "tag", "v1")
	c2 := wt.commit("second", map[string]string{"models/a.yaml": "a: 2\n", "models/b.yaml": "b: 1\n"})
	if err := os.WriteFile(filepath.Join(wt.dir, "models", "a.yaml"), []byte("a: uncommitted\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := openLocal(t, wt.dir)
	for rev, want := range map[string]string{"HEAD": c2, "main": c2, "main~1": c1, "HEAD^": c1, "v1": c1, c1[:8]: c1, c2: c2} {
		if got := mustResolve(t, r, rev); got != want {
			t.Errorf("Resolve(%q) = %s, want %s", rev, got, want)
		}
	}
	for _, rev := range []string{"", "nope", "main~5"} {
		if sha, err := r.Resolve(rev); err == nil || !strings.Contains(err.Error(), "resolving") {
			t.Errorf("Resolve(%q) = %s, %v; want a resolving error", rev, sha, err)
		}
	}
	if got := readFile(t, r, c2, "models/a.yaml"); got != "a: 2\n" {
		t.Errorf("models/a.yaml at HEAD = %q, want the committed content", got)
	}
	if refs := r.Refs(); len(refs) != 1 || refs["main"] != c2 {
		t.Errorf("Refs() = %v, want main at %s", refs, c2)
	}
	if changed, err := r.ChangedFiles(c1, c2); err != nil || !slices.Equal(changed, []string{"models/a.yaml", "models/b.yaml"}) {
		t.Errorf("ChangedFiles(c1, c2) = %v, %v", changed, err)
	}
	c3 := wt.commit("third", map[string]string{"models/b.yaml": "b: 2\n"})
	moved, err := r.FetchChanges(context.Background())
	if want := (Move{Ref: "main", From: c2, To: c3}); err != nil || len(moved) != 1 || moved[0] != want {
		t.Errorf("FetchChanges after a commit = %v, %v; want %v", moved, err, want)
	}
	if got := mustResolve(t, r, "HEAD"); got != c3 {
		t.Errorf("HEAD after Fetch = %s, want %s", got, c3)
	}
}

// TestOpenLocalFolder roots Tree and ChangedFiles at the folder given:
// files outside it are neither read nor listed, and a commit without the
// folder says so with ErrNoFolder (a base before the specs moved in).
func TestOpenLocalFolder(t *testing.T) {
	wt := newWorkTree(t, "")
	c1 := wt.commit("before the specs", map[string]string{"README.md": "hi\n"})
	c2 := wt.commit("specs", map[string]string{"specs/models/a.yaml": "a: 1\n", "specs/env.yaml": "e: 1\n", "other.yaml": "o: 1\n"})
	c3 := wt.commit("change", map[string]string{"specs/models/a.yaml": "a: 2\n", "other.yaml": "o: 2\n", "README.md": "hello\n"})
	for _, path := range []string{filepath.Join(wt.dir, "specs"), filepath.Join(wt.dir, "specs", "models", "..")} {
		r := openLocal(t, path)
		if r.Folder() != "specs" {
			t.Fatalf("Folder() of %s = %q, want specs", path, r.Folder())
		}
		tree, err := r.Tree(c3)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := fs.ReadFile(tree, "models/a.yaml"); err != nil || string(got) != "a: 2\n" {
			t.Errorf("models/a.yaml in the folder at c3 = %q, %v", got, err)
		}
		if _, err := fs.Stat(tree, "other.yaml"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a file outside the folder is in its tree: %v", err)
		}
		if changed, err := r.ChangedFiles(c2, c3); err != nil || !slices.Equal(changed, []string{"models/a.yaml"}) {
			t.Errorf("ChangedFiles(c2, c3) = %v, %v; want only the folder's file, relative to it", changed, err)
		}
		if changed, err := r.ChangedFiles(c1, c3); err != nil || !slices.Equal(changed, []string{"env.yaml", "models/a.yaml"}) {
			t.Errorf("ChangedFiles from a commit without the folder = %v, %v; want every file of the folder", changed, err)
		}
		if _, err := r.Tree(c1); !errors.Is(err, ErrNoFolder) {
			t.Errorf("Tree of a commit without the folder: %v, want ErrNoFolder", err)
		}
	}
	if root := openLocal(t, wt.dir); root.Folder() != "" {
		t.Errorf("Folder() of the work tree's root = %q", root.Folder())
	}
}

// TestOpenLocalKinds opens a bare repository and a linked work tree (git
// worktree add, whose .git is a file and whose objects and branches live
// in the main repository), and refuses a folder outside any repository.
func TestOpenLocalKinds(t *testing.T) {
	wt := newWorkTree(t, "")
	c1 := wt.commit("first", map[string]string{"a.yaml": "a: 1\n"})
	linked := filepath.Join(t.TempDir(), "linked")
	gitCmd(t, wt.dir, "worktree", "add", "-q", "-b", "feature", linked)
	if err := os.WriteFile(filepath.Join(linked, "a.yaml"), []byte("a: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitCmd(t, linked, "commit", "-q", "-am", "on feature")
	c2 := strings.TrimSpace(gitCmd(t, linked, "rev-parse", "HEAD"))
	bare := filepath.Join(t.TempDir(), "bare.git")
	gitCmd(t, wt.dir, "clone", "-q", "--bare", wt.dir, bare)

	for _, tc := range []struct {
		name, path string
		want       map[string]string
	}{
		{"linked work tree", linked, map[string]string{"HEAD": c2, "main": c1, "feature": c2}},
		{"bare repository", bare, map[string]string{"HEAD": c1, "main": c1, "feature~1": c1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := openLocal(t, tc.path)
			for rev, want := range tc.want {
				if got := mustResolve(t, r, rev); got != want {
					t.Errorf("Resolve(%q) = %s, want %s", rev, got, want)
				}
			}
			if got := readFile(t, r, mustResolve(t, r, "main"), "a.yaml"); got != "a: 1\n" {
				t.Errorf("a.yaml at main = %q", got)
			}
		})
	}
	if _, err := OpenLocal(t.TempDir()); err == nil || !strings.Contains(err.Error(), "opening Git repository") {
		t.Errorf("OpenLocal of a folder in no repository: %v", err)
	}
}
