package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
)

// emptySchema is the input schema of a tool declared without parameters.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// badRequest is a request the gateway rejects before calling Bedrock.
func badRequest(format string, args ...any) *provider.Error {
	return &provider.Error{Kind: provider.BadRequest, Status: http.StatusBadRequest, Code: "invalid_request_error",
		Message: fmt.Sprintf(format, args...)}
}

// toConverse maps an OpenAI chat request to a Converse request: system and
// developer messages become system blocks, tool messages toolResult blocks
// in user turns, assistant tool_calls toolUse blocks, and consecutive turns
// of one role are merged (Converse requires alternating roles).
func toConverse(req *openai.ChatCompletionRequest) (*converseRequest, error) {
	if req.N != nil && *req.N > 1 {
		return nil, badRequest("n: Bedrock routes return one choice; n must be 1")
	}
	out := &converseRequest{Messages: make([]message, 0, len(req.Messages))}
	usedTools := false
	for i := range req.Messages {
		m := &req.Messages[i]
		role, blocks, err := mapMessage(i, m, out)
		if err != nil {
			return nil, err
		}
		if len(blocks) == 0 {
			continue
		}
		usedTools = usedTools || hasToolBlocks(blocks)
		if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == role {
			out.Messages[n-1].Content = append(out.Messages[n-1].Content, blocks...)
			continue
		}
		out.Messages = append(out.Messages, message{Role: role, Content: blocks})
	}
	out.InferenceConfig = inference(req)
	tc, err := tools(req, usedTools, out.Messages)
	if err != nil {
		return nil, err
	}
	out.ToolConfig = tc
	return out, nil
}

// mapMessage maps messages[i] to a Converse role and content blocks; system
// and developer text goes to out.System.
func mapMessage(i int, m *openai.Message, out *converseRequest) (string, []contentBlock, error) {
	switch m.Role {
	case "system", "developer":
		for _, t := range texts(m.Content) {
			out.System = append(out.System, systemBlock{Text: t})
		}
		return "", nil, nil
	case "user":
		blocks, err := userBlocks(i, m.Content)
		return "user", blocks, err
	case "assistant":
		blocks, err := assistantBlocks(i, m)
		return "assistant", blocks, err
	case "tool":
		if m.ToolCallID == "" {
			return "", nil, badRequest("messages[%d].tool_call_id: required for tool messages", i)
		}
		return "user", []contentBlock{{ToolResult: &toolResult{ToolUseID: m.ToolCallID,
			Content: []toolResultContent{{Text: m.Content.AllText()}}}}}, nil
	}
	return "", nil, badRequest("messages[%d].role: %q is not one of system, developer, user, assistant, tool", i, m.Role)
}

// texts returns the non-blank texts of a content (Converse rejects blank text blocks).
func texts(c openai.Content) []string {
	if c.Parts == nil {
		if strings.TrimSpace(c.Text) == "" {
			return nil
		}
		return []string{c.Text}
	}
	var out []string
	for _, p := range c.Parts {
		if (p.Type == "text" || p.Type == "refusal") && strings.TrimSpace(p.Text) != "" {
			out = append(out, p.Text)
		}
	}
	return out
}

// userBlocks maps a user content: text and data: URL images.
func userBlocks(i int, c openai.Content) ([]contentBlock, error) {
	if c.Parts == nil {
		if strings.TrimSpace(c.Text) == "" {
			return nil, nil
		}
		return []contentBlock{{Text: c.Text}}, nil
	}
	blocks := make([]contentBlock, 0, len(c.Parts))
	for j, p := range c.Parts {
		switch p.Type {
		case "text":
			if strings.TrimSpace(p.Text) != "" {
				blocks = append(blocks, contentBlock{Text: p.Text})
			}
		case "image_url":
			img, err := image(p.ImageURL)
			if err != nil {
				return nil, badRequest("messages[%d].content[%d].image_url: %v", i, j, err)
			}
			blocks = append(blocks, contentBlock{Image: img})
		default:
			return nil, badRequest("messages[%d].content[%d].type: %q is not supported by Bedrock routes", i, j, p.Type)
		}
	}
	return blocks, nil
}

// image maps a data:image/<format>;base64,<data> URL (Bedrock cannot fetch URLs).
func image(u *openai.ImageURL) (*imageBlock, error) {
	if u == nil {
		return nil, fmt.Errorf("url required")
	}
	rest, ok := strings.CutPrefix(u.URL, "data:image/")
	if !ok {
		return nil, fmt.Errorf("only data:image/...;base64 URLs are supported by Bedrock routes")
	}
	format, data, ok := strings.Cut(rest, ";base64,")
	if format == "jpg" {
		format = "jpeg"
	}
	if !ok || (format != "png" && format != "jpeg" && format != "gif" && format != "webp") {
		return nil, fmt.Errorf("want a base64 png, jpeg, gif or webp data URL")
	}
	img := &imageBlock{Format: format}
	img.Source.Bytes = data
	return img, nil
}

