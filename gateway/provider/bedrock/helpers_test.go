package bedrock_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
	"github.com/gitplane/gitplane/gateway/provider/bedrock"
)

// newProvider returns a Provider for model against fake, signing with the
// stand-in's default key unless opts says otherwise.
func newProvider(t testing.TB, fake *awsfake.Bedrock, model string, opts ...func(*bedrock.Options)) *bedrock.Provider {
	t.Helper()
	o := bedrock.Options{ModelID: model, Region: "us-east-1", Endpoint: fake.URL(),
		Credentials: awsfake.DefaultCredential.Provider()}
	for _, f := range opts {
		f(&o)
	}
	p, err := bedrock.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newFake starts a Bedrock stand-in closed with the test.
func newFake(t testing.TB, opts awsfake.Options) *awsfake.Bedrock {
	t.Helper()
	f := awsfake.NewBedrock(opts)
	t.Cleanup(f.Close)
	return f
}

// chatRequest decodes an OpenAI request body.
func chatRequest(t testing.TB, body string) *openai.ChatCompletionRequest {
	t.Helper()
	var req openai.ChatCompletionRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("decoding request %s: %v", body, err)
	}
	return &req
}

// canonical re-encodes JSON with sorted keys for comparison.
func canonical(t testing.TB, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// jsonOf encodes v.
func jsonOf(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sink collects chunks.
type sink struct{ chunks []*openai.ChatCompletionChunk }

// Chunk records c.
func (s *sink) Chunk(c *openai.ChatCompletionChunk) error {
	s.chunks = append(s.chunks, c)
	return nil
}

// lastRequest returns the last request the stand-in recorded.
func lastRequest(t testing.TB, fake interface{ Requests() []awsfake.Request }) awsfake.Request {
	t.Helper()
	reqs := fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("the stand-in received no request")
	}
	return reqs[len(reqs)-1]
}

// ioNopCloser wraps b as a request body.
func ioNopCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
