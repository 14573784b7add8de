package auth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secretDir writes keys the way the kubelet's atomic writer does: the data
// in a timestamped directory, ..data a symlink to it, and one symlink per
// key pointing into ..data. Each update makes a new timestamped directory
// and renames a fresh symlink over ..data.
type secretDir struct {
	t   *testing.T
	dir string
	gen int
}

func newSecretDir(t *testing.T) *secretDir { return &secretDir{t: t, dir: t.TempDir()} }

func (s *secretDir) write(keys map[string]string) {
	s.t.Helper()
	s.gen++
	ts := fmt.Sprintf("..2025_01_01_00_00_%02d.%d", s.gen, s.gen)
	must(s.t, os.Mkdir(filepath.Join(s.dir, ts), 0o755))
	for name, key := range keys {
		must(s.t, os.WriteFile(filepath.Join(s.dir, ts, name), []byte(key+"\n"), 0o644))
	}
	tmp := filepath.Join(s.dir, "..data_tmp")
	must(s.t, os.Symlink(ts, tmp))
	must(s.t, os.Rename(tmp, filepath.Join(s.dir, "..data")))
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if n := e.Name(); !strings.HasPrefix(n, ".") {
			if _, ok := keys[n]; !ok {
				must(s.t, os.Remove(filepath.Join(s.dir, n)))
			}
		}
	}
	for name := range keys {
		link := filepath.Join(s.dir, name)
		if _, err := os.Lstat(link); err != nil {
			must(s.t, os.Symlink(filepath.Join("..data", name), link))
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAuthenticate(t *testing.T) {
	s := newSecretDir(t)
	s.write(map[string]string{"team-a": "sk-aaaa", "team-b": "sk-bbbb", "shared-1": "sk-same", "shared-2": "sk-same"})
	must(t, os.WriteFile(filepath.Join(s.dir, "bad name"), []byte("sk-bad"), 0o644))
	var logs bytes.Buffer
	k, err := Load(Options{Dir: s.dir, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	must(t, err)
	tests := []struct {
		key, caller string
		ok          bool
	}{
		{"sk-aaaa", "team-a", true},
		{"sk-bbbb", "team-b", true},
		{"sk-bbbb ", "", false},
		{"", "", false},
		{"sk-same", "", false}, // two callers share it: refused
		{"sk-bad", "", false},  // file name is not a caller name
	}
	for _, tt := range tests {
		c, ok := k.Authenticate(tt.key)
		if c != tt.caller || ok != tt.ok {
			t.Errorf("Authenticate(%q) = %q, %v; want %q, %v", tt.key, c, ok, tt.caller, tt.ok)
		}
	}
	if got := strings.Join(k.Callers(), ","); got != "team-a,team-b" {
		t.Errorf("callers = %s", got)
	}
	for _, secret := range []string{"sk-aaaa", "sk-bbbb", "sk-same", "sk-bad"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a key is in the logs: %s", logs.String())
		}
	}
}

func TestLoadMissingDir(t *testing.T) {
	if _, err := Load(Options{Dir: filepath.Join(t.TempDir(), "nope")}); err == nil {
		t.Fatal("want an error for a missing directory")
	}
}

// TestWatchKubeletSwap adds, changes and revokes keys with the kubelet's
// symlink swap and waits for the watcher to apply each change.
func TestWatchKubeletSwap(t *testing.T) {
	s := newSecretDir(t)
	s.write(map[string]string{"team-a": "sk-a1"})
	k, err := Load(Options{Dir: s.dir})
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- k.Watch(ctx, 0) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	authed := func(key, caller string) func() bool {
		return func() bool { c, ok := k.Authenticate(key); return ok && c == caller }
	}
	refused := func(key string) func() bool {
		return func() bool { _, ok := k.Authenticate(key); return !ok }
	}
	// Give the watcher a moment to register: write until the first change is seen.
	s.write(map[string]string{"team-a": "sk-a1", "team-b": "sk-b1"})
	waitFor("team-b added", authed("sk-b1", "team-b"))
	s.write(map[string]string{"team-a": "sk-a2", "team-b": "sk-b1"})
	waitFor("team-a rotated", authed("sk-a2", "team-a"))
	if !refused("sk-a1")() {
		t.Error("the old key of team-a still works after rotation")
	}
	s.write(map[string]string{"team-a": "sk-a2"})
	waitFor("team-b revoked", refused("sk-b1"))
}

func TestReloadKeepsOldSetOnError(t *testing.T) {
	s := newSecretDir(t)
	s.write(map[string]string{"team-a": "sk-a"})
	k, err := Load(Options{Dir: s.dir})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(s.dir, "huge"), bytes.Repeat([]byte("x"), maxKeyBytes+1), 0o644))
	if err := k.Reload(); err == nil {
		t.Fatal("want an error for an oversized key file")
	}
	if _, ok := k.Authenticate("sk-a"); !ok {
		t.Error("the previous key set was dropped")
	}
}

func TestBearerToken(t *testing.T) {
	for in, want := range map[string]string{"Bearer sk-1": "sk-1", "bearer  sk-2 ": "sk-2", "Basic x": "", "": "", "Bearer": ""} {
		if got := BearerToken(in); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", in, got, want)
		}
	}
}
