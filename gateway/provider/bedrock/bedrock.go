// Package bedrock is the gateway's Amazon Bedrock provider: chat through
// Converse and ConverseStream (OpenAI requests, answers and stream chunks
// mapped both ways), embeddings through InvokeModel with Amazon Titan text
// embeddings, requests SigV4-signed for service "bedrock".
package bedrock

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

// maxResponse bounds a non-streaming Bedrock answer.
const maxResponse = 16 << 20

// Options configures a Provider for one route.
type Options struct {
	// ModelID is a base model id (anthropic.claude-3-5-sonnet-20240620-v1:0),
	// a cross-Region inference profile id (us.anthropic...) or an ARN.
	ModelID string
	// Region is the Bedrock Runtime region.
	Region string
	// Endpoint overrides https://bedrock-runtime.<region>.amazonaws.com (tests).
	Endpoint string
	// HTTPClient sends the requests (default: awsapi.DefaultHTTPClient()).
	HTTPClient *http.Client
	// Credentials signs the requests; wrapped in aws.NewCredentialsCache
	// unless it is one.
	Credentials aws.CredentialsProvider
	// Clock is the signing clock and the source of created (default time.Now).
	Clock func() time.Time
	// EmbedConcurrency bounds the parallel InvokeModel calls of one
	// embeddings request (default 8).
	EmbedConcurrency int
}

// acceptJSON is the header set of the JSON operations: none beyond
// Content-Type (JSON is their only answer; fewer headers, less to sign).
var acceptJSON http.Header

// Provider serves a route from one Bedrock model.
type Provider struct {
	client                   *awsapi.Client
	converse, stream, invoke awsapi.Target
	clock                    func() time.Time
	embedConcurrency         int
}

var _ provider.Provider = (*Provider)(nil)

// New returns a Provider for opts.ModelID.
func New(opts Options) (*Provider, error) {
	if opts.ModelID == "" {
		return nil, errors.New("bedrock: no model id")
	}
	c, err := awsapi.New(awsapi.Options{Service: "bedrock", Region: opts.Region, Host: "bedrock-runtime",
		Endpoint: opts.Endpoint, HTTPClient: opts.HTTPClient, Credentials: opts.Credentials, Clock: opts.Clock})
	if err != nil {
		return nil, fmt.Errorf("bedrock: %w", err)
	}
	p := &Provider{client: c, clock: opts.Clock, embedConcurrency: opts.EmbedConcurrency,
		converse: c.Target("model", opts.ModelID, "converse", acceptJSON),
		stream:   c.Target("model", opts.ModelID, "converse-stream", http.Header{"Accept": {"application/vnd.amazon.eventstream"}}),
		invoke:   c.Target("model", opts.ModelID, "invoke", acceptJSON)}
	if p.clock == nil {
		p.clock = time.Now
	}
	if p.embedConcurrency <= 0 {
		p.embedConcurrency = 8
	}
	return p, nil
}

// Chat sends a Converse request.
func (p *Provider) Chat(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, error) {
	resp, err := p.send(ctx, p.converse, req)
	if err != nil {
		return nil, err
	}
	id := responseID(resp)
	var out converseResponse
	if err := awsapi.ReadJSON(ctx, resp, maxResponse, &out, nil, "the upstream sent a malformed Converse answer"); err != nil {
		return nil, err
	}
	return fromConverse(&out, id, req.Model, p.clock().Unix()), nil
}

// ChatStream sends a ConverseStream request and passes each event to sink
// as an OpenAI chunk as soon as it is decoded.
func (p *Provider) ChatStream(ctx context.Context, req *openai.ChatCompletionRequest, sink provider.StreamSink) error {
	resp, err := p.send(ctx, p.stream, req)
	if err != nil {
		return err
	}
	events := awsapi.NewEventReader(resp.Body)
	defer events.Close()
	m := &streamMapper{id: responseID(resp), model: req.Model, created: p.clock().Unix(), sink: sink, tools: map[int]int{}}
	err = m.run(events)
	if err != nil && ctx.Err() != nil {
		return awsapi.TransportError(ctx, ctx.Err())
	}
	return err
}

// send maps req to Converse JSON and posts it to t.
func (p *Provider) send(ctx context.Context, t awsapi.Target, req *openai.ChatCompletionRequest) (*http.Response, error) {
	creq, err := toConverse(req)
	if err != nil {
		return nil, err
	}
	return p.client.PostJSON(ctx, t, creq, "Converse request")
}

// responseID is the completion id: Bedrock's request id.
func responseID(resp *http.Response) string {
	if id := resp.Header.Get("X-Amzn-Requestid"); id != "" {
		return "chatcmpl-" + id
	}
	return "chatcmpl-bedrock"
}
