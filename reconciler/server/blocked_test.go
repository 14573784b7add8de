package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitplane/gitplane/reconciler/github/githubtest"
	"github.com/gitplane/gitplane/reconciler/server"
)

// TestBlockedSyncIsNotASuccess: a pull request and then a merge that
// delete almost every spec are held back by the prune guard; their
// statuses are failures that say why, /status and /metrics show the sync
// as blocked, and the cluster keeps its objects.
func TestBlockedSyncIsNotASuccess(t *testing.T) {
	g := newGitRepo(t)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true, preview: true})
	first := g.git(g.work, "rev-parse", "HEAD")
	l.waitSynced(first)
	for _, f := range []string{"models/llama.yaml", "models/whisper.yaml", "gateways/ai-gateway.yaml"} {
		if err := os.Remove(filepath.Join(g.work, f)); err != nil {
			t.Fatal(err)
		}
	}

	g.git(g.work, "checkout", "-q", "-b", "feature")
	head := g.commitTo("delete every spec", "refs/pull/8/head")
	l.deliver("pull_request", "pr-blocked", prPayload("opened", 8, head), secret)
	var preview *githubtest.Status
	waitFor(t, 30*time.Second, "the preview status", func() bool {
		for _, st := range l.github.Statuses(head) {
			if st.Context == "gitplane/preview/"+g.env {
				preview = &st
			}
		}
		return preview != nil
	})
	if preview.State != "failure" || !strings.Contains(preview.Description, "prune blocked") {
		t.Errorf("preview status of a PR deleting every spec = %+v, want a failure naming the prune guard", preview)
	}

	g.git(g.work, "checkout", "-q", "main")
	g.git(g.work, "merge", "-q", "--ff-only", "feature")
	g.git(g.work, "push", "-q", "origin", "HEAD:main")
	l.deliver("push", "push-blocked", pushPayload(head), secret)
	sts := l.waitStatus(head, 30*time.Second)
	final := sts[len(sts)-1]
	confirm := fmt.Sprintf(g.env+": prune blocked (to confirm, annotate the Environment gitplane.dev/confirm-prune: %q): prune would delete", head[:7])
	if final.State != "failure" || !strings.Contains(final.Description, confirm) {
		t.Errorf("statuses of the merge = %+v, want a failure naming the prune guard and its confirmation", sts)
	}
	speaksGit(t, "the blocked status", final.Description)
	speaksGit(t, "the blocked preview status", preview.Description)
	if img := l.image(g.ns("models"), "llama-3-8b"); img != "vllm/vllm-openai:v0.6.3" {
		t.Errorf("the blocked sync changed the cluster: image %s", img)
	}

	var st server.Status
	getJSON(t, l.http.URL+"/status?format=json", &st)
	if len(st.Environments) != 1 || st.Environments[0].Result != "blocked" || st.Environments[0].Revision != head ||
		!strings.Contains(st.Environments[0].Message, "prune blocked") {
		t.Errorf("/status = %+v, want %s blocked at %s", st.Environments, g.env, head[:7])
	}
	metrics := get(t, l.http.URL+"/metrics")
	for _, want := range []string{
		`gitplane_reconcile_duration_seconds_count{env="` + g.env + `",result="blocked"} 1`,
		`gitplane_sync_blocked{env="` + g.env + `"} 1`,
		`gitplane_reconcile_duration_seconds_count{env="` + g.env + `",result="success"} 1`, // the first sync only
		fmt.Sprintf(`gitplane_last_synced_revision_info{env="`+g.env+`",revision=%q} 1`, first),
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(get(t, url)), v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}
