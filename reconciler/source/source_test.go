package source

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func open(t *testing.T, opts Options) *Repo {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = filepath.Join(t.TempDir(), "git")
	}
	opts.Logger = testLogger(t)
	r, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", opts.URL, err)
	}
	return r
}

func mustResolve(t *testing.T, r *Repo, ref string) string {
	t.Helper()
	sha, err := r.Resolve(ref)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", ref, err)
	}
	return sha
}

func readFile(t *testing.T, r *Repo, sha, name string) string {
	t.Helper()
	tree, err := r.Tree(sha)
	if err != nil {
		t.Fatalf("Tree(%s): %v", sha, err)
	}
	data, err := fs.ReadFile(tree, name)
	if err != nil {
		t.Fatalf("reading %s at %s: %v", name, sha, err)
	}
	return string(data)
}

// TestFetchOverSmartHTTP clones over git's smart HTTP protocol, then sees new
// branch commits, new branches and pull-request heads after a Fetch.
func TestFetchOverSmartHTTP(t *testing.T) {
	srv := newGitServer(t)
	wt := newWorkTree(t, srv.bare)
	c1 := wt.commit("first", map[string]string{"models/a.yaml": "a: 1\n", "README.md": "hi\n"})
	wt.push("refs/heads/main")

	r := open(t, Options{URL: srv.URL()})
	if got := mustResolve(t, r, "main"); got != c1 {
		t.Fatalf("main after clone = %s, want %s", got, c1)
	}

	c2 := wt.commit("second", map[string]string{"models/a.yaml": "a: 2\n", "models/b.yaml": "b: 1\n", "README.md": ""})
	wt.push("refs/heads/main")
	wt.push("refs/heads/staging")
	c3 := wt.commit("pr", map[string]string{"models/c.yaml": "c: 1\n"})
	wt.push("refs/pull/7/head")
	if err := r.Fetch(context.Background()); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for ref, want := range map[string]string{"main": c2, "staging": c2, "pr/7": c3, c1: c1, c3[:10]: c3} {
		if got := mustResolve(t, r, ref); got != want {
			t.Errorf("Resolve(%q) = %s, want %s", ref, got, want)
		}
	}
	if got := readFile(t, r, c2, "models/a.yaml"); got != "a: 2\n" {
		t.Errorf("models/a.yaml at main = %q", got)
	}
	changed, err := r.ChangedFiles(c1, c2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"README.md", "models/a.yaml", "models/b.yaml"}; !slices.Equal(changed, want) {
		t.Errorf("ChangedFiles(c1, c2) = %v, want %v", changed, want)
	}
	if all, err := r.ChangedFiles("", c3); err != nil || !slices.Equal(all, []string{"models/a.yaml", "models/b.yaml", "models/c.yaml"}) {
		t.Errorf("ChangedFiles(\"\", c3) = %v, %v; want every file of c3", all, err)
	}
	if moved, err := r.FetchChanges(context.Background()); err != nil || len(moved) != 0 {
		t.Errorf("FetchChanges when up to date = %v, %v; want nothing moved", moved, err)
	}
	gitCmd(t, wt.dir, "push", "-q", srv.bare, ":refs/heads/staging")
	moved, err := r.FetchChanges(context.Background())
	if want := (Move{Ref: "staging", From: c2}); err != nil || len(moved) != 1 || moved[0] != want {
		t.Errorf("FetchChanges after deleting staging = %v, %v; want %v", moved, err, want)
	}
	if sha, err := r.Resolve("staging"); err == nil {
		t.Errorf("deleted branch staging still resolves to %s", sha)
	}
	if got := mustResolve(t, r, "pr/7"); got != c3 {
		t.Errorf("pr/7 after pruning = %s, want %s", got, c3)
	}
}

// TestFetchFailureKeepsLastGoodState stops the git server: Fetch fails
// clearly, the last fetched commits stay readable, and the next Fetch after
// the server returns catches up.
func TestFetchFailureKeepsLastGoodState(t *testing.T) {
	srv := newGitServer(t)
	wt := newWorkTree(t, srv.bare)
	c1 := wt.commit("first", map[string]string{"env.yaml": "v: 1\n"})
	wt.push("refs/heads/main")
	r := open(t, Options{URL: srv.URL()})

	srv.stop()
	c2 := wt.commit("second", map[string]string{"env.yaml": "v: 2\n"})
	wt.push("refs/heads/main")
	err := r.Fetch(context.Background())
	if err == nil {
		t.Fatal("Fetch with the git server stopped succeeded")
	}
	if !strings.Contains(err.Error(), srv.addr) {
		t.Errorf("Fetch error %q does not name the server %s", err, srv.addr)
	}
	if st := r.Status(); st.Err == nil || !st.LastSuccess.Before(st.LastAttempt) {
		t.Errorf("Status after failed fetch = %+v, want the error and an older success", st)
	}
	if got := mustResolve(t, r, "main"); got != c1 {
		t.Errorf("main while the server is down = %s, want last good %s", got, c1)
	}
	if got := readFile(t, r, c1, "env.yaml"); got != "v: 1\n" {
		t.Errorf("env.yaml at last good commit = %q", got)
	}

	srv.restart()
	if err := r.Fetch(context.Background()); err != nil {
		t.Fatalf("Fetch after the server returned: %v", err)
	}
	if got := mustResolve(t, r, "main"); got != c2 {
		t.Errorf("main after recovery = %s, want %s", got, c2)
	}
	if st := r.Status(); st.Err != nil {
		t.Errorf("Status after recovery has error %v", st.Err)
	}
}

