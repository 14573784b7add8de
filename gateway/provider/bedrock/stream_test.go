package bedrock_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
)

// ev is a ConverseStream event from JSON.
func ev(typ, payload string) awsfake.Event { return awsfake.Event{Type: typ, Payload: []byte(payload)} }

// chunkJSON renders the parts of chunks a test compares (choices and usage).
func chunkJSON(t *testing.T, chunks []*openai.ChatCompletionChunk) []string {
	t.Helper()
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = canonical(t, jsonOf(t, map[string]any{"choices": c.Choices, "usage": c.Usage}))
	}
	return out
}

func TestStreamMapping(t *testing.T) {
	cases := []struct {
		name   string
		events []awsfake.Event
		chunks []string
	}{
		{"text without contentBlockStart, usage with cache tokens", []awsfake.Event{
			ev("messageStart", `{"role":"assistant"}`),
			ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"}}`),
			ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"lo"}}`),
			ev("contentBlockStop", `{"contentBlockIndex":0}`),
			ev("messageStop", `{"stopReason":"end_turn"}`),
			ev("metadata", `{"usage":{"inputTokens":3,"outputTokens":2,"totalTokens":105,"cacheReadInputTokens":100},"metrics":{"latencyMs":5}}`),
		}, []string{
			`{"choices":[{"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{"content":"Hel"},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{"content":"lo"},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{},"finish_reason":"stop","index":0}],"usage":null}`,
			`{"choices":[],"usage":{"completion_tokens":2,"prompt_tokens":103,"prompt_tokens_details":{"cached_tokens":100},"total_tokens":105}}`,
		}},
		{"text then two streamed tool calls", []awsfake.Event{
			ev("messageStart", `{"role":"assistant"}`),
			ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Checking."}}`),
			ev("contentBlockStop", `{"contentBlockIndex":0}`),
			ev("contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tu_1","name":"get_weather"}}}`),
			ev("contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}`),
			ev("contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}}}`),
			ev("contentBlockStop", `{"contentBlockIndex":1}`),
			ev("contentBlockStart", `{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tu_2","name":"get_time"}}}`),
			ev("contentBlockDelta", `{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{}"}}}`),
			ev("contentBlockStop", `{"contentBlockIndex":2}`),
			ev("messageStop", `{"stopReason":"tool_use"}`),
			ev("metadata", `{"usage":{"inputTokens":30,"outputTokens":12,"totalTokens":42,"cacheWriteInputTokens":8},"metrics":{"latencyMs":5}}`),
		}, []string{
			`{"choices":[{"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{"content":"Checking."},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"","name":"get_weather"},"id":"tu_1","index":0,"type":"function"}]},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{\"city\":"},"index":0}]},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"\"Paris\"}"},"index":0}]},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"","name":"get_time"},"id":"tu_2","index":1,"type":"function"}]},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{}"},"index":1}]},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{},"finish_reason":"tool_calls","index":0}],"usage":null}`,
			`{"choices":[],"usage":{"cache_creation_input_tokens":8,"completion_tokens":12,"prompt_tokens":38,"prompt_tokens_details":{"cached_tokens":0},"total_tokens":50}}`,
		}},
		{"unknown events are skipped", []awsfake.Event{
			ev("messageStart", `{"role":"assistant"}`),
			ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hmm"}}}`),
			ev("somethingNew", `{}`),
			ev("messageStop", `{"stopReason":"max_tokens"}`),
		}, []string{
			`{"choices":[{"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0}],"usage":null}`,
			`{"choices":[{"delta":{},"finish_reason":"length","index":0}],"usage":null}`,
		}},
	}
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "us.anthropic.claude-3-5-sonnet-20241022-v2:0")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.Enqueue(awsfake.Reply{Events: tc.events})
			var s sink
			if err := p.ChatStream(context.Background(), chatRequest(t, `{"model":"route-b","messages":[{"role":"user","content":"hi"}],"stream":true}`), &s); err != nil {
				t.Fatalf("ChatStream: %v", err)
			}
			got := chunkJSON(t, s.chunks)
			if strings.Join(got, "\n") != strings.Join(tc.chunks, "\n") {
				t.Errorf("chunks\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tc.chunks, "\n     "))
			}
			for _, c := range s.chunks {
				if c.ID != s.chunks[0].ID || c.Model != "route-b" || c.Object != "chat.completion.chunk" || c.Created != s.chunks[0].Created {
					t.Errorf("chunk envelope %s/%s/%s/%d differs", c.ID, c.Model, c.Object, c.Created)
				}
			}
		})
	}
}

