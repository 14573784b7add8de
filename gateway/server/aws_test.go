package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/openai/openai-go/v3"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/internal/gatewaytest"
	"github.com/gitplane/gitplane/gateway/internal/keystest"
	gwopenai "github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
	"github.com/gitplane/gitplane/gateway/server"
)

const profileARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0"

// TestAWSRoutes sends chat and streams through Bedrock and SageMaker routes
// to stand-ins that check every SigV4 signature, and counts the cost.
func TestAWSRoutes(t *testing.T) {
	br := awsfake.NewBedrock(awsfake.Options{Text: "Hello from Bedrock"})
	t.Cleanup(br.Close)
	sm := awsfake.NewSageMaker(awsfake.Options{Text: "Hello from SageMaker", PartSize: 7})
	t.Cleanup(sm.Close)
	keys := keystest.New(t)
	keys.Write(map[string]string{"team-a": keyA})
	cfg := &config.Config{
		KeysDir: keys.Path, Region: "us-east-1",
		Routes: []config.Route{
			{Name: "claude", Bedrock: &config.BedrockRoute{ModelID: profileARN, Endpoint: br.URL()}},
			{Name: "mistral", SageMaker: &config.SageMakerRoute{EndpointName: "mistral-7b", Endpoint: sm.URL()}},
		},
		Defaults: config.Policy{AllRoutes: true},
	}
	gw := gatewaytest.Start(t, cfg, gatewaytest.Options{Backends: server.Backends{Credentials: awsfake.DefaultCredential.Provider()}})
	c := gatewaytest.Client(gw.URL, keyA)
	ctx := context.Background()
	for _, tc := range []struct{ route, want string }{{"claude", "Hello from Bedrock"}, {"mistral", "Hello from SageMaker"}} {
		resp, err := c.Chat.Completions.New(ctx, chatParams(tc.route))
		if err != nil {
			t.Fatalf("%s: %v", tc.route, err)
		}
		if got := resp.Choices[0].Message.Content; got != tc.want {
			t.Errorf("%s: %q", tc.route, got)
		}
		p := chatParams(tc.route)
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		s := c.Chat.Completions.NewStreaming(ctx, p)
		var text strings.Builder
		var usage int64
		for s.Next() {
			ch := s.Current()
			if len(ch.Choices) > 0 {
				text.WriteString(ch.Choices[0].Delta.Content)
			}
			usage += ch.Usage.TotalTokens
		}
		if err := s.Err(); err != nil {
			t.Fatalf("%s stream: %v", tc.route, err)
		}
		if strings.TrimSpace(text.String()) != tc.want || usage == 0 {
			t.Errorf("%s stream: %q usage %d", tc.route, text.String(), usage)
		}
	}
	if st := br.Stats(); st.Rejected != 0 || st.Requests != 2 {
		t.Errorf("bedrock stand-in: %+v", st)
	}
	if st := sm.Stats(); st.Rejected != 0 || st.Requests != 2 {
		t.Errorf("sagemaker stand-in: %+v", st)
	}
	gw.WaitRecorded(t, 4)
	m := gw.Metrics(t)
	st := br.Stats()
	if got := gatewaytest.Metric(m, `gitplane_gateway_tokens_total{caller="team-a",route="claude",type="output"}`); int64(got) != st.OutputTokens {
		t.Errorf("claude output tokens %v, stand-in reported %d", got, st.OutputTokens)
	}
	if got := gatewaytest.Metric(m, `gitplane_gateway_cost_usd_total{caller="team-a",route="claude"}`); got <= 0 {
		t.Errorf("no cost counted for a priced Bedrock model: %v", got)
	}
	resp, err := http.Get(gw.AdminURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("readyz %d with resolvable credentials", resp.StatusCode)
	}
}

// TestReadyNeedsAWSCredentials: with AWS routes, /readyz fails while the
// credentials do not resolve.
func TestReadyNeedsAWSCredentials(t *testing.T) {
	keys := keystest.New(t)
	keys.Write(map[string]string{"team-a": keyA})
	cfg := &config.Config{KeysDir: keys.Path, Region: "us-east-1",
		Routes: []config.Route{{Name: "claude", Bedrock: &config.BedrockRoute{ModelID: "anthropic.claude-3-haiku-20240307-v1:0", Endpoint: "http://127.0.0.1:1"}}}}
	broken := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, context.DeadlineExceeded
	})
	gw := gatewaytest.Start(t, cfg, gatewaytest.Options{Backends: server.Backends{Credentials: broken}})
	resp, err := http.Get(gw.AdminURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz %d, want 503", resp.StatusCode)
	}
}

// TestBedrockEmbeddingsBase64: Titan answers floats; a caller asking for
// encoding_format base64 (the Python and Node SDKs' default) gets the same
// vector as little-endian float32s in base64, and one asking for nothing
// gets floats.
func TestBedrockEmbeddingsBase64(t *testing.T) {
	br := awsfake.NewBedrock(awsfake.Options{})
	t.Cleanup(br.Close)
	keys := keystest.New(t)
	keys.Write(map[string]string{"team-a": keyA})
	cfg := &config.Config{
		KeysDir: keys.Path, Region: "us-east-1",
		Routes:   []config.Route{{Name: "titan", Bedrock: &config.BedrockRoute{ModelID: "amazon.titan-embed-text-v2:0", Endpoint: br.URL()}}},
		Defaults: config.Policy{AllRoutes: true},
	}
	gw := gatewaytest.Start(t, cfg, gatewaytest.Options{Backends: server.Backends{Credentials: awsfake.DefaultCredential.Provider()}})
	c := gatewaytest.Client(gw.URL, keyA)
	const text = "hello there world"
	want := awsfake.Embedding(text, 256)
	for _, format := range []openai.EmbeddingNewParamsEncodingFormat{"", openai.EmbeddingNewParamsEncodingFormatBase64} {
		resp, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
			Model: "titan", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(text)},
			Dimensions: openai.Int(256), EncodingFormat: format,
		})
		if err != nil {
			t.Fatalf("format %q: %v", format, err)
		}
		raw := resp.Data[0].JSON.Embedding.Raw()
		var got gwopenai.Vector
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatalf("format %q: %v", format, err)
		}
		if got.Base64 != (format == openai.EmbeddingNewParamsEncodingFormatBase64) || len(got.Values) != len(want) {
			t.Fatalf("format %q: base64 %v, %d values; want base64 %v, %d values", format, got.Base64, len(got.Values), !got.Base64, len(want))
		}
		for i := range want {
			if w := want[i]; got.Base64 && got.Values[i] != float64(float32(w)) || !got.Base64 && got.Values[i] != w {
				t.Fatalf("format %q: value %d is %v, want %v", format, i, got.Values[i], w)
			}
		}
	}
}
