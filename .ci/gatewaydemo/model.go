package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gitplane/gitplane/gateway/openai"
)

// modelHandler answers chat completions as vLLM does: the served model's
// name in responses, usage in a stream only when stream_options asks.
func modelHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var req openai.ChatCompletionRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad JSON","type":"BadRequestError","code":400}}`, http.StatusBadRequest)
			return
		}
		words := []string{"Hello", " from", " the", " model", " server", " stand-in."}
		prompt := 0
		for _, m := range req.Messages {
			prompt += len(strings.Fields(m.Content.AllText())) + 4
		}
		usage := &openai.Usage{PromptTokens: prompt, CompletionTokens: len(words), TotalTokens: prompt + len(words)}
		created := time.Now().Unix()
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(openai.ChatCompletionResponse{ID: "chatcmpl-demo", Object: "chat.completion", Created: created, Model: req.Model,
				Choices: []openai.Choice{{Message: openai.Message{Role: "assistant", Content: openai.TextContent(strings.Join(words, ""))}, FinishReason: "stop"}},
				Usage:   usage})
			return
		}
		sse := openai.NewSSEWriter(w)
		chunk := func(d openai.Delta, finish *string, u *openai.Usage) {
			choices := []openai.ChunkChoice{{Delta: d, FinishReason: finish}}
			if u != nil {
				choices = []openai.ChunkChoice{}
			}
			_ = sse.Chunk(&openai.ChatCompletionChunk{ID: "chatcmpl-demo", Object: "chat.completion.chunk", Created: created, Model: req.Model, Choices: choices, Usage: u})
		}
		chunk(openai.Delta{Role: "assistant"}, nil, nil)
		for _, word := range words {
			time.Sleep(20 * time.Millisecond)
			chunk(openai.Delta{Content: &word}, nil, nil)
		}
		stop := "stop"
		chunk(openai.Delta{}, &stop, nil)
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			chunk(openai.Delta{}, nil, usage)
		}
		_ = sse.Done()
	})
	return mux
}
