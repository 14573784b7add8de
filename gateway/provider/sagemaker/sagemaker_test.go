package sagemaker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
	"github.com/gitplane/gitplane/gateway/provider/sagemaker"
)

// setup starts a stand-in and a provider for endpoint "llama-3-endpoint".
func setup(t *testing.T, opts awsfake.Options, popts ...func(*sagemaker.Options)) (*awsfake.SageMaker, *sagemaker.Provider) {
	t.Helper()
	fake := awsfake.NewSageMaker(opts)
	t.Cleanup(fake.Close)
	o := sagemaker.Options{EndpointName: "llama-3-endpoint", Region: "us-east-1", Endpoint: fake.URL(),
		Credentials: awsfake.DefaultCredential.Provider()}
	for _, f := range popts {
		f(&o)
	}
	p, err := sagemaker.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return fake, p
}

// chatRequest decodes an OpenAI request body.
func chatRequest(t *testing.T, body string) *openai.ChatCompletionRequest {
	t.Helper()
	var req openai.ChatCompletionRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	return &req
}

// sink collects chunks.
type sink struct{ chunks []*openai.ChatCompletionChunk }

// Chunk records c.
func (s *sink) Chunk(c *openai.ChatCompletionChunk) error {
	s.chunks = append(s.chunks, c)
	return nil
}

// text concatenates the content deltas.
func (s *sink) text() string {
	var b strings.Builder
	for _, c := range s.chunks {
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				b.WriteString(*ch.Delta.Content)
			}
		}
	}
	return b.String()
}

// usages returns the usage of every chunk that carried one.
func (s *sink) usages() []openai.Usage {
	var out []openai.Usage
	for _, c := range s.chunks {
		if c.Usage != nil {
			out = append(out, *c.Usage)
		}
	}
	return out
}

