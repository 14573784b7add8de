package ratelimit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/internal/redistest"
)

// TestRedisTLSAndACLUser connects to a real redis-server that serves TLS
// only and has an ACL user: the right CA, user and password work (and
// limits hold there); a wrong password, no TLS, or a CA the server's
// certificate does not chain to fail with an error that says why.
func TestRedisTLSAndACLUser(t *testing.T) {
	srv := redistest.StartWith(t, redistest.Options{TLS: true, Users: map[string]string{"gateway": "s3cret-pass"}})
	dir := t.TempDir()
	password := func(p string) string {
		f := filepath.Join(dir, p)
		if err := os.WriteFile(f, []byte(p+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	good := RedisOptions{Address: srv.Addr, Username: "gateway", PasswordFile: password("s3cret-pass"), TLS: true, RootCAs: srv.CAs, Timeout: time.Second}
	tests := []struct {
		name    string
		edit    func(*RedisOptions)
		wantErr string
	}{
		{"TLS, CA, user and password", func(*RedisOptions) {}, ""},
		{"wrong password", func(o *RedisOptions) { o.PasswordFile = password("not-it") }, "WRONGPASS"},
		{"no TLS", func(o *RedisOptions) { o.TLS = false }, "EOF"}, // the server hangs up on a plaintext hello
		{"the system's CAs", func(o *RedisOptions) { o.RootCAs = nil }, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := good
			tt.edit(&opts)
			r, err := NewRedis(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			err = r.Ping(context.Background())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				l := New(Options{Store: r, OnStoreError: func(err error) { t.Errorf("store error: %v", err) }})
				p := l.Policy("team-tls", &config.RateLimit{RequestsPerMinute: 1, Burst: 1})
				if first, second := l.Admit(context.Background(), p, 1), l.Admit(context.Background(), p, 1); !first.Allowed || second.Allowed {
					t.Errorf("admissions %v, %v over TLS: want allowed, then refused", first.Allowed, second.Allowed)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Ping: err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// TestRedisPasswordRotation: the password file is read again for every new
// connection. After the ACL user's password is changed, its connections
// killed and the mounted file swapped (as the kubelet does), the store
// reconnects with the new password, no restart needed.
func TestRedisPasswordRotation(t *testing.T) {
	srv := redistest.StartWith(t, redistest.Options{Users: map[string]string{"gateway": "old-pass"}})
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "password")
	swap := func(password string) { // write aside, then rename over: atomic like the kubelet's swap
		tmp := filepath.Join(dir, ".tmp")
		if err := os.WriteFile(tmp, []byte(password), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	swap("old-pass")
	r, err := NewRedis(RedisOptions{Address: srv.Addr, Username: "gateway", PasswordFile: file, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr, DisableIdentity: true})
	defer admin.Close()
	if err := admin.Do(ctx, "ACL", "SETUSER", "gateway", "resetpass", ">new-pass").Err(); err != nil {
		t.Fatal(err)
	}
	swap("new-pass")
	if err := admin.Do(ctx, "CLIENT", "KILL", "USER", "gateway").Err(); err != nil {
		t.Fatal(err)
	}
	var pingErr error
	for range 3 { // the first command may meet the killed connection
		if pingErr = r.Ping(ctx); pingErr == nil {
			break
		}
	}
	if pingErr != nil {
		t.Fatalf("after the rotation: %v", pingErr)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := admin.Do(ctx, "CLIENT", "KILL", "USER", "gateway").Err(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if pingErr = r.Ping(ctx); pingErr == nil {
			break
		}
	}
	if pingErr != nil {
		t.Errorf("with the file gone for a moment, the last password read should still be used: %v", pingErr)
	}
}

func TestNewRedisMissingPasswordFile(t *testing.T) {
	_, err := NewRedis(RedisOptions{Address: "127.0.0.1:6379", PasswordFile: filepath.Join(t.TempDir(), "none")})
	if err == nil || !strings.Contains(err.Error(), "reading redis password") {
		t.Errorf("err = %v, want a failed read of the password", err)
	}
}

// TestRedisCluster runs the limits on a real 3-primary Redis Cluster, over
// TCP and over TLS with an ACL user (ElastiCache cluster mode enabled):
// every caller's key, whichever node holds its slot, is limited, with no
// store error. The same cluster through a single-node client fails open on
// the keys of the other nodes (MOVED), which is what Cluster is for.
func TestRedisCluster(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(map[bool]string{false: "tcp", true: "tls and acl user"}[secure], func(t *testing.T) {
			opts := redistest.Options{Cluster: 3}
			if secure {
				opts.TLS, opts.Users = true, map[string]string{"gateway": "s3cret-pass"}
			}
			srv := redistest.StartWith(t, opts)
			ro := RedisOptions{Address: srv.Addr, Cluster: true, Timeout: time.Second}
			if secure {
				pw := filepath.Join(t.TempDir(), "password")
				if err := os.WriteFile(pw, []byte("s3cret-pass"), 0o600); err != nil {
					t.Fatal(err)
				}
				ro.Username, ro.PasswordFile, ro.TLS, ro.RootCAs = "gateway", pw, true, srv.CAs
			}
			if errs := limitEachCaller(t, ro); errs != 0 {
				t.Errorf("%d store errors on the cluster", errs)
			}
			ro.Cluster = false
			if errs := limitEachCaller(t, ro); errs == 0 {
				t.Error("a single-node client met no MOVED on a 3-node cluster: the test does not spread its keys")
			}
		})
	}
}

// limitEachCaller admits 12 callers twice each at 1 request a minute and
// returns the store errors; with none, it checks each got allowed, then
// refused.
func limitEachCaller(t *testing.T, ro RedisOptions) int {
	t.Helper()
	r, err := NewRedis(ro)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	errs := 0
	l := New(Options{Store: r, OnStoreError: func(error) { errs++ }})
	prefix := fmt.Sprintf("team-%t-", ro.Cluster)
	for i := range 12 {
		p := l.Policy(prefix+strconv.Itoa(i), &config.RateLimit{RequestsPerMinute: 1, Burst: 1})
		first, second := l.Admit(ctx, p, 1), l.Admit(ctx, p, 1)
		if ro.Cluster && (!first.Allowed || second.Allowed) {
			t.Errorf("caller %d: admissions %v, %v; want allowed, then refused", i, first.Allowed, second.Allowed)
		}
	}
	return errs
}
