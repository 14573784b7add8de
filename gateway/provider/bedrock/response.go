package bedrock

import (
	"strings"

	"github.com/gitplane/gitplane/gateway/openai"
)

// finishReason maps a Converse stopReason to an OpenAI finish_reason;
// unknown and future reasons end as "stop".
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "content_filtered", "guardrail_intervened":
		return "content_filter"
	}
	return "stop"
}

// usage maps TokenUsage. OpenAI's prompt_tokens counts cached tokens too, so
// it is inputTokens plus the cache reads and writes Bedrock reports apart;
// cached_tokens is the reads, cache_creation_input_tokens the writes.
func usage(u *tokenUsage) *openai.Usage {
	if u == nil {
		return nil
	}
	prompt := u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens
	out := &openai.Usage{PromptTokens: prompt, CompletionTokens: u.OutputTokens,
		TotalTokens: prompt + u.OutputTokens, CacheCreationInputTokens: u.CacheWriteInputTokens}
	if u.CacheReadInputTokens > 0 || u.CacheWriteInputTokens > 0 {
		out.PromptTokensDetails = &openai.PromptTokensDetails{CachedTokens: u.CacheReadInputTokens}
	}
	return out
}

// fromConverse maps a Converse answer to an OpenAI chat completion.
func fromConverse(r *converseResponse, id, model string, created int64) *openai.ChatCompletionResponse {
	msg := openai.Message{Role: "assistant"}
	if r.Output.Message != nil {
		var text strings.Builder
		hasText := false
		for _, b := range r.Output.Message.Content {
			switch {
			case b.Text != nil:
				text.WriteString(*b.Text)
				hasText = true
			case b.ToolUse != nil:
				msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{ID: b.ToolUse.ToolUseID, Type: "function",
					Function: openai.FunctionCall{Name: b.ToolUse.Name, Arguments: arguments(b.ToolUse.Input)}})
			}
		}
		if hasText || msg.ToolCalls == nil {
			msg.Content = openai.TextContent(text.String())
		}
	}
	return &openai.ChatCompletionResponse{ID: id, Object: "chat.completion", Created: created, Model: model,
		Choices: []openai.Choice{{Index: 0, Message: msg, FinishReason: finishReason(r.StopReason)}},
		Usage:   usage(r.Usage)}
}

// arguments turns a toolUse input object into OpenAI's JSON-string arguments.
func arguments(input []byte) string {
	if len(input) == 0 || string(input) == "null" {
		return "{}"
	}
	return string(input)
}
