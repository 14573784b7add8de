package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/github/githubtest"
	"github.com/gitplane/gitplane/reconciler/server"
	"github.com/gitplane/gitplane/reconciler/source"
	"github.com/gitplane/gitplane/reconciler/webhook"
)

// syncer is the Receiver serve will be: a push to the Environment's branch
// triggers a coalesced sync that fetches, resolves the branch and reports
// commit statuses.
type syncer struct {
	t      *testing.T
	repo   *source.Repo
	gh     *github.Client
	co     *server.Coalescer[string]
	runs   atomic.Int32
	synced atomic.Value // string: the last SHA synced
}

func (s *syncer) Push(_ context.Context, ev webhook.PushEvent) {
	if ev.Branch == "main" {
		s.co.Trigger("prod", ev.SHA)
	}
}

func (s *syncer) PullRequest(context.Context, webhook.PREvent) {}

func (s *syncer) sync(ctx context.Context, env, _ string) {
	s.runs.Add(1)
	if err := s.repo.Fetch(ctx); err != nil {
		s.t.Errorf("fetch: %v", err)
		return
	}
	sha, err := s.repo.Resolve("main")
	if err != nil {
		s.t.Errorf("resolve: %v", err)
		return
	}
	if last, _ := s.synced.Load().(string); last == sha {
		// as gitplane serve does: a trigger that arrived after a sync had
		// already fetched its commit finds nothing new
		return
	}
	for _, st := range []github.Status{
		{Context: "gitplane/" + env, State: github.Pending, Description: "applying to " + env},
		{Context: "gitplane/" + env, State: github.Success, Description: env + ": synced"},
	} {
		if err := s.gh.SetStatus(ctx, sha, st); err != nil {
			s.t.Errorf("status: %v", err)
		}
	}
	s.synced.Store(sha)
}

// TestPushFlood moves a real repository's main branch through 200 commits
// in about two seconds, with a signed webhook after each move: every
// delivery is answered 202 at once, syncs are few and serial, and the last
// one is of the newest commit, with its statuses on GitHub.
func TestPushFlood(t *testing.T) {
	const settle = 300 * time.Millisecond
	bare := filepath.Join(t.TempDir(), "specs.git")
	git(t, "", "init", "-q", "--bare", "-b", "main", bare)
	work := t.TempDir()
	git(t, work, "init", "-q", "-b", "main")
	git(t, work, "commit", "-q", "--allow-empty", "-m", "base")
	git(t, work, "push", "-q", bare, "HEAD:refs/heads/main")
	shas := commits(t, work, 200)
	git(t, work, "push", "-q", bare, "HEAD:refs/flood/all") // objects only: not a fetched ref

	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	repo, err := source.Open(ctx, source.Options{URL: bare, Dir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	fake := githubtest.New(t, githubtest.Options{Owner: "acme", Repo: "specs"})
	client, err := github.New(github.Options{BaseURL: fake.BaseURL(), Owner: "acme", Repo: "specs", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	s := &syncer{t: t, repo: repo, gh: client}
	s.co = server.NewCoalescer(ctx, server.CoalescerOptions{Settle: settle, Logger: log}, s.sync)
	secret := []byte("s3cret")
	h, err := webhook.New(ctx, webhook.Options{Secret: secret, Repository: "acme/specs", Receiver: s, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	start := time.Now()
	for i, sha := range shas {
		git(t, bare, "update-ref", "refs/heads/main", sha) // the push
		body, _ := json.Marshal(&gh.PushEvent{Ref: gh.String("refs/heads/main"), After: gh.String(sha), Repo: &gh.PushEventRepository{FullName: gh.String("acme/specs")}})
		if code := deliver(t, srv.URL, secret, fmt.Sprint("delivery-", i), body); code != http.StatusAccepted {
			t.Fatalf("delivery %d answered %d", i, code)
		}
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 10 * time.Millisecond)))
	}
	h.Wait()
	s.co.Wait()
	last := shas[len(shas)-1]
	if got, _ := s.synced.Load().(string); got != last {
		t.Fatalf("last sync was of %s, want the newest commit %s", got, last)
	}
	// Runs are serial and each waits the settle time first, so a slow
	// machine may see more of them, but never more than this.
	elapsed := time.Since(start)
	if runs := s.runs.Load(); runs > int32(elapsed/settle)+1 || runs > 50 {
		t.Errorf("%d syncs for 200 pushes in %s: bursts were not coalesced", runs, elapsed)
	}
	statuses := fake.Statuses(last)
	if len(statuses) != 2 || statuses[0].State != "pending" || statuses[1].State != "success" || statuses[1].Context != "gitplane/prod" {
		t.Errorf("statuses on the newest commit = %+v, want pending then success for gitplane/prod", statuses)
	}
	t.Logf("200 pushes in %s, %d syncs", time.Since(start).Round(time.Millisecond), s.runs.Load())
}

// commits makes n empty commits in dir and returns their SHAs, oldest first.
func commits(t *testing.T, dir string, n int) []string {
	t.Helper()
	for i := range n {
		git(t, dir, "commit", "-q", "--allow-empty", "-m", fmt.Sprint("commit ", i))
	}
	return strings.Fields(git(t, dir, "rev-list", "--reverse", "--max-count", fmt.Sprint(n), "HEAD"))
}

func deliver(t *testing.T, url string, secret []byte, id string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+webhook.Path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(gh.EventTypeHeader, "push")
	req.Header.Set(gh.DeliveryIDHeader, id)
	req.Header.Set(gh.SHA256SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
