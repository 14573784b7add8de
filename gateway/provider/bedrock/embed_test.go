package bedrock_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

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
	if resp.Object != "list" || resp.Model != "emb" || len(resp.Data) != 1 || len(resp.Data[0].Embedding.Values) != 256 ||
		resp.Data[0].Embedding.Values[7] != want[7] || resp.Usage.PromptTokens != 3 || resp.Usage.TotalTokens != 3 {
		t.Errorf("response %+v usage %+v", resp.Data[0].Object, resp.Usage)
	}
}

// TestEmbeddingsManyInputs sends one InvokeModel call per input and keeps
// the input order.
func TestEmbeddingsManyInputs(t *testing.T) {
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "amazon.titan-embed-text-v2:0", func(o *bedrock.Options) { o.EmbedConcurrency = 3 })
	texts := []string{"a", "b b", "c c c", "d", "e e", "f f f", "g", "h h", "i i i"}
	resp, err := p.Embeddings(context.Background(), &openai.EmbeddingRequest{Model: "emb", Input: openai.EmbeddingInput{StringOrList: openai.StringOrList{Values: texts}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Requests()); n != len(texts) {
		t.Errorf("%d InvokeModel calls, want %d", n, len(texts))
	}
	for i, d := range resp.Data {
		if d.Index != i || d.Embedding.Values[0] != awsfake.Embedding(texts[i], 1024)[0] {
			t.Errorf("data[%d] is not input %d's vector", i, i)
		}
	}
	if resp.Usage.PromptTokens != 18 || resp.Usage.TotalTokens != 18 {
		t.Errorf("usage %+v, want 18 prompt tokens", resp.Usage)
	}
}

// gatedTransport answers Titan calls in memory, each held until gate
// closes, and records the peak number of calls in flight.
type gatedTransport struct {
	gate           chan struct{}
	mu             sync.Mutex
	inflight, peak int
}

// RoundTrip waits for the gate and answers a one-token embedding.
func (g *gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Body.Close()
	g.mu.Lock()
	g.inflight++
	g.peak = max(g.peak, g.inflight)
	g.mu.Unlock()
	<-g.gate
	g.mu.Lock()
	g.inflight--
	g.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"embedding":[0.5],"inputTextTokenCount":1}`)), Request: r}, nil
}

// TestEmbeddingsConcurrencyBound runs in a synctest bubble: once every
// goroutine is blocked, exactly EmbedConcurrency calls are in flight.
func TestEmbeddingsConcurrencyBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const limit = 3
		tr := &gatedTransport{gate: make(chan struct{})}
		p, err := bedrock.New(bedrock.Options{ModelID: "amazon.titan-embed-text-v2:0", Region: "us-east-1",
			Endpoint: "http://bedrock.test", HTTPClient: &http.Client{Transport: tr},
			Credentials: awsfake.DefaultCredential.Provider(), EmbedConcurrency: limit})
		if err != nil {
			t.Fatal(err)
		}
		texts := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}
		done := make(chan error, 1)
		go func() {
			_, err := p.Embeddings(context.Background(), &openai.EmbeddingRequest{Model: "e", Input: openai.EmbeddingInput{StringOrList: openai.StringOrList{Values: texts}}})
			done <- err
		}()
		synctest.Wait()
		tr.mu.Lock()
		inflight := tr.inflight
		tr.mu.Unlock()
		if inflight != limit {
			t.Errorf("%d calls in flight, want %d", inflight, limit)
		}
		close(tr.gate)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if tr.peak != limit {
			t.Errorf("peak %d calls in flight, want %d", tr.peak, limit)
		}
	})
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

// TestEmbeddingsPartialUsageOnFailure: when one input of a batch fails
// after others were embedded (and billed), the error carries their tokens.
func TestEmbeddingsPartialUsageOnFailure(t *testing.T) {
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "amazon.titan-embed-text-v2:0", func(o *bedrock.Options) { o.EmbedConcurrency = 1 })
	fake.Enqueue(awsfake.Reply{Body: []byte(`{"embedding":[0.5],"inputTextTokenCount":7}`)},
		awsfake.Reply{Error: awsfake.Validation("Malformed input request: too many tokens")})
	_, err := p.Embeddings(context.Background(), embedRequest(t, `{"model":"emb","input":["short","far too long"]}`))
	var perr *provider.Error
	if !errors.As(err, &perr) || perr.Kind != provider.BadRequest {
		t.Fatalf("got %v, want BadRequest", err)
	}
	if perr.Usage == nil || perr.Usage.PromptTokens != 7 || perr.Usage.TotalTokens != 7 {
		t.Errorf("usage on the error %+v, want the 7 tokens of the input embedded", perr.Usage)
	}
	fake.Enqueue(awsfake.Reply{Error: awsfake.Throttling()})
	if _, err := p.Embeddings(context.Background(), embedRequest(t, `{"model":"emb","input":["a"]}`)); !errors.As(err, &perr) || perr.Usage != nil {
		t.Errorf("nothing embedded: err %v, usage %+v, want none", err, perr.Usage)
	}
}
