package awsfake

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// APIError is an AWS error answer: an HTTP status, the error name sent in
// the X-Amzn-ErrorType header and a JSON body {"message": ...} (plus Extra
// members, e.g. SageMaker ModelError's OriginalStatusCode).
type APIError struct {
	Status  int
	Type    string
	Message string
	// TypeSuffix is appended to Type in the header after a ':', as AWS
	// does (e.g. "http://internal.amazon.com/coral/com.amazon.coral.service/").
	TypeSuffix string
	Extra      map[string]any
}

// Error returns the error name and message.
func (e *APIError) Error() string { return e.Type + ": " + e.Message }

// coralSuffix is the namespace AWS appends to X-Amzn-ErrorType values.
const coralSuffix = "http://internal.amazon.com/coral/com.amazon.coral.service/"

// InvalidSignature is the answer to a request whose signature does not match.
func InvalidSignature() *APIError {
	return &APIError{Status: http.StatusForbidden, Type: "InvalidSignatureException", TypeSuffix: coralSuffix,
		Message: "The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
}

// Throttling is Bedrock's and SageMaker's ThrottlingException (HTTP 429).
func Throttling() *APIError {
	return &APIError{Status: http.StatusTooManyRequests, Type: "ThrottlingException",
		Message: "Too many requests, please wait before trying again."}
}

// Validation is Bedrock's ValidationException (HTTP 400).
func Validation(msg string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: "ValidationException", Message: msg}
}

// ModelNotReady is ModelNotReadyException (HTTP 429).
func ModelNotReady() *APIError {
	return &APIError{Status: http.StatusTooManyRequests, Type: "ModelNotReadyException",
		Message: "Model is not ready for inference. Wait and try your request again."}
}

// ServiceUnavailable is Bedrock's ServiceUnavailableException (HTTP 503).
func ServiceUnavailable() *APIError {
	return &APIError{Status: http.StatusServiceUnavailable, Type: "ServiceUnavailableException",
		Message: "Service is temporarily unavailable."}
}

// AccessDenied is AccessDeniedException (HTTP 403).
func AccessDenied() *APIError {
	return &APIError{Status: http.StatusForbidden, Type: "AccessDeniedException",
		Message: "You don't have access to the model with the specified model ID."}
}

// SageMakerValidation is SageMaker's ValidationError (HTTP 400).
func SageMakerValidation(msg string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: "ValidationError", Message: msg}
}

// SageMakerUnavailable is SageMaker's ServiceUnavailable (HTTP 503).
func SageMakerUnavailable() *APIError {
	return &APIError{Status: http.StatusServiceUnavailable, Type: "ServiceUnavailable",
		Message: "The service is unavailable. Try your call again."}
}

// ModelError is SageMaker's ModelError (HTTP 424): the container answered
// originalStatus with originalMessage.
func ModelError(originalStatus int, originalMessage string) *APIError {
	return &APIError{Status: http.StatusFailedDependency, Type: "ModelError",
		Message: "Received client error (" + strconv.Itoa(originalStatus) + ") from primary with message \"" +
			originalMessage + "\". See the CloudWatch logs for more information.",
		Extra: map[string]any{"OriginalStatusCode": originalStatus, "OriginalMessage": originalMessage}}
}

// write answers w with e.
func (e *APIError) write(w http.ResponseWriter, requestID string) {
	body := map[string]any{"message": e.Message}
	for k, v := range e.Extra {
		body[k] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		b = []byte(`{"message":"internal error"}`)
	}
	h := w.Header()
	name := e.Type
	if e.TypeSuffix != "" {
		name += ":" + e.TypeSuffix
	}
	h.Set("X-Amzn-Errortype", name)
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}
