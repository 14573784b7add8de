package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/restjson"

	"github.com/gitplane/gitplane/gateway/provider"
)

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// maxMessage bounds the upstream message passed on to the client.
const maxMessage = 512

// ResponseError reads and closes a non-2xx response and maps it: the error
// name comes from X-Amzn-ErrorType (else the body's code/__type), sanitised
// as the SDK does.
func ResponseError(resp *http.Response) *provider.Error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	code := restjson.SanitizeErrorCode(resp.Header.Get("X-Amzn-ErrorType"))
	bodyCode, message, _ := restjson.GetErrorInfo(json.NewDecoder(bytes.NewReader(body)))
	if code == "" {
		code = bodyCode
	}
	var extra struct {
		OriginalStatusCode int
	}
	_ = json.Unmarshal(body, &extra)
	e := Map(resp.StatusCode, code, message, extra.OriginalStatusCode)
	e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	return e
}

// Map classifies an AWS error by name first and HTTP status second.
// originalStatus is SageMaker ModelError's / Bedrock ModelErrorException's
// container status (0 when absent). Messages the client sees are the
// service's own for request errors, and fixed texts for credential and
// server errors (those can name the account or role).
func Map(status int, code, message string, originalStatus int) *provider.Error {
	e := &provider.Error{Code: code}
	switch {
	case code == "ThrottlingException" || code == "TooManyRequestsException" || code == "ServiceQuotaExceededException":
		e.Kind, e.Status, e.Message = provider.Throttled, http.StatusTooManyRequests, "the upstream is throttling requests"
	case code == "ModelNotReadyException":
		e.Kind, e.Status, e.Message = provider.Unavailable, http.StatusBadGateway, "the upstream model is not ready"
	case code == "ModelTimeoutException" || status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		e.Kind, e.Status, e.Message = provider.Timeout, http.StatusGatewayTimeout, "the upstream model timed out"
	case code == "ModelError" || code == "ModelErrorException":
		e.Kind, e.Status = modelErrorKind(originalStatus)
		e.Message = "the model container answered HTTP " + strconv.Itoa(originalStatus)
	case isAuthCode(code) || status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind, e.Status = provider.Auth, http.StatusBadGateway
		e.Message = "the upstream rejected the gateway's AWS credentials or permissions (" + code + ")"
	case code == "ResourceNotFoundException" || status == http.StatusNotFound:
		e.Kind, e.Status, e.Message = provider.Unavailable, http.StatusBadGateway, "the upstream model or endpoint does not exist"
	case status == http.StatusTooManyRequests:
		e.Kind, e.Status, e.Message = provider.Throttled, http.StatusTooManyRequests, "the upstream is throttling requests"
	case status >= 500:
		e.Kind, e.Status, e.Message = provider.Unavailable, http.StatusBadGateway, "the upstream is unavailable"
	case status >= 400:
		e.Kind, e.Status, e.Message = provider.BadRequest, http.StatusBadRequest, truncate(message)
	default:
		e.Kind, e.Status, e.Message = provider.Unavailable, http.StatusBadGateway, "unexpected upstream answer"
	}
	if e.Code == "" {
		e.Code = "HTTP" + strconv.Itoa(status)
	}
	return e
}

// modelErrorKind maps a container's own status: its 4xx are the caller's
// request, anything else a failing model.
func modelErrorKind(originalStatus int) (provider.ErrorKind, int) {
	if originalStatus >= 400 && originalStatus < 500 && originalStatus != http.StatusTooManyRequests {
		return provider.BadRequest, http.StatusBadRequest
	}
	if originalStatus == http.StatusTooManyRequests {
		return provider.Throttled, http.StatusTooManyRequests
	}
	return provider.Unavailable, http.StatusBadGateway
}

// isAuthCode reports whether code is a credential, signature or permission error.
func isAuthCode(code string) bool {
	switch code {
	case "AccessDeniedException", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignatureException",
		"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException", "ExpiredToken",
		"MissingAuthenticationTokenException", "RequestExpired":
		return true
	}
	return false
}

// StreamException maps an exception event that arrived after HTTP 200.
// Before the first chunk went to the sink it is classified like the
// equivalent HTTP error (so a throttled stream can still fall back);
// afterwards it is a provider.Stream error.
func StreamException(excType string, payload []byte, midStream bool) *provider.Error {
	var body struct {
		Message            string `json:"message"`
		MessageUpper       string `json:"Message"`
		OriginalStatusCode int    `json:"originalStatusCode"`
	}
	_ = json.Unmarshal(payload, &body)
	if body.Message == "" {
		body.Message = body.MessageUpper
	}
	code := upperFirst(excType)
	e := Map(exceptionStatus(code), code, body.Message, body.OriginalStatusCode)
	if midStream {
		e.Kind = provider.Stream
		e.Message = "the upstream stream failed: " + code
	}
	return e
}

// exceptionStatus is the HTTP-equivalent status of a stream exception.
func exceptionStatus(code string) int {
	switch code {
	case "ThrottlingException":
		return http.StatusTooManyRequests
	case "ValidationException":
		return http.StatusBadRequest
	case "ServiceUnavailableException":
		return http.StatusServiceUnavailable
	case "ModelTimeoutException":
		return http.StatusRequestTimeout
	}
	// internalServerException, modelStreamErrorException, SageMaker's
	// ModelStreamError and InternalStreamFailure: a failing upstream.
	return http.StatusInternalServerError
}

// upperFirst turns Bedrock's lowerCamel exception names into the error
// names of HTTP answers (throttlingException → ThrottlingException).
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// TransportError maps a failure to get any answer.
func TransportError(ctx context.Context, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return &provider.Error{Kind: provider.Timeout, Status: http.StatusGatewayTimeout, Code: "Timeout",
			Message: "the upstream did not answer in time", Err: err}
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return &provider.Error{Kind: provider.Connection, Status: http.StatusBadGateway, Code: "ConnectionError",
		Message: "the upstream could not be reached", Err: err}
}

// retryAfter parses a Retry-After header given in seconds.
func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// truncate bounds an upstream message shown to the client.
func truncate(s string) string {
	if len(s) > maxMessage {
		return s[:maxMessage] + "…"
	}
	return s
}