// body decodes a recorded request body.
func body(t *testing.T, r awsfake.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestChat(t *testing.T) {
	fake, p := setup(t, awsfake.Options{Text: "Bonjour à tous"}, func(o *sagemaker.Options) {
		o.ContainerModel, o.InferenceComponent = "meta-llama/Llama-3.1-8B-Instruct", "ic-llama"
	})
	resp, err := p.Chat(context.Background(), chatRequest(t,
		`{"model":"route-sm","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"stream_options":{"include_usage":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	r := reqs[len(reqs)-1]
	b := body(t, r)
	if r.RawPath != "/endpoints/llama-3-endpoint/invocations" || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get("X-Amzn-SageMaker-Inference-Component") != "ic-llama" {
		t.Errorf("request %s %v", r.RawPath, r.Header)
	}
	if b["model"] != "meta-llama/Llama-3.1-8B-Instruct" || b["stream_options"] != nil || b["temperature"] != 0.2 {
		t.Errorf("container body %v", b)
	}
	if resp.Model != "route-sm" || resp.Choices[0].Message.Content.Text != "Bonjour à tous" || resp.Choices[0].FinishReason != "stop" ||
		resp.Usage == nil || resp.Usage.PromptTokens != awsfake.DefaultInputTokens || resp.Usage.CompletionTokens != 3 {
		t.Errorf("response %+v usage %+v", resp.Choices, resp.Usage)
	}
}

// TestStreamPartsSplitAnywhere cuts the container's SSE bytes every n
// bytes — mid-line, mid-JSON and mid-UTF-8 — and checks the chunks
// reassemble, with the usage the provider asked the container for.
func TestStreamPartsSplitAnywhere(t *testing.T) {
	const text = "Grüße aus Köln — 日本語のテキスト 🎉 done"
	for _, size := range []int{0, 1, 2, 3, 5, 7, 64, 4096} {
		t.Run(fmt.Sprintf("parts of %d bytes", size), func(t *testing.T) {
			fake, p := setup(t, awsfake.Options{Text: text, PartSize: size})
			var s sink
			if err := p.ChatStream(context.Background(), chatRequest(t, `{"model":"route-sm","messages":[{"role":"user","content":"hi"}],"stream":true}`), &s); err != nil {
				t.Fatal(err)
			}
			if got := s.text(); got != text {
				t.Errorf("reassembled %q, want %q", got, text)
			}
			u := s.usages()
			if len(u) != 1 || u[0].PromptTokens != awsfake.DefaultInputTokens || u[0].CompletionTokens != len(strings.SplitAfter(text, " ")) {
				t.Errorf("usage chunks %+v", u)
			}
			last := s.chunks[len(s.chunks)-1]
			if last.Usage == nil || len(last.Choices) != 0 {
				t.Errorf("last chunk %+v is not the usage chunk", last)
			}
			b := body(t, fake.Requests()[0])
			if b["stream"] != true || fmt.Sprint(b["stream_options"]) != "map[include_usage:true]" {
				t.Errorf("container body %v: want stream with include_usage", b)
			}
			if r := fake.Requests()[0]; r.RawPath != "/endpoints/llama-3-endpoint/invocations-response-stream" ||
				r.Header.Get("X-Amzn-SageMaker-Accept") != "text/event-stream" {
				t.Errorf("request %s %v", r.RawPath, r.Header)
			}
		})
	}
}

// TestStreamScripted covers SSE details: CRLF endings, comments, a
// container reporting cumulative usage on every chunk (the last value
// wins, once), and a stream ending without [DONE] or a final newline.
func TestStreamScripted(t *testing.T) {
	chunk := func(content string, usage int) string {
		u := ""
		if usage > 0 {
			u = fmt.Sprintf(`,"usage":{"prompt_tokens":4,"completion_tokens":%d,"total_tokens":%d}`, usage, usage+4)
		}
		return fmt.Sprintf(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":%q},"finish_reason":null}]%s}`, content, u)
	}
	cases := []struct {
		name, sse, text string
		usage           []int // completion tokens of each usage chunk
	}{
		{"crlf and comments", ": keep-alive\r\n\r\n" + chunk("a", 0) + "\r\n\r\n" + chunk("b", 0) + "\r\n\r\ndata: [DONE]\r\n\r\n", "ab", nil},
		{"cumulative usage on every chunk", chunk("a", 1) + "\n\n" + chunk("b", 2) + "\n\n" + chunk("c", 3) + "\n\ndata: [DONE]\n\n", "abc", []int{3}},
		{"no [DONE], no final newline", chunk("x", 0) + "\n\n" + chunk("y", 0), "xy", nil},
		{"bytes after [DONE] are ignored", chunk("x", 0) + "\n\ndata: [DONE]\n\n" + chunk("z", 0) + "\n\n", "x", nil},
	}
	fake, p := setup(t, awsfake.Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.Enqueue(awsfake.Reply{Events: awsfake.SSEParts([]byte(tc.sse), 3)})
			var s sink
			if err := p.ChatStream(context.Background(), chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`), &s); err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, u := range s.usages() {
				got = append(got, u.CompletionTokens)
			}
			if s.text() != tc.text || fmt.Sprint(got) != fmt.Sprint(tc.usage) {
				t.Errorf("text %q usage %v, want %q %v", s.text(), got, tc.text, tc.usage)
			}
			for i, c := range s.chunks { // the usage chunk made here too
				if c.ID != "c" || c.Created != 1 {
					t.Errorf("chunk %d: id %q created %d, want the stream's c, 1", i, c.ID, c.Created)
				}
			}
		})
	}
}

func TestStreamErrors(t *testing.T) {
	role := awsfake.Event{Type: "PayloadPart", Payload: []byte(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n")}
	cases := []struct {
		name         string
		events       []awsfake.Event
		kind         provider.ErrorKind
		code         string
		chunks       int
		fallbackable bool
	}{
		{"ModelStreamError mid-stream", []awsfake.Event{role, awsfake.ModelStreamError("ModelInvocationTimeExceeded", "took too long")},
			provider.Stream, "ModelStreamError", 1, false},
		{"InternalStreamFailure mid-stream", []awsfake.Event{role, {Exception: "InternalStreamFailure", Payload: []byte(`{"Message":"x"}`)}},
			provider.Stream, "InternalStreamFailure", 1, false},
		{"ModelStreamError before any chunk", []awsfake.Event{awsfake.ModelStreamError("StreamBroken", "broken")},
			provider.Unavailable, "ModelStreamError", 0, true},
		{"container error in the SSE data", []awsfake.Event{role, {Type: "PayloadPart",
			Payload: []byte(`data: {"error":{"message":"engine died","type":"InternalServerError","code":500}}` + "\n\n")}},
			provider.Stream, "ModelStreamError", 1, false},
	}
	fake, p := setup(t, awsfake.Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.Enqueue(awsfake.Reply{Events: tc.events})
			var s sink
			err := p.ChatStream(context.Background(), chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`), &s)
			var perr *provider.Error
			if !errors.As(err, &perr) || perr.Kind != tc.kind || perr.Code != tc.code {
				t.Fatalf("got %v, want %v %s", err, tc.kind, tc.code)
			}
			if len(s.chunks) != tc.chunks || provider.Fallbackable(err) != tc.fallbackable {
				t.Errorf("%d chunks (want %d), fallbackable %v", len(s.chunks), tc.chunks, provider.Fallbackable(err))
			}
		})
	}
}

