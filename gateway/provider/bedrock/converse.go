package bedrock

import "encoding/json"

// The Bedrock Converse / ConverseStream JSON shapes the provider sends and
// reads (REST-JSON members as in aws-sdk-go-v2's bedrockruntime serializers).

// converseRequest is the body of POST /model/{modelId}/converse(-stream).
type converseRequest struct {
	Messages        []message        `json:"messages"`
	System          []systemBlock    `json:"system,omitempty"`
	InferenceConfig *inferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig      *toolConfig      `json:"toolConfig,omitempty"`
}

// systemBlock is a SystemContentBlock with its text member.
type systemBlock struct {
	Text string `json:"text"`
}

// message is one user or assistant turn.
type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

// contentBlock is the ContentBlock union: exactly one member is set.
type contentBlock struct {
	Text       string      `json:"text,omitempty"`
	Image      *imageBlock `json:"image,omitempty"`
	ToolUse    *toolUse    `json:"toolUse,omitempty"`
	ToolResult *toolResult `json:"toolResult,omitempty"`
}

// imageBlock is an inline image; Bytes is already base64 (as the blob is on the wire).
type imageBlock struct {
	Format string `json:"format"`
	Source struct {
		Bytes string `json:"bytes"`
	} `json:"source"`
}

// toolUse is a tool call the assistant made.
type toolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

// toolResult answers a toolUse.
type toolResult struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []toolResultContent `json:"content"`
}

// toolResultContent is the ToolResultContentBlock union (text member only).
type toolResultContent struct {
	Text string `json:"text"`
}

// inferenceConfig holds the sampling parameters.
type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

// toolConfig offers tools and says how the model must use them.
type toolConfig struct {
	Tools      []tool      `json:"tools"`
	ToolChoice *toolChoice `json:"toolChoice,omitempty"`
}

// tool is the Tool union with its toolSpec member.
type tool struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

// toolSpec describes one function.
type toolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	InputSchema struct {
		JSON json.RawMessage `json:"json"`
	} `json:"inputSchema"`
	Strict *bool `json:"strict,omitempty"`
}

// empty is the {} value of union members without fields.
type empty struct{}

// toolChoice is the ToolChoice union: auto, any or a named tool (no "none").
type toolChoice struct {
	Auto *empty        `json:"auto,omitempty"`
	Any  *empty        `json:"any,omitempty"`
	Tool *toolChoiceOf `json:"tool,omitempty"`
}

// toolChoiceOf names the tool the model must call.
type toolChoiceOf struct {
	Name string `json:"name"`
}

// converseResponse is the Converse answer.
type converseResponse struct {
	Output struct {
		Message *responseMessage `json:"message"`
	} `json:"output"`
	StopReason string      `json:"stopReason"`
	Usage      *tokenUsage `json:"usage"`
}

// responseMessage is the assistant message of an answer.
type responseMessage struct {
	Role    string          `json:"role"`
	Content []responseBlock `json:"content"`
}

// responseBlock is a ContentBlock of an answer (reasoning and other
// members are ignored).
type responseBlock struct {
	Text    *string  `json:"text"`
	ToolUse *toolUse `json:"toolUse"`
}

// tokenUsage is TokenUsage.
type tokenUsage struct {
	InputTokens           int `json:"inputTokens"`
	OutputTokens          int `json:"outputTokens"`
	TotalTokens           int `json:"totalTokens"`
	CacheReadInputTokens  int `json:"cacheReadInputTokens"`
	CacheWriteInputTokens int `json:"cacheWriteInputTokens"`
}

// The ConverseStream event payloads.

// messageStartEvent is messageStart.
type messageStartEvent struct {
	Role string `json:"role"`
}

// contentBlockStartEvent is contentBlockStart.
type contentBlockStartEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Start             struct {
		ToolUse *struct {
			ToolUseID string `json:"toolUseId"`
			Name      string `json:"name"`
		} `json:"toolUse"`
	} `json:"start"`
}

// contentBlockDeltaEvent is contentBlockDelta (text and toolUse deltas;
// reasoning and citation deltas are ignored).
type contentBlockDeltaEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Delta             struct {
		Text    *string `json:"text"`
		ToolUse *struct {
			Input string `json:"input"`
		} `json:"toolUse"`
	} `json:"delta"`
}

// messageStopEvent is messageStop.
type messageStopEvent struct {
	StopReason string `json:"stopReason"`
}

// metadataEvent is metadata.
type metadataEvent struct {
	Usage *tokenUsage `json:"usage"`
}
