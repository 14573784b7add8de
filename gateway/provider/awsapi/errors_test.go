package awsapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsapi"
)

// TestResponseError reads the error name as the SDK does: the
// X-Amzn-ErrorType header first (text before ':'), else the body's code
// or __type (text after '#').
func TestResponseError(t *testing.T) {
	cases := []struct {
		name, header, body string
		status             int
		code               string
		kind               provider.ErrorKind
		retryAfter         time.Duration
	}{
		{"header with coral suffix", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/", `{"message":"x"}`,
			429, "ThrottlingException", provider.Throttled, 0},
		{"body __type with namespace", "", `{"__type":"com.amazon.bedrock#ValidationException","message":"bad"}`,
			400, "ValidationException", provider.BadRequest, 0},
		{"body code", "", `{"code":"ModelNotReadyException","message":"wait"}`, 429, "ModelNotReadyException", provider.Unavailable, 0},
		{"no name, 502", "", `not json`, 502, "HTTP502", provider.Unavailable, 0},
		{"container 400 behind ModelError", "ModelError", `{"message":"m","OriginalStatusCode":400}`, 424, "ModelError", provider.BadRequest, 0},
		{"container 503 behind ModelError", "ModelError", `{"message":"m","OriginalStatusCode":503}`, 424, "ModelError", provider.Unavailable, 0},
		{"Retry-After kept", "ThrottlingException", `{}`, 429, "ThrottlingException", provider.Throttled, 3 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("X-Amzn-ErrorType", tc.header)
			}
			if tc.retryAfter > 0 {
				h.Set("Retry-After", "3")
			}
			e := awsapi.ResponseError(&http.Response{StatusCode: tc.status, Header: h, Body: io.NopCloser(strings.NewReader(tc.body))})
			if e.Code != tc.code || e.Kind != tc.kind || e.RetryAfter != tc.retryAfter {
				t.Errorf("got %s %v %v, want %s %v %v", e.Code, e.Kind, e.RetryAfter, tc.code, tc.kind, tc.retryAfter)
			}
		})
	}
}
