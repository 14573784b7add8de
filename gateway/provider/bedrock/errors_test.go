package bedrock_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
	"github.com/gitplane/gitplane/gateway/provider/bedrock"
)

// TestUpstreamErrors maps Bedrock's documented errors, for Chat and for
// ChatStream (whose errors come back as HTTP answers before any event).
func TestUpstreamErrors(t *testing.T) {
	cases := []struct {
		name         string
		err          *awsfake.APIError
		kind         provider.ErrorKind
		status       int
		fallbackable bool
		message      string // a substring of the client-safe message
	}{
		{"throttling", awsfake.Throttling(), provider.Throttled, 429, true, "throttling"},
		{"validation", awsfake.Validation("The provided model identifier is invalid."), provider.BadRequest, 400, false,
			"The provided model identifier is invalid."},
		{"model not ready", awsfake.ModelNotReady(), provider.Unavailable, 502, true, "not ready"},
		{"service unavailable", awsfake.ServiceUnavailable(), provider.Unavailable, 502, true, "unavailable"},
		{"internal server error", &awsfake.APIError{Status: 500, Type: "InternalServerException", Message: "oops"},
			provider.Unavailable, 502, true, "unavailable"},
		{"bare 503 without a type", &awsfake.APIError{Status: 503, Message: "down"}, provider.Unavailable, 502, true, "unavailable"},
		{"service quota exceeded", &awsfake.APIError{Status: 400, Type: "ServiceQuotaExceededException", Message: "quota"},
			provider.Throttled, 429, true, "throttling"},
		{"model timeout", &awsfake.APIError{Status: 408, Type: "ModelTimeoutException", Message: "slow"},
			provider.Timeout, 504, true, "timed out"},
		{"access denied names no account", &awsfake.APIError{Status: 403, Type: "AccessDeniedException",
			Message: "User: arn:aws:sts::123456789012:assumed-role/gateway/x is not authorized to perform: bedrock:InvokeModel"},
			provider.Auth, 502, false, "AccessDeniedException"},
		{"resource not found", &awsfake.APIError{Status: 404, Type: "ResourceNotFoundException", Message: "no such model"},
			provider.Unavailable, 502, true, "does not exist"},
	}
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "anthropic.claude-3-5-sonnet-20240620-v1:0")
	req := chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`)
	for _, tc := range cases {
		for _, stream := range []bool{false, true} {
			name := tc.name
			if stream {
				name += " (stream)"
			}
			t.Run(name, func(t *testing.T) {
				fake.Enqueue(awsfake.Reply{Error: tc.err})
				var err error
				if stream {
					err = p.ChatStream(context.Background(), req, &sink{})
				} else {
					_, err = p.Chat(context.Background(), req)
				}
				var perr *provider.Error
				if !errors.As(err, &perr) {
					t.Fatalf("got %v, want a *provider.Error", err)
				}
				if perr.Kind != tc.kind || perr.HTTPStatus() != tc.status || provider.Fallbackable(err) != tc.fallbackable {
					t.Errorf("got %v status %d fallbackable %v, want %v %d %v", perr.Kind, perr.HTTPStatus(),
						provider.Fallbackable(err), tc.kind, tc.status, tc.fallbackable)
				}
				if tc.err.Type != "" && perr.Code != tc.err.Type {
					t.Errorf("code %q, want %q", perr.Code, tc.err.Type)
				}
				if !strings.Contains(perr.Message, tc.message) || strings.Contains(perr.Message, "123456789012") {
					t.Errorf("message %q: want it to contain %q and no account id", perr.Message, tc.message)
				}
			})
		}
	}
}

func TestTimeouts(t *testing.T) {
	fake := newFake(t, awsfake.Options{})
	p := newProvider(t, fake, "m")
	req := chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`)
	t.Run("no answer in time", func(t *testing.T) {
		fake.Enqueue(awsfake.Reply{Delay: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := p.Chat(ctx, req)
		var perr *provider.Error
		if !errors.As(err, &perr) || perr.Kind != provider.Timeout || perr.HTTPStatus() != http.StatusGatewayTimeout {
			t.Fatalf("got %v, want a 504 Timeout", err)
		}
	})
	t.Run("stream stalls", func(t *testing.T) {
		fake.Enqueue(awsfake.Reply{FrameDelay: time.Minute, Events: []awsfake.Event{
			ev("messageStart", `{"role":"assistant"}`), ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"a"}}`)}})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		var s sink
		err := p.ChatStream(ctx, req, &s)
		var perr *provider.Error
		if !errors.As(err, &perr) || perr.Kind != provider.Timeout || len(s.chunks) != 1 {
			t.Fatalf("got %v after %d chunks, want a Timeout after 1", err, len(s.chunks))
		}
	})
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p, err := bedrock.New(bedrock.Options{ModelID: "m", Region: "us-east-1", Endpoint: "http://" + addr,
		Credentials: awsfake.DefaultCredential.Provider()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Chat(context.Background(), chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`))
	var perr *provider.Error
	if !errors.As(err, &perr) || perr.Kind != provider.Connection || !provider.Fallbackable(err) {
		t.Fatalf("got %v, want a fallbackable Connection error", err)
	}
}
