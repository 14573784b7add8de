package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/schema"
)

// firstSync is the status of env's first sync: the test owns its
// Environment, so the examples' 38 objects (on the test cluster's region)
// are all created.
func firstSync(env string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(env) + `: 38 created, 0 updated, 0 deleted, 0 unchanged; applied$`)
}

// TestWebhookPushSyncs: push → signed webhook → applied → statuses pending
// then success; a broken commit → failure with its file:line:col and the
// cluster unchanged; a bad or missing signature → 401 and no sync.
func TestWebhookPushSyncs(t *testing.T) {
	g := newGitRepo(t)
	first := g.git(g.work, "rev-parse", "HEAD")
	logs := &logLines{}
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true, logger: slog.New(slog.NewTextHandler(logs, nil))})

	sts := l.waitStatus(first, 60*time.Second)
	final := sts[len(sts)-1]
	if final.State != "success" || !firstSync(g.env).MatchString(final.Description) {
		t.Fatalf("statuses on the first commit: %+v", sts)
	}
	if u := final.TargetURL; u != "https://gitplane.example.com/status#"+g.env {
		t.Errorf("target URL = %q", u)
	}

	g.edit("models/llama.yaml", "vllm-openai:v0.6.3", "vllm-openai:v0.7.0")
	second := g.commit("llama: v0.7.0")
	if code := l.deliver("push", "d-1", pushPayload(second), secret); code != http.StatusAccepted {
		t.Fatalf("push delivery answered %d, want 202", code)
	}
	sts = l.waitStatus(second, 30*time.Second)
	if got := states(sts); got != "pending,success" || !strings.Contains(sts[0].Description, "applying 1 change(s) to "+g.env) {
		t.Fatalf("statuses on the second commit: %+v", sts)
	}
	if img := l.image(g.ns("models"), "llama-3-8b"); img != "vllm/vllm-openai:v0.7.0" {
		t.Errorf("image after the push = %s", img)
	}

	g.edit("models/llama.yaml", "image:", "imag:")
	broken := g.commit("broken spec")
	l.deliver("push", "d-2", pushPayload(broken), secret)
	sts = l.waitStatus(broken, 30*time.Second)
	if got := states(sts); got != "failure" || !strings.Contains(sts[0].Description, "models/llama.yaml:7:3: spec.imag: unknown field") {
		t.Fatalf("statuses on the broken commit: %+v", sts)
	}
	if img := l.image(g.ns("models"), "llama-3-8b"); img != "vllm/vllm-openai:v0.7.0" {
		t.Errorf("a broken commit changed the cluster: image %s", img)
	}

	g.edit("models/llama.yaml", "imag:", "image:")
	g.edit("models/llama.yaml", "vllm-openai:v0.7.0", "vllm-openai:v0.8.0")
	unsigned := g.commit("llama: v0.8.0")
	for _, key := range []string{"", "wrong-secret"} {
		if code := l.deliver("push", "d-bad-"+key, pushPayload(unsigned), key); code != http.StatusUnauthorized {
			t.Errorf("delivery signed with %q answered %d, want 401", key, code)
		}
	}
	// Deliveries reach the loop in order: once a signed one (of a branch
	// nothing follows) has, the unsigned ones would have too.
	if code := l.deliver("push", "d-after", pushPayloadTo("elsewhere", unsigned), secret); code != http.StatusAccepted {
		t.Fatalf("signed delivery answered %d, want 202", code)
	}
	received := func(delivery string) bool {
		return logs.has(func(line string) bool {
			return strings.Contains(line, "msg=push ") && strings.Contains(line, "delivery="+delivery)
		})
	}
	waitFor(t, 30*time.Second, "the signed delivery to reach the loop", func() bool { return received("d-after") })
	if received("d-bad-") {
		t.Errorf("an unsigned delivery reached the loop:\n%s", logs)
	}

	resp, err := http.Get(l.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`gitplane_webhook_deliveries_total{code="401",event="push"} 2`,
		`gitplane_reconcile_duration_seconds_count{env="` + g.env + `",result="failure"} 1`,
		fmt.Sprintf(`gitplane_last_synced_revision_info{env="`+g.env+`",revision=%q} 1`, second),
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// logLines collects a logger's output, line by line.
type logLines struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.lines = append(l.lines, string(l.part[:i]))
		l.part = l.part[i+1:]
	}
}

