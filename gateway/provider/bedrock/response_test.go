package bedrock_test

import (
	"context"
	"testing"

	"github.com/gitplane/gitplane/gateway/provider/awsfake"
)

// TestResponseMapping scripts Converse answers and checks the OpenAI
// completion: text, tool calls, finish reasons and usage with cache tokens.
func TestResponseMapping(t *testing.T) {
	cases := []struct{ name, converse, choice, usage string }{
		{"text, end_turn",
			`{"output":{"message":{"role":"assistant","content":[{"text":"Hello"},{"text":" world"}]}},"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":2,"totalTokens":7},"metrics":{"latencyMs":9}}`,
			`{"index":0,"message":{"role":"assistant","content":"Hello world"},"finish_reason":"stop"}`,
			`{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}`},
		{"tool use",
			`{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]}},"stopReason":"tool_use","usage":{"inputTokens":50,"outputTokens":20,"totalTokens":70}}`,
			`{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"tooluse_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}`,
			`{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70}`},
		{"text and tool use, cache read and write tokens",
			`{"output":{"message":{"role":"assistant","content":[{"text":"Checking."},{"toolUse":{"toolUseId":"t2","name":"f","input":{}}}]}},"stopReason":"tool_use","usage":{"inputTokens":10,"outputTokens":3,"totalTokens":1513,"cacheReadInputTokens":1200,"cacheWriteInputTokens":300}}`,
			`{"index":0,"message":{"role":"assistant","content":"Checking.","tool_calls":[{"id":"t2","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}`,
			`{"prompt_tokens":1510,"completion_tokens":3,"total_tokens":1513,"prompt_tokens_details":{"cached_tokens":1200},"cache_creation_input_tokens":300}`},
		{"stop_sequence", `{"output":{"message":{"role":"assistant","content":[{"text":"a"}]}},"stopReason":"stop_sequence","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`,
			`{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}`, `{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}`},
		{"max_tokens", `{"output":{"message":{"role":"assistant","content":[{"text":"a"}]}},"stopReason":"max_tokens","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`,
			`{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"length"}`, `{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}`},
		{"content_filtered", `{"output":{"message":{"role":"assistant","content":[{"text":"a"}]}},"stopReason":"content_filtered","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`,
			`{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"content_filter"}`, `{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}`},
		{"guardrail_intervened", `{"output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}},"stopReason":"guardrail_intervened","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`,
			`{"index":0,"message":{"role":"assistant","content":"Sorry."},"finish_reason":"content_filter"}`, `{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}`},
		{"unknown stop reason", `{"output":{"message":{"role":"assistant","content":[{"text":"a"}]}},"stopReason":"something_new","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`,
			`{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}`, `{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}`},
		{"no output (guardrail)", `{"stopReason":"guardrail_intervened","usage":{"inputTokens":4,"outputTokens":0,"totalTokens":4}}`,
			`{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"content_filter"}`, `{"prompt_tokens":4,"completion_tokens":0,"total_tokens":4}`},
	}
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "anthropic.claude-3-5-sonnet-20240620-v1:0")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.Enqueue(awsfake.Reply{Body: []byte(tc.converse)})
			resp, err := p.Chat(context.Background(), chatRequest(t, `{"model":"route-a","messages":[{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if resp.Model != "route-a" || resp.Object != "chat.completion" || resp.ID == "" || len(resp.Choices) != 1 {
				t.Fatalf("envelope: %+v", resp)
			}
			if got, want := canonical(t, jsonOf(t, resp.Choices[0])), canonical(t, []byte(tc.choice)); got != want {
				t.Errorf("choice\n got %s\nwant %s", got, want)
			}
			if got, want := canonical(t, jsonOf(t, resp.Usage)), canonical(t, []byte(tc.usage)); got != want {
				t.Errorf("usage\n got %s\nwant %s", got, want)
			}
		})
	}
}
