// Package vllmtest is an httptest stand-in for an OpenAI-compatible model
// server with vLLM's behaviour: usage in a stream only when stream_options
// asks for it (a final chunk with empty choices), errors as {"error":{...,
// "code": <HTTP status>}}, tool calls, embeddings, and knobs for failures.
package vllmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gitplane/gitplane/gateway/openai"
)

// Behaviour says how the stand-in answers. The zero value answers at once.
type Behaviour struct {
	// Status, when not 0 or 200, fails every request with it.
	Status int
	// RetryAfter is sent with Status (seconds).
	RetryAfter string
	// Words are the content chunks of an answer (default: "Hello", " world").
	Words []string
	// Cadence is the pause before each stream chunk after the first.
	Cadence time.Duration
	// Delay is the pause before a non-streamed answer.
	Delay time.Duration
	// FailAfter, when > 0, sends an error event after that many content chunks.
	FailAfter int
	// CutAfter, when > 0, closes the stream after that many content chunks,
	// without usage or [DONE].
	CutAfter int
}

// Server is the stand-in.
type Server struct {
	*httptest.Server
	mu        sync.Mutex
	behaviour Behaviour
	requests  []openai.ChatCompletionRequest
	// Sent counts usage the stand-in reported: prompt and completion tokens.
	sentPrompt, sentCompletion int
}

// New starts a stand-in; it closes when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// NewUnstarted returns a stand-in handler without a listener (benchmarks
// serve it themselves).
func NewUnstarted() *Server { return &Server{} }

// Set replaces the behaviour.
func (s *Server) Set(b Behaviour) {
	s.mu.Lock()
	s.behaviour = b
	s.mu.Unlock()
}

// Requests returns the chat requests received.
func (s *Server) Requests() []openai.ChatCompletionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]openai.ChatCompletionRequest(nil), s.requests...)
}

// Reported returns the usage the stand-in has reported in total.
func (s *Server) Reported() (prompt, completion int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentPrompt, s.sentCompletion
}

func (s *Server) report(u *openai.Usage) {
	s.mu.Lock()
	s.sentPrompt += u.PromptTokens
	s.sentCompletion += u.CompletionTokens
	s.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b := s.behaviour
	s.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if b.Status != 0 && b.Status != http.StatusOK {
		if b.RetryAfter != "" {
			w.Header().Set("Retry-After", b.RetryAfter)
		}
		writeError(w, b.Status, "stand-in failure")
		return
	}
	switch r.URL.Path {
	case "/v1/chat/completions":
		var req openai.ChatCompletionRequest
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "bad json: "+err.Error())
			return
		}
		if req.StreamOptions != nil && !req.Stream {
			writeError(w, http.StatusBadRequest, "Stream options can only be defined when `stream=True`.")
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
		if req.Stream {
			s.stream(w, &req, b)
			return
		}
		s.complete(w, &req, b)
	case "/v1/embeddings":
		var req openai.EmbeddingRequest
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "bad json")
			return
		}
		resp := openai.EmbeddingResponse{Object: "list", Model: req.Model}
		n := 0
		for i, in := range req.Input.Values {
			// As vLLM, base64 (little-endian float32) when asked.
			vec := openai.Vector{Values: []float64{float64(len(in)), 0.5, -0.25}, Base64: req.EncodingFormat == openai.EncodingBase64}
			resp.Data = append(resp.Data, openai.Embedding{Object: "embedding", Index: i, Embedding: vec})
			n += promptTokensOf(in)
		}
		resp.Usage = &openai.Usage{PromptTokens: n, TotalTokens: n}
		s.report(resp.Usage)
		writeJSON(w, resp)
	default:
		writeError(w, http.StatusNotFound, "no such path")
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":%q,"param":null,"code":%d}}`, msg, strings.ReplaceAll(http.StatusText(status), " ", ""), status)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func promptTokensOf(s string) int { return (len(s) + 3) / 4 }

func promptTokens(req *openai.ChatCompletionRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += promptTokensOf(m.Content.AllText()) + 3
	}
	return n
}

func words(b Behaviour) []string {
	if len(b.Words) > 0 {
		return b.Words
	}
	return []string{"Hello", " world"}
}

func (s *Server) complete(w http.ResponseWriter, req *openai.ChatCompletionRequest, b Behaviour) {
	if b.Delay > 0 {
		time.Sleep(b.Delay)
	}
	ws := words(b)
	msg := openai.Message{Role: "assistant", Content: openai.TextContent(strings.Join(ws, ""))}
	finish := "stop"
	if len(req.Tools) > 0 {
		msg = openai.Message{Role: "assistant", ToolCalls: []openai.ToolCall{{ID: "call_1", Type: "function",
			Function: openai.FunctionCall{Name: req.Tools[0].Function.Name, Arguments: `{"city":"Paris"}`}}}}
		finish = "tool_calls"
	}
	u := &openai.Usage{PromptTokens: promptTokens(req), CompletionTokens: len(ws)}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	s.report(u)
	writeJSON(w, openai.ChatCompletionResponse{ID: "cmpl-standin", Object: "chat.completion", Created: 1700000000, Model: req.Model,
		Choices: []openai.Choice{{Index: 0, Message: msg, FinishReason: finish}}, Usage: u})
}

func (s *Server) stream(w http.ResponseWriter, req *openai.ChatCompletionRequest, b Behaviour) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	sse := openai.NewSSEWriter(w)
	chunk := func(d openai.Delta, finish *string) *openai.ChatCompletionChunk {
		return &openai.ChatCompletionChunk{ID: "cmpl-standin", Object: "chat.completion.chunk", Created: 1700000000, Model: req.Model,
			Choices: []openai.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}}
	}
	empty := ""
	if sse.Chunk(chunk(openai.Delta{Role: "assistant", Content: &empty}, nil)) != nil {
		return
	}
	ws := words(b)
	finish := "stop"
	if len(req.Tools) > 0 {
		i := 0
		ws = []string{`{"city":`, `"Paris"}`}
		finish = "tool_calls"
		for k, part := range ws {
			tc := openai.ToolCall{Index: &i, Function: openai.FunctionCall{Arguments: part}}
			if k == 0 {
				tc.ID, tc.Type, tc.Function.Name = "call_1", "function", req.Tools[0].Function.Name
			}
			if sse.Chunk(chunk(openai.Delta{ToolCalls: []openai.ToolCall{tc}}, nil)) != nil {
				return
			}
		}
	} else {
		for k, word := range ws {
			if b.FailAfter > 0 && k == b.FailAfter {
				// vLLM's error event: the HTTP status as a number in code
				fmt.Fprint(w, `data: {"error":{"message":"stand-in failed mid-stream","type":"InternalServerError","param":null,"code":500}}`+"\n\n")
				return
			}
			if b.CutAfter > 0 && k == b.CutAfter {
				return
			}
			if b.Cadence > 0 {
				time.Sleep(b.Cadence)
			}
			if sse.Chunk(chunk(openai.Delta{Content: &word}, nil)) != nil {
				return
			}
		}
	}
	if sse.Chunk(chunk(openai.Delta{}, &finish)) != nil {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		u := &openai.Usage{PromptTokens: promptTokens(req), CompletionTokens: len(ws)}
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		c := &openai.ChatCompletionChunk{ID: "cmpl-standin", Object: "chat.completion.chunk", Created: 1700000000, Model: req.Model,
			Choices: []openai.ChunkChoice{}, Usage: u}
		if sse.Chunk(c) != nil {
			return
		}
		s.report(u)
	}
	_ = sse.Done()
}
