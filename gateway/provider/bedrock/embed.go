package bedrock

import (
	"context"
	"errors"

	"golang.org/x/sync/errgroup"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsapi"
)

// titanRequest is the InvokeModel body of Amazon Titan text embeddings
// (dimensions only for V2 models, so only when the caller asks).
type titanRequest struct {
	InputText  string `json:"inputText"`
	Dimensions *int   `json:"dimensions,omitempty"`
}

// titanResponse is its answer.
type titanResponse struct {
	Embedding           []float64 `json:"embedding"`
	InputTextTokenCount int       `json:"inputTextTokenCount"`
}

// Embeddings embeds each input with one InvokeModel call (Titan takes one
// text per call), at most EmbedConcurrency at a time; usage sums
// inputTextTokenCount. The api handler encodes the vectors as the caller's
// encoding_format asks.
func (p *Provider) Embeddings(ctx context.Context, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, error) {
	inputs := req.Input.Values
	if len(inputs) == 0 {
		return nil, badRequest("input: at least one text is required")
	}
	for i, text := range inputs {
		if text == "" {
			return nil, badRequest("input[%d]: empty text", i)
		}
	}
	data := make([]openai.Embedding, len(inputs))
	tokens := make([]int, len(inputs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.embedConcurrency)
	for i, text := range inputs {
		g.Go(func() error {
			r, err := p.embedOne(gctx, text, req.Dimensions)
			if err != nil {
				return err
			}
			data[i] = openai.Embedding{Object: "embedding", Index: i, Embedding: openai.Floats(r.Embedding)}
			tokens[i] = r.InputTextTokenCount
			return nil
		})
	}
	err := g.Wait()
	total := 0
	for _, n := range tokens { // of the calls that answered
		total += n
	}
	if err != nil {
		var pe *provider.Error
		if total > 0 && errors.As(err, &pe) { // AWS bills the calls that answered
			used := *pe
			used.Usage = &openai.Usage{PromptTokens: total, TotalTokens: total}
			return nil, &used
		}
		return nil, err
	}
	return &openai.EmbeddingResponse{Object: "list", Data: data, Model: req.Model,
		Usage: &openai.Usage{PromptTokens: total, TotalTokens: total}}, nil
}

// embedOne sends one InvokeModel request.
func (p *Provider) embedOne(ctx context.Context, text string, dims *int) (*titanResponse, error) {
	resp, err := p.client.PostJSON(ctx, p.invoke, titanRequest{InputText: text, Dimensions: dims}, "Titan request")
	if err != nil {
		return nil, err
	}
	var out titanResponse
	if err := awsapi.ReadJSON(ctx, resp, maxResponse, &out, func() bool { return out.Embedding != nil },
		"the upstream sent a malformed Titan embeddings answer"); err != nil {
		return nil, err
	}
	return &out, nil
}
