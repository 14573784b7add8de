package server_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/github/githubtest"
	"github.com/gitplane/gitplane/reconciler/server"
	"github.com/gitplane/gitplane/reconciler/source"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const secret = "webhook-secret"

// gitRepo is a bare repository (the "server") and a working clone.
type gitRepo struct {
	t          testing.TB
	bare, work string
	// specs are the examples under names of this test's own; env is its
	// name for staging, the Environment the loop follows by default.
	specs testenv.Specs
	env   string
}

// ns is the test's own name for a namespace of the examples.
func (g *gitRepo) ns(name string) string { return g.specs.Namespace(name) }

func newGitRepo(t testing.TB) *gitRepo {
	t.Helper()
	g := &gitRepo{t: t, bare: filepath.Join(t.TempDir(), "specs.git"), work: filepath.Join(t.TempDir(), "work")}
	g.git("", "init", "-q", "--bare", "-b", "main", g.bare)
	g.git("", "clone", "-q", g.bare, g.work)
	g.specs = testenv.ExampleSpecs(t, g.work)
	g.env = g.specs.Env("staging")
	g.commit("initial specs")
	return g
}

func (g *gitRepo) git(dir string, args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit commits everything in the working clone, pushes, and returns the SHA.
func (g *gitRepo) commit(msg string) string {
	g.git(g.work, "add", "-A")
	g.git(g.work, "commit", "-q", "--allow-empty", "-m", msg)
	g.git(g.work, "push", "-q", "origin", "HEAD:main")
	return g.git(g.work, "rev-parse", "HEAD")
}

// commitTo commits everything and pushes it to ref (e.g. refs/pull/7/head,
// where GitHub keeps a pull request's head).
func (g *gitRepo) commitTo(msg, ref string) string {
	g.git(g.work, "add", "-A")
	g.git(g.work, "commit", "-q", "--allow-empty", "-m", msg)
	g.git(g.work, "push", "-q", "-f", "origin", "HEAD:"+ref)
	return g.git(g.work, "rev-parse", "HEAD")
}

// edit replaces old with new in a file of the working clone.
func (g *gitRepo) edit(file, old, new string) {
	g.t.Helper()
	path := filepath.Join(g.work, file)
	data, err := os.ReadFile(path)
	if err != nil {
		g.t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		g.t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// loop is a running serve: the loop, its HTTP endpoints, a fake GitHub.
type loop struct {
	t      testing.TB
	env    string // the Environment waitStatus waits for
	srv    *server.Server
	http   *httptest.Server
	github *githubtest.Server
	cs     *kubernetes.Clientset
	cancel context.CancelFunc
	done   chan struct{}
}

type loopOptions struct {
	poll    string
	webhook bool
	settle  time.Duration // 0: 100ms; negative: none (serve's default)
	logger  *slog.Logger
	preview bool
	// engines, when set, builds Options.Engines around the test's Engine;
	// default engine.Fixed.
	engines func(*engine.Engine) engine.Factory
	// clusterName is Options.ClusterName.
	clusterName string
	// environments is Options.Environments; nil: staging.
	environments []string
	// wrap, when set, wraps the transport of the loop's Engine.
	wrap func(http.RoundTripper) http.RoundTripper
}

func startLoop(t testing.TB, g *gitRepo, lo loopOptions) *loop {
	t.Helper()
	cfg := testenv.Config(t)
	testenv.RecordCluster(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	for _, ns := range []string{"istio-system"} { // the Istio install owns it
		_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	src, err := source.Open(ctx, source.Options{URL: "file://" + g.bare, Dir: filepath.Join(t.TempDir(), "clone")})
	if err != nil {
		t.Fatal(err)
	}
	engCfg := rest.CopyConfig(cfg)
	if lo.wrap != nil {
		engCfg.Wrap(lo.wrap)
	}
	eng, err := engine.New(engCfg, engine.Options{Watch: true}) // as serve runs it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	fake := githubtest.New(t, githubtest.Options{Owner: "acme", Repo: "specs", Token: "gh-token"})
	gh, err := github.New(github.Options{BaseURL: fake.BaseURL(), Token: "gh-token", Owner: "acme", Repo: "specs", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	schedule, err := source.ParseSchedule(lo.poll)
	if err != nil {
		t.Fatal(err)
	}
	envs := lo.environments
	if envs == nil {
		envs = []string{g.env}
	}
	opts := server.Options{
		Source: src, RepoName: "acme/specs", Engines: engine.Fixed(eng), GitHub: gh, Environments: envs, ClusterName: lo.clusterName,
		Poll: schedule, Settle: cmp.Or(lo.settle, 100*time.Millisecond), PublicURL: "https://gitplane.example.com",
		PlanOptions: engine.PlanOptions{Prune: true},
		Logger:      cmp.Or(lo.logger, slog.New(slog.NewTextHandler(io.Discard, nil))),
	}
	if lo.engines != nil {
		opts.Engines = lo.engines(eng)
	}
	if lo.preview {
		opts.Previewer = &server.GitHubPreviewer{Source: src, Engines: opts.Engines, GitHub: gh, WebURL: "https://github.com/acme/specs",
			Environments: opts.Environments, PlanOptions: opts.PlanOptions, Logger: opts.Logger}
	}
	if lo.settle < 0 {
		opts.Settle = 0
	}
	if lo.webhook {
		opts.WebhookSecret = []byte(secret)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l := &loop{t: t, env: g.env, srv: srv, github: fake, cs: cs, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(l.done); _ = srv.Run(ctx) }()
	l.http = httptest.NewServer(srv.Handler())
	t.Cleanup(l.stop)
	return l
}

func (l *loop) stop() {
	l.cancel()
	<-l.done
	l.http.Close()
}

// deliver sends a webhook delivery signed with key.
func (l *loop) deliver(event, delivery string, payload any, key string) int {
	l.t.Helper()
	body, _ := json.Marshal(payload)
	req, _ := http.NewRequest(http.MethodPost, l.http.URL+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	if key != "" {
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func pushPayload(sha string) map[string]any { return pushPayloadTo("main", sha) }

func pushPayloadTo(branch, sha string) map[string]any {
	return map[string]any{"ref": "refs/heads/" + branch, "after": sha, "before": strings.Repeat("0", 40),
		"repository": map[string]any{"full_name": "acme/specs"}}
}

// waitSynced waits for the first sync of sha and fails the test unless it
// succeeded.
func (l *loop) waitSynced(sha string) {
	l.t.Helper()
	if st := l.waitStatus(sha, 60*time.Second); st[len(st)-1].State != "success" {
		l.t.Fatalf("first sync: %+v", st)
	}
}

// waitStatus waits until sha has a final (success or failure) status for
// gitplane/<the test's staging> and returns every status of that context
// in order.
func (l *loop) waitStatus(sha string, timeout time.Duration) []githubtest.Status {
	l.t.Helper()
	return l.waitEnvStatus(l.env, sha, timeout)
}

// waitEnvStatus is waitStatus for the Environment env.
func (l *loop) waitEnvStatus(env, sha string, timeout time.Duration) []githubtest.Status {
	l.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var mine []githubtest.Status
		for _, st := range l.github.Statuses(sha) {
			if st.Context == "gitplane/"+env {
				mine = append(mine, st)
			}
		}
		if n := len(mine); n > 0 && mine[n-1].State != "pending" {
			return mine
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.t.Fatalf("no final status for %s within %s; statuses: %+v", sha[:7], timeout, l.github.Statuses(sha))
	return nil
}

func (l *loop) image(ns, name string) string {
	l.t.Helper()
	d, err := l.cs.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		l.t.Fatal(err)
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

func states(sts []githubtest.Status) string {
	var out []string
	for _, s := range sts {
		out = append(out, s.State)
	}
	return strings.Join(out, ",")
}

var _ = fmt.Sprint

func prPayload(action string, number int, headSHA string) map[string]any {
	return map[string]any{"action": action, "number": number,
		"pull_request": map[string]any{"number": number, "merged": false,
			"head": map[string]any{"sha": headSHA, "ref": "feature"}, "base": map[string]any{"ref": "main"}},
		"repository": map[string]any{"full_name": "acme/specs"}}
}

// engineFunc is an engine.Factory from a function, for tests that watch
// what is asked.
type engineFunc func(ctx context.Context, env *schema.Environment) (*engine.Engine, error)

func (f engineFunc) Engine(ctx context.Context, env *schema.Environment) (*engine.Engine, error) {
	return f(ctx, env)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
