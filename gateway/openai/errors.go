package openai

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Error types and codes the gateway answers with, as OpenAI spells them.
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeServer         = "server_error"
	TypeRequests       = "requests" // 429 type when the requests-per-minute limit is hit
	TypeTokens         = "tokens"   // 429 type when the tokens-per-minute limit is hit

	CodeInvalidAPIKey     = "invalid_api_key"
	CodeModelNotFound     = "model_not_found"
	CodeModelNotAllowed   = "model_not_allowed"
	CodeRateLimitExceeded = "rate_limit_exceeded"
	CodeUpstreamError     = "upstream_error"
	CodeUpstreamTimeout   = "upstream_timeout"
	CodeTooManyStreams    = "too_many_streams"
	CodeBodyTooLarge      = "request_too_large"
)

// APIError is an error the gateway answers with: an HTTP status and the
// OpenAI error body.
type APIError struct {
	Status  int
	Type    string
	Code    string
	Param   string
	Message string
}

// Error returns the message.
func (e *APIError) Error() string { return e.Message }

// Body returns the OpenAI error envelope of e.
func (e *APIError) Body() ErrorResponse {
	b := ErrorResponse{Error: ErrorBody{Message: e.Message, Type: e.Type}}
	if e.Code != "" {
		b.Error.Code = &e.Code
	}
	if e.Param != "" {
		b.Error.Param = &e.Param
	}
	return b
}

// Write sends e as the response. Headers already set on w (Retry-After,
// x-ratelimit-*) are kept.
func (e *APIError) Write(w http.ResponseWriter) {
	body, _ := json.Marshal(e.Body())
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(e.Status)
	_, _ = w.Write(append(body, '\n'))
}

// InvalidRequest returns a 400 invalid_request_error about param.
func InvalidRequest(param, msg string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: TypeInvalidRequest, Param: param, Message: msg}
}
