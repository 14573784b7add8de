package source

import (
	"context"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gitServer serves a bare repository over git's smart HTTP protocol with
// `git http-backend` behind net/http/cgi. It can be stopped and restarted
// on the same address.
type gitServer struct {
	t     *testing.T
	root  string // GIT_PROJECT_ROOT
	bare  string // the bare repository, root/specs.git
	addr  string
	token string // if set, HTTP basic auth x-access-token:token is required
	srv   *http.Server
}

func newGitServer(t *testing.T) *gitServer {
	t.Helper()
	root := t.TempDir()
	g := &gitServer{t: t, root: root, bare: filepath.Join(root, "specs.git")}
	gitCmd(t, root, "init", "--bare", "-b", "main", g.bare)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.addr = ln.Addr().String()
	g.serve(ln)
	t.Cleanup(g.stop)
	return g
}

func (g *gitServer) URL() string { return "http://" + g.addr + "/specs.git" }

func (g *gitServer) serve(ln net.Listener) {
	execPath := strings.TrimSpace(gitCmd(g.t, g.root, "--exec-path"))
	backend := &cgi.Handler{
		Path: filepath.Join(execPath, "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + g.root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	g.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, _ := r.BasicAuth(); g.token != "" && (user != tokenUser || pass != g.token) {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	})}
	go func() { _ = g.srv.Serve(ln) }()
}

func (g *gitServer) stop() {
	if g.srv != nil {
		_ = g.srv.Close()
		g.srv = nil
	}
}

// restart listens again on the address the server had.
func (g *gitServer) restart() {
	g.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old socket may take a moment to go
		if ln, err = net.Listen("tcp", g.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		g.t.Fatalf("relistening on %s: %v", g.addr, err)
	}
	g.serve(ln)
}

// workTree is a non-bare clone where tests commit with the git CLI and push
// straight into the server's bare repository on disk, so pushes work while
// the HTTP server is down.
type workTree struct {
	t    *testing.T
	dir  string
	bare string
}

func newWorkTree(t *testing.T, bare string) *workTree {
	t.Helper()
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-b", "main")
	return &workTree{t: t, dir: dir, bare: bare}
}

// commit writes files (an empty content deletes the file) and commits them
// on the current branch, returning the new SHA.
func (w *workTree) commit(msg string, files map[string]string) string {
	w.t.Helper()
	for name, content := range files {
		p := filepath.Join(w.dir, filepath.FromSlash(name))
		if content == "" {
			gitCmd(w.t, w.dir, "rm", "-q", name)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	gitCmd(w.t, w.dir, "add", "-A")
	gitCmd(w.t, w.dir, "commit", "-q", "--allow-empty", "-m", msg)
	return strings.TrimSpace(gitCmd(w.t, w.dir, "rev-parse", "HEAD"))
}

// push sends HEAD to ref (e.g. "refs/heads/main", "refs/pull/7/head").
func (w *workTree) push(ref string) {
	w.t.Helper()
	gitCmd(w.t, w.dir, "push", "-q", "--force", w.bare, "HEAD:"+ref)
}

func gitCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
