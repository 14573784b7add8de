package openai

// charsPerToken is the rule of thumb (about four characters of English text
// a token) the gateway reserves rate-limit tokens by before the upstream
// reports the real usage.
const charsPerToken = 4

// EstimateTokens returns the tokens reserved for req at admission: the
// prompt's characters (messages, tool calls and tool definitions) divided by
// four, plus max_completion_tokens or max_tokens when given. The reservation
// is settled to the upstream's usage afterwards.
func EstimateTokens(req *ChatCompletionRequest) int {
	n := 0
	for i := range req.Messages {
		m := &req.Messages[i]
		n += len(m.Content.Text) + len(m.Role) + len(m.Name)
		for _, p := range m.Content.Parts {
			n += len(p.Text)
		}
		for _, tc := range m.ToolCalls {
			n += len(tc.Function.Name) + len(tc.Function.Arguments)
		}
	}
	for _, t := range req.Tools {
		n += len(t.Function.Name) + len(t.Function.Description) + len(t.Function.Parameters)
	}
	est := (n + charsPerToken - 1) / charsPerToken
	switch {
	case req.MaxCompletionTokens != nil:
		est += max(0, *req.MaxCompletionTokens)
	case req.MaxTokens != nil:
		est += max(0, *req.MaxTokens)
	}
	return est
}

// EstimateEmbeddingTokens returns the tokens reserved for an embeddings request.
func EstimateEmbeddingTokens(req *EmbeddingRequest) int {
	n := 0
	for _, s := range req.Input.Values {
		n += len(s)
	}
	return (n + charsPerToken - 1) / charsPerToken
}
