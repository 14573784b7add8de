package bedrock_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
)

// TestRequestMapping sends OpenAI requests through the provider and checks
// the Converse body the stand-in received (which also applies Bedrock's
// alternation, blank-text and toolConfig rules).
func TestRequestMapping(t *testing.T) {
	cases := []struct{ name, openai, converse string }{
		{"system and developer messages become system blocks",
			`{"model":"r","messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"Use metric units."}]},{"role":"user","content":"hi"}]}`,
			`{"messages":[{"role":"user","content":[{"text":"hi"}]}],"system":[{"text":"Be brief."},{"text":"Use metric units."}]}`},
		{"multi-turn with same-role runs merged and blank text dropped",
			`{"model":"r","messages":[{"role":"user","content":"one"},{"role":"user","content":[{"type":"text","text":"two"},{"type":"text","text":"  "}]},{"role":"assistant","content":"three"},{"role":"assistant","content":""},{"role":"assistant","content":"four"},{"role":"user","content":"five"}]}`,
			`{"messages":[{"role":"user","content":[{"text":"one"},{"text":"two"}]},{"role":"assistant","content":[{"text":"three"},{"text":"four"}]},{"role":"user","content":[{"text":"five"}]}]}`},
		{"image parts from data URLs",
			`{"model":"r","messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}`,
			`{"messages":[{"role":"user","content":[{"text":"what is this?"},{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}}]}]}`},
		{"inference parameters, max_completion_tokens before max_tokens, stop string",
			`{"model":"r","messages":[{"role":"user","content":"hi"}],"max_tokens":10,"max_completion_tokens":20,"temperature":0.5,"top_p":0.9,"stop":"END"}`,
			`{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":20,"temperature":0.5,"topP":0.9,"stopSequences":["END"]}}`},
		{"max_tokens and a stop list",
			`{"model":"r","messages":[{"role":"user","content":"hi"}],"max_tokens":7,"stop":["a","","b"]}`,
			`{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":7,"stopSequences":["a","b"]}}`},
		{"tools with tool_choice auto",
			`{"model":"r","messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},{"type":"function","function":{"name":"noargs"}}],"tool_choice":"auto"}`,
			`{"messages":[{"role":"user","content":[{"text":"weather?"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Weather now","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}}}}}},{"toolSpec":{"name":"noargs","inputSchema":{"json":{"type":"object","properties":{}}}}}],"toolChoice":{"auto":{}}}}`},
		{"tool_choice required is any, strict kept",
			`{"model":"r","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","strict":true}}],"tool_choice":"required"}`,
			`{"messages":[{"role":"user","content":[{"text":"x"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","strict":true,"inputSchema":{"json":{"type":"object","properties":{}}}}}],"toolChoice":{"any":{}}}}`},
		{"named tool_choice",
			`{"model":"r","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
			`{"messages":[{"role":"user","content":[{"text":"x"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object","properties":{}}}}}],"toolChoice":{"tool":{"name":"f"}}}}`},
		{"tool_choice none withholds the tools",
			`{"model":"r","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"}`,
			`{"messages":[{"role":"user","content":[{"text":"x"}]}]}`},
		{"tool calls and results: toolUse in the assistant turn, results merged into one user turn",
			`{"model":"r","messages":[{"role":"user","content":"weather in Paris and Rome?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"18C"},{"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"21C"}]},{"role":"user","content":"thanks"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}`,
			`{"messages":[{"role":"user","content":[{"text":"weather in Paris and Rome?"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Paris"}}},{"toolUse":{"toolUseId":"call_2","name":"get_weather","input":{"city":"Rome"}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"text":"18C"}]}},{"toolResult":{"toolUseId":"call_2","content":[{"text":"21C"}]}},{"text":"thanks"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}}`},
		{"tool history without tools gets stub specs (Converse requires a toolConfig)",
			`{"model":"r","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"let me look","tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":""}}]},{"role":"tool","tool_call_id":"c1","content":"found"}],"tool_choice":"none"}`,
			`{"messages":[{"role":"user","content":[{"text":"x"}]},{"role":"assistant","content":[{"text":"let me look"},{"toolUse":{"toolUseId":"c1","name":"lookup","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"c1","content":[{"text":"found"}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"lookup","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}`},
	}
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "anthropic.claude-3-5-sonnet-20240620-v1:0")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := p.Chat(context.Background(), chatRequest(t, tc.openai)); err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if got, want := canonical(t, lastRequest(t, fake).Body), canonical(t, []byte(tc.converse)); got != want {
				t.Errorf("Converse body\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestRequestRejected covers requests the gateway refuses before calling Bedrock.
func TestRequestRejected(t *testing.T) {
	cases := []struct{ name, openai string }{
		{"n above 1", `{"model":"r","messages":[{"role":"user","content":"x"}],"n":2}`},
		{"image by URL", `{"model":"r","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}`},
		{"arguments not a JSON object", `{"model":"r","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`},
		{"tool message without tool_call_id", `{"model":"r","messages":[{"role":"user","content":"x"},{"role":"tool","content":"y"}]}`},
		{"unknown role", `{"model":"r","messages":[{"role":"critic","content":"x"}]}`},
	}
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "m")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Chat(context.Background(), chatRequest(t, tc.openai))
			var perr *provider.Error
			if !errors.As(err, &perr) || perr.Kind != provider.BadRequest || perr.HTTPStatus() != http.StatusBadRequest {
				t.Fatalf("got %v, want a 400 BadRequest", err)
			}
		})
	}
	if n := fake.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Bedrock", n)
	}
}
