package server_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/internal/gatewaytest"
	"github.com/gitplane/gitplane/gateway/internal/keystest"
	"github.com/gitplane/gitplane/gateway/internal/redistest"
	"github.com/gitplane/gitplane/gateway/internal/vllmtest"
)

// TestGlobalLimitAcrossProcesses runs two gateway processes on one real
// redis-server: a caller's requests per minute hold across both, over
// plain TCP and over TLS with an ACL user (as ElastiCache with in-transit
// encryption and RBAC); the processes trust the test CA through
// SSL_CERT_FILE, as the image's CA certificates are the system's.
func TestGlobalLimitAcrossProcesses(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "tcp", true: "tls and acl user"}[tls], func(t *testing.T) {
			opts := redistest.Options{TLS: tls}
			redis := &config.Redis{}
			var env []string
			if tls {
				opts.Users = map[string]string{"gateway": "s3cret-pass"}
				pw := filepath.Join(t.TempDir(), "password")
				if err := os.WriteFile(pw, []byte("s3cret-pass"), 0o600); err != nil {
					t.Fatal(err)
				}
				redis = &config.Redis{Username: "gateway", PasswordFile: pw, TLS: true}
			}
			srv := redistest.StartWith(t, opts)
			redis.Address = srv.Addr
			if tls {
				env = append(env, "SSL_CERT_FILE="+srv.CAFile)
			}
			statuses := limitAcrossTwoGateways(t, redis, env)
			want := []int{200, 200, 200, 200, 429, 429}
			for i := range want {
				if statuses[i] != want[i] {
					t.Fatalf("statuses %v, want %v (4 a minute across both processes; without the shared Redis each would allow 4)", statuses, want)
				}
			}
		})
	}
}

// limitAcrossTwoGateways starts two gateway processes sharing redis (4
// requests a minute per caller) and returns the statuses of 6 requests sent
// to them in turn.
func limitAcrossTwoGateways(t *testing.T, redis *config.Redis, env []string) []int {
	t.Helper()
	up := vllmtest.New(t)
	keys := keystest.New(t)
	keys.Write(map[string]string{"team-a": keyA})
	cfg := gatewaytest.Normalize(t, &config.Config{
		KeysDir:   keys.Path,
		Routes:    []config.Route{{Name: "llama", Model: &config.ModelRoute{URL: up.URL}}},
		Defaults:  config.Policy{AllRoutes: true, RateLimit: &config.RateLimit{RequestsPerMinute: 4, Burst: 4}},
		RateLimit: config.RateLimitStore{Redis: redis},
	})
	b, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	g1 := gatewaytest.StartChild(t, path, nil, env...)
	g2 := gatewaytest.StartChild(t, path, nil, env...)
	clients := []openai.Client{gatewaytest.Client(g1.URL, keyA), gatewaytest.Client(g2.URL, keyA)}
	var got []int
	for i := range 6 {
		_, err := clients[i%2].Chat.Completions.New(context.Background(), chatParams("llama"))
		var apiErr *openai.Error
		switch {
		case err == nil:
			got = append(got, 200)
		case errors.As(err, &apiErr):
			got = append(got, apiErr.StatusCode)
		default:
			t.Fatal(err)
		}
	}
	return got
}
