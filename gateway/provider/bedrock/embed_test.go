package bedrock_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
	"github.com/gitplane/gitplane/gateway/provider/bedrock"
)

// embedRequest decodes an OpenAI embeddings body.
func embedRequest(t *testing.T, body string) *openai.EmbeddingRequest {
	t.Helper()
	var req openai.EmbeddingRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	return &req
}

func TestEmbeddingsTitan(t *testing.T) {
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "amazon.titan-embed-text-v2:0")
	resp, err := p.Embeddings(context.Background(), embedRequest(t, `{"model":"emb","input":"hello there world","dimensions":256}`))
	if err != nil {
		t.Fatal(err)
	}
	got := lastRequest(t, fake)
	if got.RawPath != "/model/amazon.titan-embed-text-v2%3A0/invoke" ||
		canonical(t, got.Body) != canonical(t, []byte(`{"inputText":"hello there world","dimensions":256}`)) {
		t.Errorf("InvokeModel %s %s", got.RawPath, got.Body)
	}
	want := awsfake.Embedding("hello there world", 256)
	if resp.Object != "list" || resp.Model != "emb" || len(resp.Data) != 1 || len(resp.Data[0].Embedding) != 256 ||
		resp.Data[0].Embedding[7] != want[7] || resp.Usage.PromptTokens != 3 || resp.Usage.TotalTokens != 3 {
		t.Errorf("response %+v usage %+v", resp.Data[0].Object, resp.Usage)
	}
}

// TestEmbeddingsManyInputs sends one call per input, concurrently up to
// the bound and never beyond it, and keeps the input order.
func TestEmbeddingsManyInputs(t *testing.T) {
	const limit, inputs = 3, 9
	var mu sync.Mutex
	inflight, peak := 0, 0
	reached := make(chan struct{})
	var once sync.Once
	fake := newFake(t, awsfake.Options{Respond: func(*awsfake.Request) *awsfake.Reply {
		mu.Lock()
		inflight++
		peak = max(peak, inflight)
		if inflight == limit {
			once.Do(func() { close(reached) })
		}
		mu.Unlock()
		select { // hold each call until the bound is reached, so parallelism shows
		case <-reached:
		case <-time.After(10 * time.Second):
		}
		mu.Lock()
		inflight--
		mu.Unlock()
		return nil
	}})
	p := newProvider(t, fake, "amazon.titan-embed-text-v2:0", func(o *bedrock.Options) { o.EmbedConcurrency = limit })
	texts := []string{"a", "b b", "c c c", "d", "e e", "f f f", "g", "h h", "i i i"}
	resp, err := p.Embeddings(context.Background(), &openai.EmbeddingRequest{Model: "emb", Input: openai.StringOrList{Values: texts}})
	if err != nil {
		t.Fatal(err)
	}
	if peak != limit {
		t.Errorf("peak concurrency %d, want %d", peak, limit)
	}
	if n := len(fake.Requests()); n != inputs {
		t.Errorf("%d InvokeModel calls, want %d", n, inputs)
	}
	for i, d := range resp.Data {
		if d.Index != i || d.Embedding[0] != awsfake.Embedding(texts[i], 1024)[0] {
			t.Errorf("data[%d] is not input %d's vector", i, i)
		}
	}
	if resp.Usage.PromptTokens != 18 {
		t.Errorf("prompt tokens %d, want 18", resp.Usage.PromptTokens)
	}
}

func TestEmbeddingsError(t *testing.T) {
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "amazon.titan-embed-text-v2:0")
	fake.Enqueue(awsfake.Reply{Error: awsfake.Throttling()})
	_, err := p.Embeddings(context.Background(), embedRequest(t, `{"model":"emb","input":["a","b"]}`))
	var perr *provider.Error
	if !errors.As(err, &perr) || perr.Kind != provider.Throttled {
		t.Fatalf("got %v, want Throttled", err)
	}
	_, err = p.Embeddings(context.Background(), embedRequest(t, `{"model":"emb","input":["a",""]}`))
	if !errors.As(err, &perr) || perr.Kind != provider.BadRequest {
		t.Fatalf("empty input: got %v, want BadRequest", err)
	}
}
