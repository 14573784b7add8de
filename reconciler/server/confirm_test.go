package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/github/githubtest"
	"github.com/gitplane/gitplane/reconciler/server"
)

// cliFlags are the CLI's flags: serve has none of them, so no status or
// comment may tell its reader to pass one.
var cliFlags = []string{"--confirm-prune", "--allow-empty", "--force-conflicts", "--prune", "pass --", "apply with --"}

// speaksGit fails the test if a status or comment tells its reader to use
// a flag of the CLI.
func speaksGit(t *testing.T, what, text string) {
	t.Helper()
	for _, flag := range cliFlags {
		if strings.Contains(text, flag) {
			t.Errorf("%s speaks of the CLI's %q: %s", what, flag, text)
		}
	}
}

// keepNamespaces annotates the Environment gitplane.dev/prune: disabled, so
// that a prune of the Environment's own objects (the namespaces of the
// specs) leaves them: the test control plane runs no namespace controller,
// and a deleted namespace would stay terminating for the tests that follow.
func keepNamespaces(g *gitRepo) string {
	g.edit("environments/staging.yaml", "  name: "+g.env+"\n", "  name: "+g.env+"\n  annotations:\n    gitplane.dev/prune: disabled\n")
	return g.commit("staging: keep the Environment's own objects")
}

// confirmWith sets (or replaces) an Environment confirmation naming sha.
func confirmWith(g *gitRepo, key, sha string) {
	g.edit("environments/staging.yaml", "  annotations:\n", fmt.Sprintf("  annotations:\n    %s: %q\n", key, sha))
}

// push commits, pushes to main, delivers the push and returns the final
// status of the commit.
func (l *loop) push(g *gitRepo, msg string) (string, githubtest.Status) {
	l.t.Helper()
	sha := g.commit(msg)
	return sha, l.pushed(sha)
}

// pushed delivers the push of sha to main and returns its final status.
func (l *loop) pushed(sha string) githubtest.Status {
	l.t.Helper()
	l.deliver("push", "push-"+sha[:7], pushPayload(sha), secret)
	sts := l.waitStatus(sha, 60*time.Second)
	return sts[len(sts)-1]
}

func (l *loop) deploymentExists(ns, name string) bool {
	l.t.Helper()
	_, err := l.cs.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		l.t.Fatal(err)
	}
	return err == nil
}

// TestConfirmedPruneConverges: a push that prunes more than a quarter of
// the inventory is blocked, and its status says how to confirm it in Git:
// an Environment annotation naming the blocked commit. A confirmation
// naming another commit confirms nothing; one naming the commit the push
// goes on top of converges; and the annotation left in Git does not
// confirm a later prune.
func TestConfirmedPruneConverges(t *testing.T) {
	g := newGitRepo(t)
	start := keepNamespaces(g)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true})
	l.waitSynced(start)

	g.git(g.work, "rm", "-q", "models/whisper.yaml")
	blocked, st := l.push(g, "remove whisper")
	want := fmt.Sprintf(g.env+`: prune blocked (to confirm, annotate the Environment gitplane.dev/confirm-prune: %q): prune would delete 11 of 38 inventory objects (more than 25%%)`, blocked[:7])
	if st.State != "failure" || st.Description != github.Truncate(want, github.MaxDescription) {
		t.Errorf("status of the blocked prune = %+v, want a failure saying %q", st, want)
	}
	var board server.Status
	getJSON(t, l.http.URL+"/status?format=json", &board)
	if len(board.Environments) != 1 || board.Environments[0].Message != want {
		t.Errorf("/status = %+v, want the whole reason %q", board.Environments, want)
	}
	speaksGit(t, "the blocked status", st.Description)
	if !l.deploymentExists(g.ns("speech"), "whisper-large") {
		t.Fatal("the blocked prune deleted whisper")
	}

	confirmWith(g, "gitplane.dev/confirm-prune", start[:12])
	wrong, st := l.push(g, "confirm the wrong commit")
	if st.State != "failure" || !strings.Contains(st.Description, fmt.Sprintf("gitplane.dev/confirm-prune: %q", wrong[:7])) {
		t.Errorf("a confirmation naming another commit: status %+v, want still blocked, naming %s", st, wrong[:7])
	}

	g.edit("environments/staging.yaml", start[:12], wrong[:7])
	confirmed, st := l.push(g, "confirm the prune")
	if st.State != "success" || !strings.Contains(st.Description, "9 deleted") {
		t.Errorf("status of the confirmed prune = %+v, want a success with whisper's 9 objects deleted", st)
	}
	if l.deploymentExists(g.ns("speech"), "whisper-large") {
		t.Error("the confirmed prune left whisper in the cluster")
	}

	g.git(g.work, "checkout", "-q", start, "--", "models/whisper.yaml")
	if _, st := l.push(g, "whisper is back"); st.State != "success" {
		t.Fatalf("whisper back: %+v", st)
	}
	g.git(g.work, "rm", "-q", "models/whisper.yaml")
	again, st := l.push(g, "remove whisper again")
	if st.State != "failure" || !strings.Contains(st.Description, "prune blocked") {
		t.Errorf("a later prune with the confirmation of %s still in Git: status %+v, want it blocked", confirmed[:7], st)
	}
	speaksGit(t, "the second blocked status", st.Description)
	if !l.deploymentExists(g.ns("speech"), "whisper-large") {
		t.Errorf("the confirmation for the commit after %s pruned %s", wrong[:7], again[:7])
	}
}

