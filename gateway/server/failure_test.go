package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/internal/gatewaytest"
	"github.com/gitplane/gitplane/gateway/internal/vllmtest"
)

// refusedURL returns a loopback URL nothing listens on.
func refusedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestFallback(t *testing.T) {
	tests := []struct {
		name      string
		primary   func(t *testing.T) string
		stream    bool
		wantError string
	}{
		{"connection refused", refusedURL, false, "connection"},
		{"503", func(t *testing.T) string { s := vllmtest.New(t); s.Set(vllmtest.Behaviour{Status: 503}); return s.URL }, false, "unavailable"},
		{"upstream 429", func(t *testing.T) string { s := vllmtest.New(t); s.Set(vllmtest.Behaviour{Status: 429}); return s.URL }, false, "throttled"},
		{"503 on a stream", func(t *testing.T) string { s := vllmtest.New(t); s.Set(vllmtest.Behaviour{Status: 503}); return s.URL }, true, "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primary := tt.primary(t)
			e := newEnv(t, func(c *config.Config) {
				c.Routes = append(c.Routes, config.Route{Name: "spot", Model: &config.ModelRoute{URL: primary}, Fallbacks: []string{"llama"}})
			})
			ctx := context.Background()
			p := chatParams("spot")
			var text string
			if tt.stream {
				s := e.client(keyA).Chat.Completions.NewStreaming(ctx, p)
				for s.Next() {
					if c := s.Current(); len(c.Choices) > 0 {
						text += c.Choices[0].Delta.Content
					}
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
			} else {
				resp, err := e.client(keyA).Chat.Completions.New(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				text = resp.Choices[0].Message.Content
			}
			if text != "Hello world" {
				t.Errorf("answer %q", text)
			}
			e.gw.WaitRecorded(t, 1)
			m := e.gw.Metrics(t)
			for series, want := range map[string]float64{
				`gitplane_gateway_requests_total{caller="team-a",code="200",model="spot",route="llama"}`: 1,
				`gitplane_gateway_fallbacks_total{from="spot",to="llama"}`:                               1,
				`gitplane_gateway_upstream_errors_total{kind="` + tt.wantError + `",route="spot"}`:       1,
			} {
				if got := gatewaytest.Metric(m, series); got != want {
					t.Errorf("%s = %v, want %v", series, got, want)
				}
			}
			if logs := e.gw.Logs(); !strings.Contains(logs, `"model":"spot","route":"llama"`) || !strings.Contains(logs, `"attempts":2`) {
				t.Errorf("access log does not say which route answered:\n%s", logs)
			}
		})
	}
}

func TestUpstreamErrorsMapped(t *testing.T) {
	tests := []struct {
		status, want int
		retryAfter   string
	}{
		{429, 429, "7"},
		{503, 502, ""},
		{400, 400, ""},
		{504, 504, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			e := newEnv(t)
			e.up.Set(vllmtest.Behaviour{Status: tt.status, RetryAfter: tt.retryAfter})
			_, err := e.client(keyA).Chat.Completions.New(context.Background(), chatParams("llama"))
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.want {
				t.Fatalf("got %v, want status %d", err, tt.want)
			}
			if got := apiErr.Response.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Limits.MaxBodyBytes = 1024 })
	big := strings.Repeat("x", 2048)
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(`{"model":"llama","messages":[{"role":"user","content":"` + big + `"}]}`)
		if chunked {
			body = io.MultiReader(body) // unknown length: Transfer-Encoding chunked
		}
		status, b := e.post(t, "/v1/chat/completions", body)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(b, "request_too_large") {
			t.Errorf("chunked=%v: %d %s", chunked, status, b)
		}
	}
	if n := len(e.up.Requests()); n != 0 {
		t.Errorf("%d oversized requests reached the upstream", n)
	}
}