// has reports whether a line satisfies match.
func (l *logLines) has(match func(string) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.lines, match)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestPollingAlone: with webhooks off, a push is picked up by polling.
func TestPollingAlone(t *testing.T) {
	g := newGitRepo(t)
	l := startLoop(t, g, loopOptions{poll: "@every 1s"})
	l.waitStatus(g.git(g.work, "rev-parse", "HEAD"), 60*time.Second)
	if code := l.deliver("push", "x", pushPayload("0"), secret); code != http.StatusNotFound {
		t.Errorf("webhook with webhooks off answered %d, want 404", code)
	}
	g.edit("models/whisper.yaml", "apiVersion:", "# polled\napiVersion:")
	next := g.commit("whisper: comment")
	if got := states(l.waitStatus(next, 30*time.Second)); !strings.HasSuffix(got, "success") {
		t.Errorf("statuses after a polled push: %s", got)
	}
	resp, err := http.Get(l.http.URL + "/status?format=json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"revision": "`+next+`"`) || !strings.Contains(string(body), `"result": "success"`) {
		t.Errorf("/status does not show the polled revision:\n%s", body)
	}
}

// TestWebhookFlood: 40 pushes in a burst end with the newest commit synced,
// in far fewer syncs than pushes.
func TestWebhookFlood(t *testing.T) {
	g := newGitRepo(t)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true})
	l.waitStatus(g.git(g.work, "rev-parse", "HEAD"), 60*time.Second)
	// The commits reach the Git server first; their deliveries then arrive
	// in a burst, as GitHub sends them after a busy minute of merges.
	var shas []string
	for i := range 40 {
		g.edit("models/llama.yaml", "vllm-openai:", fmt.Sprintf("vllm-openai:flood%02d-", i))
		shas = append(shas, g.commit(fmt.Sprintf("flood %d", i)))
	}
	start := time.Now()
	for i, sha := range shas {
		if code := l.deliver("push", fmt.Sprintf("flood-%d", i), pushPayload(sha), secret); code != http.StatusAccepted {
			t.Fatalf("delivery %d answered %d", i, code)
		}
	}
	t.Logf("40 deliveries in %v", time.Since(start))
	last := shas[len(shas)-1]
	l.waitStatus(last, 60*time.Second)
	if img := l.image(g.ns("models"), "llama-3-8b"); !strings.Contains(img, "flood39-") {
		t.Errorf("cluster ended at %s, want the newest commit's image", img)
	}
	syncs := 0
	for _, c := range l.github.Calls() {
		if c.Method == http.MethodPost && strings.Contains(c.Path, "/statuses/") {
			syncs++
		}
	}
	// The startup sync posts two statuses; each sync after it at most two.
	if syncs > 2+2*3 {
		t.Errorf("a burst of 40 deliveries caused %d status posts; coalescing should leave a few syncs", syncs)
	}
}

// TestEngineFollowsDefaultBranch: every sync asks Engines for the cluster
// the default branch names for the Environment, so that a cluster renamed
// on main is used by the next sync (serve's EKS mode connects to it).
func TestEngineFollowsDefaultBranch(t *testing.T) {
	g := newGitRepo(t)
	var mu sync.Mutex
	var asked []string
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true, engines: func(e *engine.Engine) engine.Factory {
		return engineFunc(func(_ context.Context, env *schema.Environment) (*engine.Engine, error) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, env.Metadata.Name+"@"+engine.ClusterOf(env).String())
			return e, nil
		})
	}})
	l.waitStatus(g.git(g.work, "rev-parse", "HEAD"), 60*time.Second)
	g.edit("environments/staging.yaml", "name: "+testenv.Cluster.Name+"\n", "name: "+testenv.Cluster.Name+"-blue\n")
	renamed := g.commit("staging moves to the -blue cluster")
	l.deliver("push", "rename", pushPayload(renamed), secret)
	l.waitStatus(renamed, 30*time.Second)
	mu.Lock()
	defer mu.Unlock()
	c := testenv.Cluster
	want := []string{fmt.Sprintf("%s@%s (%s, account %s)", g.env, c.Name, c.Region, c.AccountID), fmt.Sprintf("%s@%s-blue (%s, account %s)", g.env, c.Name, c.Region, c.AccountID)}
	if len(asked) != 2 || asked[0] != want[0] || asked[1] != want[1] {
		t.Errorf("Engines asked for %q, want %q", asked, want)
	}
}
