// Package model is the provider for in-cluster OpenAI-compatible model
// servers (vLLM, TGI, LMI): it forwards chat completions and embeddings to
// the server's /v1 API, asks for usage on every stream, and maps the
// server's errors to provider errors.
package model

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
)

// maxResponseBytes bounds a non-streamed upstream answer.
const maxResponseBytes = 64 << 20

// Options configures New.
type Options struct {
	// URL is the server's base URL (http://llama.models.svc:8000), without /v1.
	URL string
	// ServedModel is the model name the server serves.
	ServedModel string
	// HTTPClient sends the requests; http.DefaultClient if nil.
	HTTPClient *http.Client
}

// Provider forwards to one OpenAI-compatible server.
type Provider struct {
	chatURL, embedURL string
	served            string
	client            *http.Client
}

// New returns a Provider for opts.
func New(opts Options) (*Provider, error) {
	if opts.URL == "" {
		return nil, errors.New("model provider: URL is required")
	}
	base := strings.TrimSuffix(strings.TrimSuffix(opts.URL, "/"), "/v1")
	c := opts.HTTPClient
	if c == nil {
		c = http.DefaultClient
	}
	return &Provider{chatURL: base + "/v1/chat/completions", embedURL: base + "/v1/embeddings", served: opts.ServedModel, client: c}, nil
}

// Chat implements provider.Provider.
func (p *Provider) Chat(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, error) {
	up := *req
	up.Model, up.Stream, up.StreamOptions = p.served, false, nil
	resp, err := p.post(ctx, p.chatURL, &up, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out openai.ChatCompletionResponse
	if err := decode(resp.Body, &out); err != nil {
		return nil, err
	}
	out.Model = req.Model // the route the caller named, not the server's model
	return &out, nil
}

// ChatStream implements provider.Provider. It always asks the server for
// usage (stream_options.include_usage) and hands every chunk, the usage
// chunk included, to sink.
func (p *Provider) ChatStream(ctx context.Context, req *openai.ChatCompletionRequest, sink provider.StreamSink) error {
	up := *req
	up.Model, up.Stream, up.StreamOptions = p.served, true, &openai.StreamOptions{IncludeUsage: true}
	resp, err := p.post(ctx, p.chatURL, &up, true)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	r := openai.NewSSEReader(resp.Body)
	var c openai.ChatCompletionChunk
	for {
		err := r.Next(&c)
		switch {
		case errors.Is(err, openai.ErrDone):
			return nil
		case err != nil:
			return streamError(ctx, err)
		}
		c.Model = req.Model
		if err := sink.Chunk(&c); err != nil {
			return err
		}
	}
}

// Embeddings implements provider.Provider.
func (p *Provider) Embeddings(ctx context.Context, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, error) {
	up := *req
	up.Model = p.served
	resp, err := p.post(ctx, p.embedURL, &up, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out openai.EmbeddingResponse
	if err := decode(resp.Body, &out); err != nil {
		return nil, err
	}
	out.Model = req.Model
	return &out, nil
}

func (p *Provider) post(ctx context.Context, url string, body any, stream bool) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, &provider.Error{Kind: provider.Internal, Message: "encoding the upstream request", Err: err}
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, &provider.Error{Kind: provider.Internal, Message: "building the upstream request", Err: err}
	}
	hr.Header["Content-Type"] = []string{"application/json"}
	if stream {
		hr.Header["Accept"] = []string{"text/event-stream"}
	}
	if id := provider.RequestID(ctx); id != "" {
		hr.Header["X-Request-Id"] = []string{id}
	}
	resp, err := p.client.Do(hr)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, statusError(resp)
	}
	return resp, nil
}

func decode(r io.Reader, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, maxResponseBytes))
	if err != nil {
		return &provider.Error{Kind: provider.Connection, Message: "reading the upstream response", Err: err}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &provider.Error{Kind: provider.Unavailable, Message: "the upstream answered malformed JSON", Err: err}
	}
	return nil
}

// transportError classifies a failure to get a response.
func transportError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded):
		return &provider.Error{Kind: provider.Timeout, Message: "the upstream did not answer in time", Err: err}
	case ctx.Err() != nil:
		return fmt.Errorf("upstream request: %w", ctx.Err())
	}
	return &provider.Error{Kind: provider.Connection, Message: "cannot reach the upstream", Err: err}
}

func streamError(ctx context.Context, err error) error {
	var se *openai.StreamError
	switch {
	case errors.As(err, &se):
		return &provider.Error{Kind: provider.Stream, Code: se.Body.Type, Message: se.Body.Message, Err: err}
	case ctx.Err() != nil:
		return transportError(ctx, err)
	}
	return &provider.Error{Kind: provider.Stream, Message: "the upstream stream broke off", Err: err}
}

// upstreamError is the body of an upstream error: OpenAI's {"error":{...}}
// (vLLM puts the HTTP status in code as a number) or a bare {"error":"..."}.
type upstreamError struct {
	Error json.RawMessage `json:"error"`
}

func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg, code := errorMessage(b)
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	e := &provider.Error{Code: code, Message: "upstream: " + msg}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		e.Kind, e.Status = provider.Throttled, http.StatusTooManyRequests
		e.RetryAfter = retryAfter(resp.Header)
	case s == http.StatusGatewayTimeout:
		e.Kind, e.Status = provider.Timeout, http.StatusGatewayTimeout
	case s >= 500, s == http.StatusNotFound:
		e.Kind, e.Status = provider.Unavailable, http.StatusBadGateway
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		e.Kind, e.Status = provider.Auth, http.StatusBadGateway
		e.Message = "the upstream refused the gateway's credentials"
	default:
		e.Kind, e.Status = provider.BadRequest, http.StatusBadRequest
	}
	if e.Code == "" {
		e.Code = strconv.Itoa(resp.StatusCode)
	}
	return e
}

func errorMessage(b []byte) (msg, code string) {
	var ue upstreamError
	if json.Unmarshal(b, &ue) != nil || len(ue.Error) == 0 {
		return "", ""
	}
	body, ok := openai.ParseError(ue.Error)
	if !ok {
		return "", ""
	}
	if body.Code != nil {
		code = *body.Code
	}
	if code == "" || isDigits(code) { // vLLM's code is the HTTP status
		code = body.Type
	}
	return body.Message, code
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func retryAfter(h http.Header) time.Duration {
	if ms, err := strconv.Atoi(h.Get("Retry-After-Ms")); err == nil && ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h.Get("Retry-After")); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}
