package source

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestParent: a commit's first parent is the one it was made on top of
// (for a merge, the branch merged into); a root commit has none.
func TestParent(t *testing.T) {
	bare := filepath.Join(t.TempDir(), "specs.git")
	gitCmd(t, t.TempDir(), "init", "--bare", "-b", "main", bare)
	wt := newWorkTree(t, bare)
	root := wt.commit("root", map[string]string{"a.yaml": "a\n"})
	onMain := wt.commit("on main", map[string]string{"b.yaml": "b\n"})
	gitCmd(t, wt.dir, "checkout", "-q", "-b", "feature", root)
	feature := wt.commit("feature", map[string]string{"c.yaml": "c\n"})
	gitCmd(t, wt.dir, "checkout", "-q", "main")
	gitCmd(t, wt.dir, "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
	merge := strings.TrimSpace(gitCmd(t, wt.dir, "rev-parse", "HEAD"))
	wt.push("refs/heads/main")
	wt.push("refs/heads/feature")
	r := open(t, Options{URL: "file://" + bare})
	for _, tt := range []struct{ name, sha, want string }{
		{"root commit", root, ""},
		{"commit on top of the root", onMain, root},
		{"branch commit", feature, root},
		{"merge: the branch merged into", merge, onMain},
	} {
		got, err := r.Parent(tt.sha)
		if err != nil || got != tt.want {
			t.Errorf("%s: Parent = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := r.Parent("0123456789012345678901234567890123456789"); err == nil {
		t.Error("Parent of a missing commit succeeded")
	}
}
