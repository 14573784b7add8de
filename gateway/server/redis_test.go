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
// redis-server: a caller's requests per minute hold across both.
func TestGlobalLimitAcrossProcesses(t *testing.T) {
	addr := redistest.Start(t)
	up := vllmtest.New(t)
	keys := keystest.New(t)
	keys.Write(map[string]string{"team-a": keyA})
	cfg := gatewaytest.Normalize(t, &config.Config{
		KeysDir:   keys.Path,
		Routes:    []config.Route{{Name: "llama", Model: &config.ModelRoute{URL: up.URL}}},
		Defaults:  config.Policy{AllRoutes: true, RateLimit: &config.RateLimit{RequestsPerMinute: 4, Burst: 4}},
		RateLimit: config.RateLimitStore{Redis: &config.Redis{Address: addr}},
	})
	b, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	g1 := gatewaytest.StartChild(t, path, nil)
	g2 := gatewaytest.StartChild(t, path, nil)
	clients := []openai.Client{gatewaytest.Client(g1.URL, keyA), gatewaytest.Client(g2.URL, keyA)}
	var got []int
	for i := range 6 {
		c := clients[i%2]
		_, err := c.Chat.Completions.New(context.Background(), chatParams("llama"))
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
	want := []int{200, 200, 200, 200, 429, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v (4 a minute across both processes; without the shared Redis each would allow 4)", got, want)
		}
	}
}
