package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/internal/gatewaytest"
	"github.com/gitplane/gitplane/gateway/internal/keystest"
	"github.com/gitplane/gitplane/gateway/internal/vllmtest"
)

// env is one gateway in front of a vLLM-like stand-in, with two callers:
// team-a may use every route, team-b only "llama".
type env struct {
	gw   *gatewaytest.Gateway
	up   *vllmtest.Server
	keys *keystest.Dir
	cfg  *config.Config
}

const (
	keyA = "sk-team-a-0123456789abcdef"
	keyB = "sk-team-b-0123456789abcdef"
)

func newEnv(t *testing.T, edit ...func(*config.Config)) *env {
	t.Helper()
	up := vllmtest.New(t)
	keys := keystest.New(t)
	keys.Write(map[string]string{"team-a": keyA, "team-b": keyB})
	cfg := &config.Config{
		KeysDir: keys.Path,
		Routes: []config.Route{
			{Name: "llama", Model: &config.ModelRoute{URL: up.URL, ServedModel: "meta-llama/Llama-3.1-8B-Instruct"}},
			{Name: "embed", Model: &config.ModelRoute{URL: up.URL}},
			{Name: "big", Model: &config.ModelRoute{URL: up.URL}},
		},
		Defaults: config.Policy{AllRoutes: true},
		Callers:  []config.Caller{{Name: "team-b", Routes: []string{"llama"}}},
	}
	for _, e := range edit {
		e(cfg)
	}
	return &env{gw: gatewaytest.Start(t, cfg, gatewaytest.Options{}), up: up, keys: keys, cfg: cfg}
}

func (e *env) client(key string) *openai.Client { c := gatewaytest.Client(e.gw.URL, key); return &c }

func chatParams(model string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("say hello")},
	}
}

func TestChat(t *testing.T) {
	e := newEnv(t)
	resp, err := e.client(keyA).Chat.Completions.New(context.Background(), chatParams("llama"))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Hello world" {
		t.Errorf("content %q", got)
	}
	if resp.Model != "llama" {
		t.Errorf("model %q, want the route the caller named, not the server's model", resp.Model)
	}
	if resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens != 2 {
		t.Errorf("usage %+v", resp.Usage)
	}
	reqs := e.up.Requests()
	if len(reqs) != 1 || reqs[0].Model != "meta-llama/Llama-3.1-8B-Instruct" || len(reqs[0].Messages) != 2 {
		t.Errorf("upstream got %+v, want the served model name and both messages", reqs)
	}
	e.gw.WaitRecorded(t, 1)
	m := e.gw.Metrics(t)
	if v := gatewaytest.Metric(m, `gitplane_gateway_tokens_total{caller="team-a",route="llama",type="output"}`); v != 2 {
		t.Errorf("output tokens metric = %v, want 2", v)
	}
	logs := e.gw.Logs()
	if !strings.Contains(logs, `"caller":"team-a"`) || !strings.Contains(logs, `"route":"llama"`) || !strings.Contains(logs, `"output_tokens":2`) {
		t.Errorf("access log lacks caller/route/tokens:\n%s", logs)
	}
	for _, secret := range []string{"say hello", "be brief", "Hello world", keyA} {
		if strings.Contains(logs, secret) || strings.Contains(m, secret) {
			t.Errorf("%q (prompt, completion or key) is in the logs or metrics", secret)
		}
	}
}

