package eksauth

import (
	"fmt"
	"net/http"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// bearerTransport sets each request's Authorization header from a
// TokenSource. A 401 answer drops the cached token, so the next request
// carries a newly signed one.
type bearerTransport struct {
	src  *TokenSource
	next http.RoundTripper
}

var _ utilnet.RoundTripperWrapper = (*bearerTransport)(nil)

// WrapTransport returns a rest.Config.WrapTransport function that
// authenticates every request with src's token.
func WrapTransport(src *TokenSource) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return &bearerTransport{src: src, next: next}
	}
}

// RoundTrip sends req with the current token as its bearer token.
func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.Token(req.Context())
	if err != nil {
		return nil, fmt.Errorf("getting EKS token: %w", err)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok.Value)
	resp, err := t.next.RoundTrip(r)
	if resp != nil && resp.StatusCode == http.StatusUnauthorized {
		t.src.Invalidate()
	}
	return resp, err
}

// WrappedRoundTripper lets client-go see through this transport.
func (t *bearerTransport) WrappedRoundTripper() http.RoundTripper { return t.next }