// TestStreamForwardsEachFrame holds every frame back until the previous
// chunk reached the sink: a provider that buffered would stall here.
func TestStreamForwardsEachFrame(t *testing.T) {
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "m")
	got := make(chan struct{}, 16)
	fake.Enqueue(awsfake.Reply{
		Events: []awsfake.Event{ev("messageStart", `{"role":"assistant"}`),
			ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"a"}}`),
			ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"b"}}`),
			ev("messageStop", `{"stopReason":"end_turn"}`)},
		BeforeFrame: func(i int) {
			if i == 0 {
				return
			}
			select {
			case <-got:
			case <-time.After(10 * time.Second):
				t.Errorf("frame %d: the previous chunk did not reach the sink before the next frame was sent", i-1)
			}
		},
	})
	err := p.ChatStream(context.Background(), chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`),
		sinkFunc(func(*openai.ChatCompletionChunk) error { got <- struct{}{}; return nil }))
	if err != nil {
		t.Fatal(err)
	}
}

// sinkFunc adapts a function to provider.StreamSink.
type sinkFunc func(*openai.ChatCompletionChunk) error

// Chunk calls f.
func (f sinkFunc) Chunk(c *openai.ChatCompletionChunk) error { return f(c) }

func TestStreamExceptions(t *testing.T) {
	start := []awsfake.Event{ev("messageStart", `{"role":"assistant"}`), ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"}}`)}
	cases := []struct {
		name         string
		events       []awsfake.Event
		kind         provider.ErrorKind
		code         string
		chunks       int
		fallbackable bool
	}{
		{"throttling mid-stream", append(start[:2:2], awsfake.ExceptionEvent("throttlingException", "slow down")),
			provider.Stream, "ThrottlingException", 2, false},
		{"model stream error mid-stream", append(start[:2:2], awsfake.ExceptionEvent("modelStreamErrorException", "boom")),
			provider.Stream, "ModelStreamErrorException", 2, false},
		{"throttling before any chunk falls back", []awsfake.Event{awsfake.ExceptionEvent("throttlingException", "slow down")},
			provider.Throttled, "ThrottlingException", 0, true},
		{"service unavailable before any chunk falls back", []awsfake.Event{awsfake.ExceptionEvent("serviceUnavailableException", "down")},
			provider.Unavailable, "ServiceUnavailableException", 0, true},
		{"validation before any chunk", []awsfake.Event{awsfake.ExceptionEvent("validationException", "bad input")},
			provider.BadRequest, "ValidationException", 0, false},
	}
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "m")
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
				t.Errorf("%d chunks before the error (want %d), fallbackable %v", len(s.chunks), tc.chunks, provider.Fallbackable(err))
			}
		})
	}
}

// TestStreamCorruptFrame flips a payload byte: the SDK decoder's CRC check
// must reject the frame.
func TestStreamCorruptFrame(t *testing.T) {
	var raw bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, e := range []awsfake.Event{ev("messageStart", `{"role":"assistant"}`), ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hello"}}`)} {
		msg := eventstream.Message{Payload: e.Payload}
		msg.Headers.Set(":message-type", eventstream.StringValue("event"))
		msg.Headers.Set(":event-type", eventstream.StringValue(e.Type))
		if err := enc.Encode(&raw, msg); err != nil {
			t.Fatal(err)
		}
	}
	b := raw.Bytes()
	i := bytes.LastIndex(b, []byte("Hello"))
	b[i] = 'J'
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "m")
	fake.Enqueue(awsfake.Reply{Raw: b})
	var s sink
	err := p.ChatStream(context.Background(), chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`), &s)
	var perr *provider.Error
	var crc eventstream.ChecksumError
	if !errors.As(err, &perr) || perr.Kind != provider.Stream || !errors.As(err, &crc) {
		t.Fatalf("got %v, want a Stream error wrapping a checksum error", err)
	}
	if len(s.chunks) != 1 {
		t.Errorf("%d chunks, want only the one before the corrupt frame", len(s.chunks))
	}
	if strings.Contains(string(jsonOf(t, s.chunks)), "Jello") {
		t.Error("the corrupt payload reached the sink")
	}
}