// TestMalformedBodiesNameTheField: a body of the wrong shape is a 400 that
// says which field is wrong, and never reaches the upstream; token arrays
// as embeddings input say what to send instead.
func TestMalformedBodiesNameTheField(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, path, body, want string
	}{
		{"stop of numbers", "/v1/chat/completions", `{"model":"llama","messages":[{"role":"user","content":"hi"}],"stop":[1]}`, "field stop: wrong type number"},
		{"messages not an array", "/v1/chat/completions", `{"model":"llama","messages":"hi"}`, "field messages: wrong type string"},
		{"embeddings of token ids", "/v1/embeddings", `{"model":"embed","input":[1234,5678]}`, "input: arrays of token ids are not supported, send the text"},
		{"embeddings of token id arrays", "/v1/embeddings", `{"model":"embed","input":[[1234],[5678]]}`, "input: arrays of token ids are not supported"},
		{"tool_choice without tools", "/v1/chat/completions", `{"model":"llama","messages":[{"role":"user","content":"hi"}],"tool_choice":"auto"}`, "tool_choice is only allowed when tools are specified"},
		{"embeddings of an empty string", "/v1/embeddings", `{"model":"embed","input":""}`, "input[0] is empty or null"},
		{"embeddings with a null", "/v1/embeddings", `{"model":"embed","input":["a",null]}`, "input[1] is empty or null"},
		{"embeddings of too many inputs", "/v1/embeddings", `{"model":"embed","input":["a"` + strings.Repeat(`,"a"`, 2048) + `]}`, "input must have at most 2048 items"},
		{"embeddings of mixed strings", "/v1/embeddings", `{"model":"embed","input":["a",2]}`, "field input: wrong type number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := e.post(t, tt.path, strings.NewReader(tt.body))
			if status != http.StatusBadRequest || !strings.Contains(b, tt.want) {
				t.Errorf("%d %s, want 400 saying %q", status, b, tt.want)
			}
		})
	}
	if n := len(e.up.Requests()); n != 0 {
		t.Errorf("%d malformed requests reached the upstream", n)
	}
}

// post sends body to path as team-a with a plain HTTP client (no SDK
// checks in the way) and returns the status and body of the answer.
func (e *env) post(t *testing.T, path string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", e.gw.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+keyA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSlowHeaders checks that a client that never finishes its headers is
// disconnected after limits.headerReadTimeout.
func TestSlowHeaders(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Limits.HeaderReadTimeout = config.Duration(200 * time.Millisecond) })
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.gw.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(conn) // returns when the server closes the connection
	if err != nil {
		t.Fatalf("the server did not close the connection: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("closed after %v", d)
	}
}

// TestClientGoneMidStream: the client reads one chunk and hangs up; the
// gateway still reads the upstream to its end and charges its usage.
func TestClientGoneMidStream(t *testing.T) {
	e := newEnv(t)
	e.up.Set(vllmtest.Behaviour{Words: []string{"a", "b", "c", "d", "e", "f"}, Cadence: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	s := e.client(keyA).Chat.Completions.NewStreaming(ctx, chatParams("llama"))
	if !s.Next() {
		t.Fatal(s.Err())
	}
	cancel()
	s.Close()
	waitFor(t, "the request to be recorded", func() bool {
		return strings.Contains(e.gw.Logs(), `"client_gone":true`)
	})
	_, completion := e.up.Reported()
	m := e.gw.Metrics(t)
	if got := gatewaytest.Metric(m, `gitplane_gateway_tokens_total{caller="team-a",route="llama",type="output"}`); completion != 6 || int(got) != completion {
		t.Errorf("output tokens metric %v, upstream reported %d (want 6)", got, completion)
	}
}

// TestUnknownUsage: an upstream stream that breaks off before usage is
// recorded as unknown, not as 0 tokens.
// TestTimeoutUsageUnknown: an upstream that ran out of time may have
// generated (and billed) tokens: its usage is unknown, not 0.
func TestTimeoutUsageUnknown(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Routes[0].Timeout = config.Duration(50 * time.Millisecond) })
	e.up.Set(vllmtest.Behaviour{Delay: 300 * time.Millisecond})
	_, err := e.client(keyA).Chat.Completions.New(context.Background(), chatParams("llama"))
	if apiErr := (*openai.Error)(nil); !errors.As(err, &apiErr) || apiErr.StatusCode != 504 {
		t.Fatalf("err %v, want a 504", err)
	}
	e.gw.WaitRecorded(t, 1)
	if got := gatewaytest.Metric(e.gw.Metrics(t), `gitplane_gateway_usage_unknown_total{caller="team-a",route="llama"}`); got != 1 {
		t.Errorf("usage_unknown_total = %v, want 1", got)
	}
	if logs := e.gw.Logs(); !strings.Contains(logs, `"usage":"unknown"`) {
		t.Errorf("access log does not say usage is unknown:\n%s", logs)
	}
}