func TestChatToolCalls(t *testing.T) {
	e := newEnv(t)
	p := chatParams("llama")
	p.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: "weather", Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	})}
	p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")}
	resp, err := e.client(keyA).Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	tc := resp.Choices[0].Message.ToolCalls
	if resp.Choices[0].FinishReason != "tool_calls" || len(tc) != 1 || tc[0].Function.Name != "weather" || tc[0].Function.Arguments != `{"city":"Paris"}` {
		t.Fatalf("tool calls %+v finish %q", tc, resp.Choices[0].FinishReason)
	}
	if got := e.up.Requests()[0]; len(got.Tools) != 1 || got.ToolChoice == nil || got.ToolChoice.Mode != "auto" {
		t.Errorf("upstream got tools %+v choice %+v", got.Tools, got.ToolChoice)
	}

	// The result goes back as a tool message and the stream carries the call in fragments.
	stream := e.client(keyA).Chat.Completions.NewStreaming(context.Background(), p)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := acc.Choices[0].Message.ToolCalls; len(got) != 1 || got[0].Function.Arguments != `{"city":"Paris"}` || got[0].ID != "call_1" {
		t.Errorf("streamed tool calls %+v", got)
	}
}

func TestStreamUsageOnlyWhenAsked(t *testing.T) {
	tests := []struct {
		name      string
		askUsage  bool
		wantUsage bool
	}{
		{"client asks for usage", true, true},
		{"client does not ask", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := chatParams("llama")
			if tt.askUsage {
				p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			}
			stream := e.client(keyA).Chat.Completions.NewStreaming(context.Background(), p)
			var text strings.Builder
			sawUsage := false
			for stream.Next() {
				c := stream.Current()
				if len(c.Choices) > 0 {
					text.WriteString(c.Choices[0].Delta.Content)
				}
				if c.Model != "llama" {
					t.Errorf("chunk model %q, want the route llama", c.Model)
				}
				if c.JSON.Usage.Valid() && c.Usage.TotalTokens > 0 {
					sawUsage = true
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if text.String() != "Hello world" || sawUsage != tt.wantUsage {
				t.Errorf("text %q, usage chunk seen %v, want %v", text.String(), sawUsage, tt.wantUsage)
			}
			if so := e.up.Requests()[0].StreamOptions; so == nil || !so.IncludeUsage {
				t.Errorf("the gateway did not ask the upstream for usage: %+v", so)
			}
			e.gw.WaitRecorded(t, 1)
			prompt, completion := e.up.Reported()
			m := e.gw.Metrics(t)
			if got := gatewaytest.Metric(m, `gitplane_gateway_tokens_total{caller="team-a",route="llama",type="input"}`); int(got) != prompt {
				t.Errorf("input tokens metric %v, upstream reported %d", got, prompt)
			}
			if got := gatewaytest.Metric(m, `gitplane_gateway_tokens_total{caller="team-a",route="llama",type="output"}`); int(got) != completion {
				t.Errorf("output tokens metric %v, upstream reported %d", got, completion)
			}
		})
	}
}

func TestEmbeddingsAndModels(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	emb, err := e.client(keyA).Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: "embed", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"abcd", "efghijkl"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 2 || emb.Data[1].Embedding[0] != 8 || emb.Usage.PromptTokens != 3 || emb.Model != "embed" {
		t.Errorf("embeddings %+v", emb)
	}
	// The Python and Node SDKs ask for base64 by default; the upstream
	// (like vLLM) answers base64 too, and the gateway passes the caller
	// little-endian float32s in base64.
	b64, err := e.client(keyA).Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: "embed", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("abcd")},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(b64.Data) != 1 || b64.Data[0].JSON.Embedding.Raw() != `"AACAQAAAAD8AAIC+"` { // 4, 0.5, -0.25
		t.Errorf("base64 embedding = %s", b64.Data[0].JSON.Embedding.Raw())
	}
	_, err = e.client(keyA).Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: "embed", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("abcd")}, EncodingFormat: "hex",
	})
	if apiErr := (*openai.Error)(nil); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "encoding_format" {
		t.Errorf("encoding_format hex: err = %v, want a 400 on encoding_format", err)
	}
	for _, tc := range []struct {
		key  string
		want string
	}{{keyA, "llama,embed,big"}, {keyB, "llama"}} {
		page, err := e.client(tc.key).Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range page.Data {
			ids = append(ids, m.ID)
		}
		if got := strings.Join(ids, ","); got != tc.want {
			t.Errorf("models = %s, want %s", got, tc.want)
		}
	}
}

