package server_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gitplane/gitplane/reconciler/testenv"
)

// environmentSpec is an Environment that renders only objects of its own
// (an EC2NodeClass, and a Gateway and an Ingress in istio-system), on the
// test cluster (testenv.Cluster), the one the control plane is recorded
// as.
func environmentSpec(name string) string {
	return fmt.Sprintf(`apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata: {name: %[1]s}
spec:
  cluster: {name: %[2]s, region: %[3]s, accountId: "%[4]s", oidcIssuer: "https://oidc.eks.%[3]s.amazonaws.com/id/TEST"}
  ingress: {certificateArn: "arn:aws:acm:%[3]s:%[4]s:certificate/test", domain: %[1]s.example.com}
  nodes: {role: NodeRole, subnetSelector: {a: b}, securityGroupSelector: {a: b}}
  git: {branch: main}
`, name, testenv.Cluster.Name, testenv.Cluster.Region, testenv.Cluster.AccountID)
}

// newSpecRepo is a gitRepo whose main branch holds one Environment file per
// name, environments/<name>.yaml, and nothing else.
func newSpecRepo(t *testing.T, envs ...string) *gitRepo {
	t.Helper()
	g := &gitRepo{t: t, bare: filepath.Join(t.TempDir(), "specs.git"), work: filepath.Join(t.TempDir(), "work")}
	g.git("", "init", "-q", "--bare", "-b", "main", g.bare)
	g.git("", "clone", "-q", g.bare, g.work)
	if err := os.MkdirAll(filepath.Join(g.work, "environments"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, env := range envs {
		if err := os.WriteFile(filepath.Join(g.work, "environments", env+".yaml"), []byte(environmentSpec(env)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g.commit("environments")
	return g
}

// TestWatchesEndWithTheEnvironment: the watches serve's syncs start (one
// per Environment and kind) stop when the Environment leaves the default
// branch, the other Environment's stay; all stop when the loop does.
func TestWatchesEndWithTheEnvironment(t *testing.T) {
	a, b := testenv.UniqueName("serve-a"), testenv.UniqueName("serve-b")
	g := newSpecRepo(t, a, b)
	streams := &testenv.WatchStreams{}
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true, environments: []string{a, b}, wrap: streams.Wrap})
	first := g.git(g.work, "rev-parse", "HEAD")
	for _, env := range []string{a, b} {
		if sts := l.waitEnvStatus(env, first, 60*time.Second); sts[len(sts)-1].State != "success" {
			t.Fatalf("first sync of %s: %+v", env, sts)
		}
	}
	// EC2NodeClass, Gateway, Ingress: three kinds, three watches each
	waitFor(t, 30*time.Second, "the watches of both Environments", func() bool {
		return streams.OpenFor(a) == 3 && streams.OpenFor(b) == 3
	})

	g.git(g.work, "rm", "-q", filepath.Join("environments", a+".yaml"))
	gone := g.commit(a + " leaves")
	if code := l.deliver("push", "leave", pushPayload(gone), secret); code != http.StatusAccepted {
		t.Fatalf("push delivery answered %d", code)
	}
	waitFor(t, 30*time.Second, "the watches of "+a+" to stop", func() bool { return streams.OpenFor(a) == 0 })
	l.waitEnvStatus(b, gone, 30*time.Second)
	if n := streams.OpenFor(b); n != 3 {
		t.Errorf("%s still on the branch holds %d watch(es), want 3", b, n)
	}

	l.stop()
	if n := streams.OpenFor(b); n != 0 {
		t.Errorf("the loop stopped with %d watch(es) of %s open", n, b)
	}
}
