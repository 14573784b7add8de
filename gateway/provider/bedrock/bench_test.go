package bedrock_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
	"github.com/gitplane/gitplane/gateway/provider/bedrock"
)

// benchRequest is a typical chat request: a system prompt, three turns,
// sampling parameters.
const benchRequest = `{"model":"claude","messages":[
{"role":"system","content":"You are a concise assistant for the platform team."},
{"role":"user","content":"How do I roll back the gateway?"},
{"role":"assistant","content":"Revert the commit in Git; gitplane applies it."},
{"role":"user","content":"And how long does that take?"}],
"max_tokens":256,"temperature":0.3}`

// benchResponse is a typical Converse answer.
var benchResponse = []byte(`{"output":{"message":{"role":"assistant","content":[{"text":"Usually under a minute: the next poll or the webhook triggers the apply."}]}},"stopReason":"end_turn","usage":{"inputTokens":61,"outputTokens":17,"totalTokens":78},"metrics":{"latencyMs":412}}`)

// memTransport answers every request in memory with a fixed body.
type memTransport struct{ body []byte }

// RoundTrip drains the request body and answers 200 with t.body.
func (t *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: 200, Header: http.Header{"X-Amzn-Requestid": {"bench"}},
		Body: io.NopCloser(bytes.NewReader(t.body)), ContentLength: int64(len(t.body)), Request: r}, nil
}

// benchProvider returns a provider for an inference-profile id (escaped
// path) with cached temporary credentials, sending through rt.
func benchProvider(b *testing.B, endpoint string, client *http.Client) *bedrock.Provider {
	p, err := bedrock.New(bedrock.Options{ModelID: "us.anthropic.claude-3-5-sonnet-20241022-v2:0", Region: "us-east-1",
		Endpoint: endpoint, HTTPClient: client, Credentials: aws.NewCredentialsCache(awsfake.DefaultCredential.Provider())})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f b.N times and reports CPU time per op besides wall time
// (the wall time is meaningless on a loaded machine; CPU time is not).
func loop(b *testing.B, f func() error) {
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkChatMapAndSign measures the provider's own work per request:
// OpenAI→Converse mapping, JSON encoding, payload hash, SigV4 signing,
// answer decoding and Converse→OpenAI mapping (the transport is in memory).
func BenchmarkChatMapAndSign(b *testing.B) {
	p := benchProvider(b, "https://bedrock-runtime.us-east-1.amazonaws.com", &http.Client{Transport: &memTransport{body: benchResponse}})
	req := chatRequest(b, benchRequest)
	ctx := context.Background()
	loop(b, func() error { _, err := p.Chat(ctx, req); return err })
}

// BenchmarkChatLoopback adds real HTTP over loopback to the Instant
// stand-in, which re-verifies every signature (both sides in this process).
func BenchmarkChatLoopback(b *testing.B) {
	fake := awsfake.NewBedrock(awsfake.Options{Instant: true})
	defer fake.Close()
	p := benchProvider(b, fake.URL(), nil)
	req := chatRequest(b, benchRequest)
	ctx := context.Background()
	loop(b, func() error { _, err := p.Chat(ctx, req); return err })
}

// discard is a sink that drops chunks.
type discard struct{}

// Chunk drops c.
func (discard) Chunk(*openai.ChatCompletionChunk) error { return nil }

// BenchmarkChatStreamLoopback streams the stand-in's default reply
// (messageStart, 4 text deltas, stop, metadata) over loopback.
func BenchmarkChatStreamLoopback(b *testing.B) {
	fake := awsfake.NewBedrock(awsfake.Options{Instant: true})
	defer fake.Close()
	p := benchProvider(b, fake.URL(), nil)
	req := chatRequest(b, benchRequest)
	ctx := context.Background()
	loop(b, func() error { return p.ChatStream(ctx, req, discard{}) })
}
