// Package sagemaker is the gateway's Amazon SageMaker provider for
// endpoints whose container speaks OpenAI chat-completion JSON (LMI, TGI,
// vLLM): InvokeEndpoint for answers and InvokeEndpointWithResponseStream
// for streams, whose PayloadParts carry the container's SSE bytes cut at
// arbitrary places. Requests are SigV4-signed for service "sagemaker".
package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsapi"
)

// maxResponse bounds a non-streaming answer.
const maxResponse = 16 << 20

// Options configures a Provider for one route.
type Options struct {
	// EndpointName is the SageMaker endpoint.
	EndpointName string
	// Region is the SageMaker Runtime region.
	Region string
	// Endpoint overrides https://runtime.sagemaker.<region>.amazonaws.com (tests).
	Endpoint string
	// HTTPClient sends the requests (default: awsapi.DefaultHTTPClient()).
	HTTPClient *http.Client
	// Credentials signs the requests; wrapped in aws.NewCredentialsCache
	// unless it is one.
	Credentials aws.CredentialsProvider
	// Clock is the signing clock (default time.Now).
	Clock func() time.Time
	// ContainerModel, when set, replaces the request's model (the route
	// name) in the body sent to the container, e.g. vLLM's served model name.
	ContainerModel string
	// InferenceComponent and TargetVariant select what the endpoint invokes
	// (X-Amzn-SageMaker-Inference-Component / -Target-Variant).
	InferenceComponent, TargetVariant string
}

// Provider serves a route from one SageMaker endpoint.
type Provider struct {
	client         *awsapi.Client
	invoke, stream awsapi.Target
	containerModel string
}

var _ provider.Provider = (*Provider)(nil)

// New returns a Provider for opts.EndpointName.
func New(opts Options) (*Provider, error) {
	if opts.EndpointName == "" {
		return nil, errors.New("sagemaker: no endpoint name")
	}
	c, err := awsapi.New(awsapi.Options{Service: "sagemaker", Region: opts.Region, Host: "runtime.sagemaker",
		Endpoint: opts.Endpoint, HTTPClient: opts.HTTPClient, Credentials: opts.Credentials, Clock: opts.Clock})
	if err != nil {
		return nil, fmt.Errorf("sagemaker: %w", err)
	}
	invoke := http.Header{"Accept": {"application/json"}}
	stream := http.Header{"X-Amzn-Sagemaker-Accept": {"text/event-stream"}}
	for _, h := range []http.Header{invoke, stream} {
		if opts.InferenceComponent != "" {
			h["X-Amzn-Sagemaker-Inference-Component"] = []string{opts.InferenceComponent}
		}
		if opts.TargetVariant != "" {
			h["X-Amzn-Sagemaker-Target-Variant"] = []string{opts.TargetVariant}
		}
	}
	return &Provider{client: c, containerModel: opts.ContainerModel,
		invoke: c.Target("endpoints", opts.EndpointName, "invocations", invoke),
		stream: c.Target("endpoints", opts.EndpointName, "invocations-response-stream", stream)}, nil
}

// Chat sends InvokeEndpoint with the request as the container's JSON body.
func (p *Provider) Chat(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, error) {
	resp, err := p.send(ctx, p.invoke, req, false)
	if err != nil {
		return nil, err
	}
	var out openai.ChatCompletionResponse
	if err := awsapi.ReadJSON(ctx, resp, maxResponse, &out, func() bool { return out.Choices != nil },
		"the model container sent no chat completion"); err != nil {
		return nil, err
	}
	out.Model = req.Model
	return &out, nil
}

// ChatStream sends InvokeEndpointWithResponseStream, asking the container
// for usage, and passes each SSE chunk to sink as soon as its line is whole.
func (p *Provider) ChatStream(ctx context.Context, req *openai.ChatCompletionRequest, sink provider.StreamSink) error {
	resp, err := p.send(ctx, p.stream, req, true)
	if err != nil {
		return err
	}
	events := awsapi.NewEventReader(resp.Body)
	defer events.Close()
	s := &sseReader{model: req.Model, sink: sink}
	if err := s.run(events); err != nil {
		if ctx.Err() != nil {
			return awsapi.TransportError(ctx, ctx.Err())
		}
		return err
	}
	return nil
}

// send encodes the container body: the OpenAI request with stream set, and
// for streams stream_options.include_usage (vLLM rejects stream_options
// without stream).
func (p *Provider) send(ctx context.Context, t awsapi.Target, req *openai.ChatCompletionRequest, stream bool) (*http.Response, error) {
	body := *req
	body.Stream, body.StreamOptions = stream, nil
	if stream {
		body.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	if p.containerModel != "" {
		body.Model = p.containerModel
	}
	return p.client.PostJSON(ctx, t, &body, "container request")
}