// previewOf waits for the preview of head: its comment on the pull
// request and its gitplane/preview/<env> status.
func (l *loop) previewOf(pr int, head string) (string, githubtest.Status) {
	l.t.Helper()
	var (
		body string
		st   *githubtest.Status
	)
	waitFor(l.t, 60*time.Second, "the preview of "+head[:7], func() bool {
		for _, s := range l.github.Statuses(head) {
			if s.Context == "gitplane/preview/"+l.env {
				st = &s
			}
		}
		for _, c := range l.github.Comments(pr) {
			if strings.Contains(c.Body, head) {
				body = c.Body
			}
		}
		return st != nil && body != ""
	})
	return body, *st
}

// TestPullRequestConfirmsPrune: the preview of a pull request that prunes
// too much says how to confirm it in the change (an annotation naming the
// tip of the branch it merges into); with the confirmation the preview
// plans the deletions, and the merge converges.
func TestPullRequestConfirmsPrune(t *testing.T) {
	g := newGitRepo(t)
	base := keepNamespaces(g)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true, preview: true})
	l.waitSynced(base)

	g.git(g.work, "checkout", "-q", "-b", "feature")
	g.git(g.work, "rm", "-q", "models/whisper.yaml")
	head := g.commitTo("remove whisper", "refs/pull/9/head")
	l.deliver("pull_request", "pr9-opened", prPayload("opened", 9, head), secret)
	body, st := l.previewOf(9, head)
	advice := fmt.Sprintf("annotate the Environment gitplane.dev/confirm-prune: %q", base[:7])
	if st.State != "failure" || !strings.Contains(st.Description, "prune blocked (to confirm, "+advice+")") {
		t.Errorf("preview status of the unconfirmed prune = %+v, want a failure saying %s", st, advice)
	}
	if !strings.Contains(body, advice+" in this change") {
		t.Errorf("the preview comment does not say how to confirm the prune (%s):\n%s", advice, body)
	}
	speaksGit(t, "the preview status", st.Description)
	speaksGit(t, "the preview comment", body)

	confirmWith(g, "gitplane.dev/confirm-prune", base[:12])
	head = g.commitTo("confirm the prune", "refs/pull/9/head")
	l.deliver("pull_request", "pr9-sync", prPayload("synchronize", 9, head), secret)
	body, st = l.previewOf(9, head)
	if st.State != "success" || !strings.Contains(st.Description, "9 to delete") {
		t.Errorf("preview status of the confirmed prune = %+v, want a success with 9 deletions", st)
	}
	if note := "gitplane.dev/confirm-prune confirms a prune of more than a quarter of the inventory for this change on top of " + base[:7]; !strings.Contains(body, note) {
		t.Errorf("the preview comment does not note the confirmation %q:\n%s", note, body)
	}
	speaksGit(t, "the confirmed preview comment", body)

	g.git(g.work, "checkout", "-q", "main")
	g.git(g.work, "merge", "-q", "--no-ff", "-m", "Merge pull request #9", "feature")
	g.git(g.work, "push", "-q", "origin", "HEAD:main")
	merge := g.git(g.work, "rev-parse", "HEAD")
	if final := l.pushed(merge); final.State != "success" || !strings.Contains(final.Description, "9 deleted") {
		t.Errorf("status of the merge %s = %+v, want a success with whisper's 9 objects deleted", merge[:7], final)
	}
	if l.deploymentExists(g.ns("speech"), "whisper-large") {
		t.Error("the merged, confirmed prune left whisper in the cluster")
	}
}