func TestUpstreamErrors(t *testing.T) {
	cases := []struct {
		name         string
		err          *awsfake.APIError
		kind         provider.ErrorKind
		status       int
		fallbackable bool
	}{
		{"container 4xx (ModelError)", awsfake.ModelError(400, "max_tokens must be at least 1"), provider.BadRequest, 400, false},
		{"container 5xx (ModelError)", awsfake.ModelError(500, "CUDA out of memory"), provider.Unavailable, 502, true},
		{"ValidationError", awsfake.SageMakerValidation("Endpoint llama of account 123456789012 not found."), provider.BadRequest, 400, false},
		{"ServiceUnavailable", awsfake.SageMakerUnavailable(), provider.Unavailable, 502, true},
		{"ThrottlingException (HTTP 400 on SageMaker)", &awsfake.APIError{Status: 400, Type: "ThrottlingException", Message: "Rate exceeded"},
			provider.Throttled, 429, true},
		{"ModelNotReadyException", awsfake.ModelNotReady(), provider.Unavailable, 502, true},
		{"InternalFailure", &awsfake.APIError{Status: 500, Type: "InternalFailure", Message: "x"}, provider.Unavailable, 502, true},
		{"AccessDenied", awsfake.AccessDenied(), provider.Auth, 502, false},
	}
	fake, p := setup(t, awsfake.Options{})
	req := chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`)
	for _, tc := range cases {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", tc.name, stream), func(t *testing.T) {
				fake.Enqueue(awsfake.Reply{Error: tc.err})
				var err error
				if stream {
					err = p.ChatStream(context.Background(), req, &sink{})
				} else {
					_, err = p.Chat(context.Background(), req)
				}
				var perr *provider.Error
				if !errors.As(err, &perr) || perr.Kind != tc.kind || perr.HTTPStatus() != tc.status ||
					provider.Fallbackable(err) != tc.fallbackable || perr.Code != tc.err.Type {
					t.Fatalf("got %#v, want %v %d fallbackable=%v", err, tc.kind, tc.status, tc.fallbackable)
				}
				if strings.Contains(perr.Message, "CUDA") {
					t.Errorf("container message passed on: %q", perr.Message)
				}
			})
		}
	}
}

func TestEmbeddings(t *testing.T) {
	fake, p := setup(t, awsfake.Options{})
	resp, err := p.Embeddings(context.Background(), &openai.EmbeddingRequest{Model: "emb-route",
		Input: openai.EmbeddingInput{StringOrList: openai.StringOrList{Values: []string{"one two", "three"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 2 || resp.Model != "emb-route" || resp.Usage.PromptTokens != 3 || resp.Data[1].Index != 1 {
		t.Errorf("response %+v", resp)
	}
	if r := fake.Requests()[0]; r.RawPath != "/endpoints/llama-3-endpoint/invocations" {
		t.Errorf("path %s", r.RawPath)
	}
}
