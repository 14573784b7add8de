package ratelimit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		{"no TLS", func(o *RedisOptions) { o.TLS = false }, "pinging redis"},
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

func TestNewRedisTLSNeedsHostPort(t *testing.T) {
	if _, err := NewRedis(RedisOptions{Address: "redis-without-port", TLS: true}); err == nil {
		t.Error("NewRedis accepted a TLS address without a port")
	}
}