// TestTypedErrors checks the SDK's view of the gateway's errors.
func TestTypedErrors(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.Callers = append(c.Callers, config.Caller{Name: "team-a", RateLimit: &config.RateLimit{RequestsPerMinute: 1, Burst: 1}})
	})
	ctx := context.Background()
	tests := []struct {
		name, key, model string
		status           int
		code, typ        string
	}{
		{"unknown key", "sk-nope", "llama", 401, "invalid_api_key", "invalid_request_error"},
		{"route not allowed", keyB, "big", 403, "model_not_allowed", "invalid_request_error"},
		{"unknown model", keyB, "gpt-17", 404, "model_not_found", "invalid_request_error"},
		{"first request within limit", keyA, "llama", 200, "", ""},
		{"rate limited", keyA, "llama", 429, "rate_limit_exceeded", "requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client(tt.key).Chat.Completions.New(ctx, chatParams(tt.model))
			if tt.status == 200 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("want *openai.Error, got %T %v", err, err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Code != tt.code || apiErr.Type != tt.typ {
				t.Errorf("got %d %q %q, want %d %q %q", apiErr.StatusCode, apiErr.Code, apiErr.Type, tt.status, tt.code, tt.typ)
			}
		})
	}
	e.gw.WaitRecorded(t, uint64(len(tests)))
	m := e.gw.Metrics(t)
	if strings.Contains(m, "gpt-17") || strings.Contains(m, "sk-nope") {
		t.Error("unauthenticated or unknown input became a metric label")
	}
	if v := gatewaytest.Metric(m, `gitplane_gateway_requests_total{caller="unauthenticated",code="401",model="none",route="none"}`); v != 1 {
		t.Errorf("401 not counted under the fixed label: %v", v)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.Defaults.RateLimit = &config.RateLimit{RequestsPerMinute: 2, Burst: 2, TokensPerMinute: 100000}
	})
	do := func() *http.Response {
		req, _ := http.NewRequest("POST", e.gw.URL+"/v1/chat/completions", strings.NewReader(`{"model":"llama","messages":[{"role":"user","content":"hi"}],"max_tokens":10}`))
		req.Header.Set("Authorization", "Bearer "+keyA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	first := do()
	if first.StatusCode != 200 || first.Header.Get("X-Ratelimit-Limit-Requests") != "2" || first.Header.Get("X-Ratelimit-Remaining-Requests") != "1" ||
		first.Header.Get("X-Ratelimit-Limit-Tokens") != "100000" || first.Header.Get("X-Ratelimit-Remaining-Tokens") == "" {
		t.Errorf("first: %d %v", first.StatusCode, first.Header)
	}
	do()
	third := do()
	if third.StatusCode != 429 || third.Header.Get("Retry-After") != "30" || third.Header.Get("X-Ratelimit-Remaining-Requests") != "0" ||
		third.Header.Get("X-Ratelimit-Reset-Requests") == "" {
		t.Errorf("third: %d %v", third.StatusCode, third.Header)
	}
}

// TestFailedRequestGivesTokensBack: a request the upstream refused used no
// tokens, so its reservation does not count against the caller's budget.
func TestFailedRequestGivesTokensBack(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Defaults.RateLimit = &config.RateLimit{TokensPerMinute: 100} })
	p := chatParams("llama")
	p.MaxTokens = openai.Int(80)
	e.up.Set(vllmtest.Behaviour{Status: 503})
	if _, err := e.client(keyA).Chat.Completions.New(context.Background(), p); err == nil {
		t.Fatal("want the upstream's 503")
	}
	e.up.Set(vllmtest.Behaviour{})
	if _, err := e.client(keyA).Chat.Completions.New(context.Background(), p); err != nil {
		t.Fatalf("the failed request's 80 reserved tokens were kept: %v", err)
	}
}