func TestUnknownUsage(t *testing.T) {
	e := newEnv(t)
	e.up.Set(vllmtest.Behaviour{Words: []string{"a", "b", "c"}, CutAfter: 2})
	s := e.client(keyA).Chat.Completions.NewStreaming(context.Background(), chatParams("llama"))
	for s.Next() {
	}
	if s.Err() == nil {
		t.Error("the client was not told the stream broke off")
	}
	s.Close()
	e.gw.WaitRecorded(t, 1)
	m := e.gw.Metrics(t)
	if got := gatewaytest.Metric(m, `gitplane_gateway_usage_unknown_total{caller="team-a",route="llama"}`); got != 1 {
		t.Errorf("usage_unknown_total = %v, want 1", got)
	}
	if strings.Contains(m, `gitplane_gateway_tokens_total{caller="team-a"`) {
		t.Error("unknown usage was counted as tokens")
	}
	if logs := e.gw.Logs(); !strings.Contains(logs, `"usage":"unknown"`) {
		t.Errorf("access log does not say usage is unknown:\n%s", logs)
	}
}

func TestErrorMidStream(t *testing.T) {
	e := newEnv(t)
	e.up.Set(vllmtest.Behaviour{Words: []string{"a", "b", "c"}, FailAfter: 1})
	s := e.client(keyA).Chat.Completions.NewStreaming(context.Background(), chatParams("llama"))
	n := 0
	for s.Next() {
		n++
	}
	err := s.Err()
	if err == nil || !strings.Contains(err.Error(), "stand-in failed mid-stream") {
		t.Errorf("after %d chunks: err %v, want the upstream's error event", n, err)
	}
	s.Close()
	waitFor(t, "the error to be counted", func() bool {
		return gatewaytest.Metric(e.gw.Metrics(t), `gitplane_gateway_upstream_errors_total{kind="stream",route="llama"}`) == 1
	})
}

// TestKeysAtRuntime adds a caller's key and revokes another while the gateway runs.
func TestKeysAtRuntime(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const keyC = "sk-team-c-new-0123456789"
	call := func(key string) int {
		_, err := e.client(key).Models.List(ctx)
		var apiErr *openai.Error
		if errors.As(err, &apiErr) {
			return apiErr.StatusCode
		}
		if err != nil {
			t.Fatal(err)
		}
		return 200
	}
	if call(keyC) != 401 || call(keyB) != 200 {
		t.Fatal("unexpected start state")
	}
	e.keys.Write(map[string]string{"team-a": keyA, "team-c": keyC}) // team-c added, team-b revoked
	waitFor(t, "team-c's key to work", func() bool { return call(keyC) == 200 })
	waitFor(t, "team-b's key to be refused", func() bool { return call(keyB) == 401 })
	if call(keyA) != 200 {
		t.Error("team-a's unchanged key stopped working")
	}
}

func TestReadyAndDrain(t *testing.T) {
	var ready atomic.Bool
	e := newEnv(t)
	gw := gatewaytest.Start(t, e.cfg, gatewaytest.Options{Ready: func(context.Context) error {
		if !ready.Load() {
			return errors.New("no AWS credentials")
		}
		return nil
	}})
	get := func(path string) int {
		resp, err := http.Get(gw.AdminURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 503 {
		t.Error("want healthy and not ready while credentials do not resolve")
	}
	if r, err := http.Get(gw.URL + "/readyz"); err != nil { // the API port: anyone may ask
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 503 || strings.Contains(string(body), "AWS") || !strings.Contains(gw.Logs(), "no AWS credentials") {
			t.Errorf("API port /readyz: %d %q; want 503 without the reason, which goes to the log", r.StatusCode, body)
		}
	}
	ready.Store(true)
	if get("/readyz") != 200 {
		t.Error("want ready")
	}

	// A stream in flight when shutdown begins runs to its end.
	e.up.Set(vllmtest.Behaviour{Words: []string{"a", "b", "c", "d"}, Cadence: 30 * time.Millisecond})
	req, _ := http.NewRequest("POST", gw.URL+"/v1/chat/completions", strings.NewReader(`{"model":"llama","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+keyA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error)
	go func() { stopped <- gw.Stop() }()
	rest, err := io.ReadAll(r)
	if err != nil || !strings.Contains(string(rest), "data: [DONE]") {
		t.Errorf("the stream was cut by the drain: %v %q", err, rest)
	}
	if err := <-stopped; err != nil {
		t.Error(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
