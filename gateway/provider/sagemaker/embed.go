package sagemaker

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
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
	buf := awsapi.GetBuffer()
	if err := json.NewEncoder(buf).Encode(&body); err != nil {
		awsapi.PutBuffer(buf)
		return nil, &provider.Error{Kind: provider.Internal, Message: "encoding the container request failed", Err: err}
	}
	resp, err := p.client.Do(ctx, p.invoke, buf)
	if err != nil {
		return nil, err
	}
	rb, err := awsapi.ReadBody(resp, maxResponse)
	if err != nil {
		return nil, awsapi.TransportError(ctx, err)
	}
	defer awsapi.PutBuffer(rb)
	var out openai.EmbeddingResponse
	if err := json.Unmarshal(rb.Bytes(), &out); err != nil || out.Data == nil {
		return nil, &provider.Error{Kind: provider.Unavailable, Status: http.StatusBadGateway, Code: "InvalidResponse",
			Message: "the model container sent no embeddings list", Err: err}
	}
	out.Model = req.Model
	return &out, nil
}
