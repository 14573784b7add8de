package auth

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitplane/gitplane/gateway/internal/keystest"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAuthenticate(t *testing.T) {
	s := keystest.New(t)
	s.Write(map[string]string{"team-a": "sk-aaaa", "team-b": "sk-bbbb", "shared-1": "sk-same", "shared-2": "sk-same"})
	must(t, os.WriteFile(filepath.Join(s.Path, "bad name"), []byte("sk-bad"), 0o644))
	var logs bytes.Buffer
	k, err := Load(Options{Dir: s.Path, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
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
	s := keystest.New(t)
	s.Write(map[string]string{"team-a": "sk-a1"})
	k, err := Load(Options{Dir: s.Path})
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
	// Written at once: changes before the watch is registered are picked up too.
	s.Write(map[string]string{"team-a": "sk-a1", "team-b": "sk-b1"})
	waitFor("team-b added", authed("sk-b1", "team-b"))
	s.Write(map[string]string{"team-a": "sk-a2", "team-b": "sk-b1"})
	waitFor("team-a rotated", authed("sk-a2", "team-a"))
	if !refused("sk-a1")() {
		t.Error("the old key of team-a still works after rotation")
	}
	s.Write(map[string]string{"team-a": "sk-a2"})
	waitFor("team-b revoked", refused("sk-b1"))
}

func TestReloadKeepsOldSetOnError(t *testing.T) {
	s := keystest.New(t)
	s.Write(map[string]string{"team-a": "sk-a"})
	k, err := Load(Options{Dir: s.Path})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(s.Path, "huge"), bytes.Repeat([]byte("x"), maxKeyBytes+1), 0o644))
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