// assistantBlocks maps an assistant message: its text, then its tool calls.
func assistantBlocks(i int, m *openai.Message) ([]contentBlock, error) {
	ts := texts(m.Content)
	blocks := make([]contentBlock, 0, len(ts)+len(m.ToolCalls))
	for _, t := range ts {
		blocks = append(blocks, contentBlock{Text: t})
	}
	for j, tc := range m.ToolCalls {
		input, err := toolInput(tc.Function.Arguments)
		if err != nil {
			return nil, badRequest("messages[%d].tool_calls[%d].function.arguments: %v", i, j, err)
		}
		blocks = append(blocks, contentBlock{ToolUse: &toolUse{ToolUseID: tc.ID, Name: tc.Function.Name, Input: input}})
	}
	return blocks, nil
}

// toolInput turns OpenAI's JSON-string arguments into the object Converse wants.
func toolInput(args string) (json.RawMessage, error) {
	b := bytes.TrimSpace([]byte(args))
	if len(b) == 0 {
		return json.RawMessage("{}"), nil
	}
	if b[0] != '{' || !json.Valid(b) {
		return nil, fmt.Errorf("want a JSON object")
	}
	return b, nil
}

// hasToolBlocks reports whether blocks hold a toolUse or toolResult.
func hasToolBlocks(blocks []contentBlock) bool {
	for _, b := range blocks {
		if b.ToolUse != nil || b.ToolResult != nil {
			return true
		}
	}
	return false
}

// inference maps max tokens (max_completion_tokens first), temperature,
// top_p and stop; nil when none is set.
func inference(req *openai.ChatCompletionRequest) *inferenceConfig {
	cfg := inferenceConfig{MaxTokens: req.MaxCompletionTokens, Temperature: req.Temperature, TopP: req.TopP}
	if cfg.MaxTokens == nil {
		cfg.MaxTokens = req.MaxTokens
	}
	for _, s := range req.Stop.Values {
		if s != "" {
			cfg.StopSequences = append(cfg.StopSequences, s)
		}
	}
	if cfg.MaxTokens == nil && cfg.Temperature == nil && cfg.TopP == nil && cfg.StopSequences == nil {
		return nil
	}
	return &cfg
}

// tools maps tools and tool_choice. Converse has no "none": the tools are
// withheld, unless the history holds tool blocks, which Converse accepts
// only with a toolConfig; then the tools are sent without a choice. A
// history with tool blocks and no tools gets stub specs for the tools it names.
func tools(req *openai.ChatCompletionRequest, usedTools bool, msgs []message) (*toolConfig, error) {
	none := req.ToolChoice != nil && req.ToolChoice.Mode == "none"
	if len(req.Tools) == 0 || (none && !usedTools) {
		if !usedTools {
			return nil, nil
		}
		return &toolConfig{Tools: stubTools(msgs)}, nil
	}
	cfg := &toolConfig{Tools: make([]tool, 0, len(req.Tools))}
	for i, t := range req.Tools {
		if t.Type != "function" || t.Function.Name == "" {
			return nil, badRequest("tools[%d]: only function tools with a name are supported", i)
		}
		spec := toolSpec{Name: t.Function.Name, Description: t.Function.Description, Strict: t.Function.Strict}
		spec.InputSchema.JSON = t.Function.Parameters
		if len(spec.InputSchema.JSON) == 0 || string(spec.InputSchema.JSON) == "null" {
			spec.InputSchema.JSON = emptySchema
		}
		cfg.Tools = append(cfg.Tools, tool{ToolSpec: spec})
	}
	if req.ToolChoice == nil || none {
		return cfg, nil
	}
	switch {
	case req.ToolChoice.Function != "":
		cfg.ToolChoice = &toolChoice{Tool: &toolChoiceOf{Name: req.ToolChoice.Function}}
	case req.ToolChoice.Mode == "auto":
		cfg.ToolChoice = &toolChoice{Auto: &empty{}}
	case req.ToolChoice.Mode == "required":
		cfg.ToolChoice = &toolChoice{Any: &empty{}}
	default:
		return nil, badRequest("tool_choice: %q is not one of none, auto, required", req.ToolChoice.Mode)
	}
	return cfg, nil
}

// stubTools declares, with an empty schema, every tool the history calls.
func stubTools(msgs []message) []tool {
	var out []tool
	seen := map[string]bool{}
	for _, m := range msgs {
		for _, b := range m.Content {
			if b.ToolUse != nil && b.ToolUse.Name != "" && !seen[b.ToolUse.Name] {
				seen[b.ToolUse.Name] = true
				spec := toolSpec{Name: b.ToolUse.Name}
				spec.InputSchema.JSON = emptySchema
				out = append(out, tool{ToolSpec: spec})
			}
		}
	}
	if out == nil {
		spec := toolSpec{Name: "unused_tool", Description: "placeholder: the conversation holds tool results"}
		spec.InputSchema.JSON = emptySchema
		out = append(out, tool{ToolSpec: spec})
	}
	return out
}
