package sagemaker

import (
	"context"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider/awsapi"
)

// Embeddings sends the OpenAI embeddings request to InvokeEndpoint; an
// OpenAI-compatible container (vLLM's /invocations dispatches on the body's
// shape) answers an OpenAI embeddings list with its usage.
func (p *Provider) Embeddings(ctx context.Context, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, error) {
	body := *req
	if p.containerModel != "" {
		body.Model = p.containerModel
	}
	resp, err := p.client.PostJSON(ctx, p.invoke, &body, "container request")
	if err != nil {
		return nil, err
	}
	var out openai.EmbeddingResponse
	if err := awsapi.ReadJSON(ctx, resp, maxResponse, &out, func() bool { return out.Data != nil },
		"the model container sent no embeddings list"); err != nil {
		return nil, err
	}
	out.Model = req.Model
	return &out, nil
}
