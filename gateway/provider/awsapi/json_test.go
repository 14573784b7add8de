package awsapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsapi"
)

// TestReadJSON: an answer decodes; a malformed, rejected or oversized one
// is the error its kind says.
func TestReadJSON(t *testing.T) {
	cases := []struct {
		name, body string
		code       string // "" for success
		kind       provider.ErrorKind
	}{
		{"decoded", `{"n":3}`, "", 0},
		{"not JSON", `{"n":`, "InvalidResponse", provider.Unavailable},
		{"wrong shape", `{"n":"three"}`, "InvalidResponse", provider.Unavailable},
		{"rejected by valid", `{}`, "InvalidResponse", provider.Unavailable},
		{"larger than the limit", `{"n":3, "pad":"` + strings.Repeat("x", 64) + `"}`, "ConnectionError", provider.Connection},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out struct{ N *int }
			resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(tc.body))}
			err := awsapi.ReadJSON(context.Background(), resp, 32, &out, func() bool { return out.N != nil }, "the upstream sent no n")
			if tc.code == "" {
				if err != nil || *out.N != 3 {
					t.Fatalf("got %v, %v", out.N, err)
				}
				return
			}
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Kind != tc.kind {
				t.Fatalf("got %v, want %s (%v)", err, tc.code, tc.kind)
			}
			if tc.code == "InvalidResponse" && (pe.Message != "the upstream sent no n" || pe.HTTPStatus() != http.StatusBadGateway) {
				t.Errorf("got %q, %d", pe.Message, pe.HTTPStatus())
			}
		})
	}
}