// TestOpenReusesDataDir: a second Open of the same data dir works from the
// refs it holds even when the server is down; an empty dir cannot.
func TestOpenReusesDataDir(t *testing.T) {
	srv := newGitServer(t)
	wt := newWorkTree(t, srv.bare)
	c1 := wt.commit("first", map[string]string{"x.yaml": "x\n"})
	wt.push("refs/heads/main")
	dir := filepath.Join(t.TempDir(), "git")
	open(t, Options{URL: srv.URL(), Dir: dir})
	srv.stop()

	r, err := Open(context.Background(), Options{URL: srv.URL(), Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("reopening a fetched data dir with the server down: %v", err)
	}
	if r.Status().Err == nil {
		t.Error("Status does not report the failed fetch")
	}
	if got := mustResolve(t, r, "main"); got != c1 {
		t.Errorf("main from the data dir = %s, want %s", got, c1)
	}
	if _, err := Open(context.Background(), Options{URL: srv.URL(), Dir: t.TempDir()}); err == nil {
		t.Error("Open of an empty data dir with the server down succeeded")
	}
	other := "http://" + srv.addr + "/other.git"
	if r, err := Open(context.Background(), Options{URL: other, Dir: dir, Logger: testLogger(t)}); err == nil {
		t.Errorf("Open of a data dir cloned from another URL served its refs %v", r.Refs())
	}
}

// TestTokenAuth sends the token file's content as basic auth.
func TestTokenAuth(t *testing.T) {
	srv := newGitServer(t)
	srv.token = "s3cret"
	wt := newWorkTree(t, srv.bare)
	wt.commit("first", map[string]string{"x.yaml": "x\n"})
	wt.push("refs/heads/main")
	tokenFile := filepath.Join(t.TempDir(), "token")
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{"no token", "", false},
		{"wrong token", "nope\n", false},
		{"right token", "s3cret\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{URL: srv.URL(), Dir: t.TempDir()}
			if tc.token != "" {
				if err := os.WriteFile(tokenFile, []byte(tc.token), 0o600); err != nil {
					t.Fatal(err)
				}
				opts.TokenFile = tokenFile
			}
			_, err := Open(context.Background(), opts)
			if (err == nil) != tc.ok {
				t.Fatalf("Open: err = %v, want success %v", err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

// TestFileURL clones from a local bare repository by file:// URL and path.
func TestFileURL(t *testing.T) {
	bare := filepath.Join(t.TempDir(), "specs.git")
	gitCmd(t, t.TempDir(), "init", "--bare", "-b", "main", bare)
	wt := newWorkTree(t, bare)
	for i, url := range []string{"file://" + bare, bare} {
		t.Run(url, func(t *testing.T) {
			c1 := wt.commit("first", map[string]string{"x.yaml": strings.Repeat("x", i+1)})
			wt.push("refs/heads/main")
			r := open(t, Options{URL: url})
			if got := mustResolve(t, r, "main"); got != c1 {
				t.Fatalf("main = %s, want %s", got, c1)
			}
			c2 := wt.commit("more", map[string]string{"y.yaml": "y\n"})
			wt.push("refs/heads/main")
			if err := r.Fetch(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := mustResolve(t, r, "main"); got != c2 {
				t.Fatalf("main after fetch = %s, want %s", got, c2)
			}
		})
	}
}

// TestResolveErrors: unknown refs and SHAs not in the clone fail.
func TestResolveErrors(t *testing.T) {
	srv := newGitServer(t)
	wt := newWorkTree(t, srv.bare)
	wt.commit("first", map[string]string{"x.yaml": "x\n"})
	wt.push("refs/heads/main")
	r := open(t, Options{URL: srv.URL()})
	for _, ref := range []string{"", "nope", "pr/1", "0123456789012345678901234567890123456789", "refs/heads/main"} {
		if sha, err := r.Resolve(ref); err == nil {
			t.Errorf("Resolve(%q) = %s, want an error", ref, sha)
		}
	}
	if _, err := r.Tree("0123456789012345678901234567890123456789"); err == nil {
		t.Error("Tree of a missing commit succeeded")
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestConcurrentReadsDuringFetch reads trees while fetches bring new packs;
// run with -race it proves the locking.
func TestConcurrentReadsDuringFetch(t *testing.T) {
	srv := newGitServer(t)
	wt := newWorkTree(t, srv.bare)
	c1 := wt.commit("first", map[string]string{"a.yaml": "a\n", "b/c.yaml": "c\n"})
	wt.push("refs/heads/main")
	r := open(t, Options{URL: srv.URL()})
	tree, err := r.Tree(c1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := fs.WalkDir(tree, ".", func(p string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						_, err = fs.ReadFile(tree, p)
					}
					return err
				}); err != nil {
					t.Error(err)
					return
				}
				_, _ = r.Resolve("main")
			}
		})
	}
	for i := range 5 {
		wt.commit("more", map[string]string{"a.yaml": strings.Repeat("a", i+2)})
		wt.push("refs/heads/main")
		if err := r.Fetch(context.Background()); err != nil {
			t.Error(err)
		}
	}
	close(done)
	wg.Wait()
	if got := readFile(t, r, mustResolve(t, r, "main"), "a.yaml"); got != "aaaaaa" {
		t.Errorf("a.yaml at main = %q", got)
	}
}
