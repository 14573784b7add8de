// Package provider defines what a gateway backend (Amazon Bedrock, a
// SageMaker endpoint, an in-cluster Model) implements, and the typed upstream
// error the handlers map to OpenAI status codes and use to decide fallbacks.
package provider

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gitplane/gitplane/gateway/openai"
)

// Provider is one upstream backend serving a route.
type Provider interface {
	// Chat sends a non-streaming chat completion to the upstream.
	Chat(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, error)
	// ChatStream streams a chat completion: it calls sink.Chunk for every chunk as soon as the upstream
	// frame arrives (no buffering) and returns after the last one. The final chunk with Usage (if the
	// upstream reported usage) is passed to sink too; the caller decides whether the client sees it.
	ChatStream(ctx context.Context, req *openai.ChatCompletionRequest, sink StreamSink) error
	// Embeddings sends an embeddings request.
	Embeddings(ctx context.Context, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, error)
}

// StreamSink receives the chunks of a streamed chat completion. An error
// returned by Chunk makes ChatStream stop and return it. (The gateway's sink
// keeps accepting chunks after the client went away, so that the usage the
// upstream reports at the end is still charged.)
type StreamSink interface {
	Chunk(c *openai.ChatCompletionChunk) error
}

// ErrorKind classifies an upstream failure.
type ErrorKind int

// The kinds of upstream failure.
const (
	// Internal is a failure inside the gateway (encoding, a bug).
	Internal ErrorKind = iota
	// Connection is a failure to reach the upstream (refused, reset, DNS, TLS).
	Connection
	// Timeout is the route's upstream timeout expiring.
	Timeout
	// Throttled is an upstream 429 / ThrottlingException.
	Throttled
	// Unavailable is an upstream 5xx, ModelNotReady or ServiceUnavailable.
	Unavailable
	// BadRequest is an upstream 4xx or ValidationException: the request itself is wrong.
	BadRequest
	// Auth is an upstream 401/403 (the gateway's own credentials or signature).
	Auth
	// Stream is an exception the upstream sent after the stream began.
	Stream
)

var kindNames = [...]string{"internal", "connection", "timeout", "throttled", "unavailable", "bad_request", "auth", "stream"}

// String returns the kind's lower-case name, used as a metric label value.
func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Error is an upstream failure, typed so the handler can map status codes and decide fallbacks.
type Error struct {
	Kind       ErrorKind     // what failed
	Status     int           // HTTP status the gateway should answer (429 stays 429, 502/504 upstream failures, 400 validation)
	Code       string        // upstream error code, e.g. ThrottlingException
	Message    string        // safe to show the client (no credentials, no prompt text)
	RetryAfter time.Duration // upstream's Retry-After, if any
	Err        error         // underlying error, for logs; never shown to the client
	// Usage is what the upstream used before the failure, when it said so
	// (the inputs of an embeddings batch answered before one failed); it
	// is charged although the request failed.
	Usage *openai.Usage
}

// Error returns the kind, code and message.
func (e *Error) Error() string {
	s := "upstream " + e.Kind.String()
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && e.Message == "" {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus returns the status the gateway answers for e, defaulting by kind
// when Status is unset.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	switch e.Kind {
	case Timeout:
		return http.StatusGatewayTimeout
	case Throttled:
		return http.StatusTooManyRequests
	case BadRequest:
		return http.StatusBadRequest
	case Internal:
		return http.StatusInternalServerError
	}
	return http.StatusBadGateway
}

// Fallbackable reports whether a request that failed with err before the first byte reached the client may go to the next route.
func Fallbackable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Kind {
	case Connection, Timeout, Throttled, Unavailable:
		return true
	}
	return false
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the gateway's request id, which
// providers may send upstream (X-Request-Id) for correlation.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
