package source

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestSSHAuth clones over SSH with a key file, checking the server's host
// key against a known_hosts file.
func TestSSHAuth(t *testing.T) {
	root := t.TempDir()
	bare := filepath.Join(root, "specs.git")
	gitCmd(t, root, "init", "--bare", "-b", "main", bare)
	wt := newWorkTree(t, bare)
	c1 := wt.commit("first", map[string]string{"x.yaml": "x\n"})
	wt.push("refs/heads/main")

	keys := t.TempDir()
	goodKey, otherKey := filepath.Join(keys, "good"), filepath.Join(keys, "other")
	srv := newSSHServer(t, root, writeKey(t, goodKey))
	writeKey(t, otherKey)
	wrongHosts := newSSHServer(t, root, writeKey(t, filepath.Join(keys, "unused"))).knownHosts

	url := "ssh://git@" + srv.addr + "/specs.git"
	for _, tc := range []struct {
		name, key, knownHosts, wantErr string
	}{
		{"authorised key", goodKey, srv.knownHosts, ""},
		{"unknown key", otherKey, srv.knownHosts, "unable to authenticate"},
		{"host key not known", goodKey, wrongHosts, "knownhosts: key is unknown"},
		{"missing key file", filepath.Join(keys, "nope"), srv.knownHosts, "loading SSH key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(context.Background(), Options{URL: url, Dir: t.TempDir(), SSHKeyFile: tc.key, SSHKnownHostsFile: tc.knownHosts, Logger: testLogger(t)})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open: err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got := mustResolve(t, r, "main"); got != c1 {
				t.Fatalf("main = %s, want %s", got, c1)
			}
		})
	}
}

func TestAuthOptions(t *testing.T) {
	for _, tc := range []struct {
		url, user string
	}{
		{"ssh://git@github.com/acme/specs.git", "git"},
		{"ssh://deploy@ghe.example.com:2222/acme/specs", "deploy"},
		{"git@github.com:acme/specs.git", "git"},
		{"ssh://github.com/acme/specs.git", "git"},
	} {
		if got := sshUser(tc.url); got != tc.user {
			t.Errorf("sshUser(%q) = %q, want %q", tc.url, got, tc.user)
		}
	}
	if _, err := authMethod(Options{TokenFile: "a", SSHKeyFile: "b"}); err == nil {
		t.Error("a token file and an SSH key file together were accepted")
	}
	if got := redact("https://user:hunter2@example.com/specs.git"); strings.Contains(got, "hunter2") {
		t.Errorf("redact left the password in %q", got)
	}
}
