package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/gitplane/gitplane/gateway/internal/h1"
	"github.com/gitplane/gitplane/gateway/provider"
)

// Options configures a Client.
type Options struct {
	// Service is the SigV4 signing name ("bedrock", "sagemaker").
	Service string
	// Region is the region requests are signed for and, without Endpoint,
	// the region of the default host.
	Region string
	// Host is the default host's prefix: "bedrock-runtime" gives
	// https://bedrock-runtime.<region>.amazonaws.com.
	Host string
	// Endpoint overrides the base URL (BaseEndpoint-style, for tests).
	Endpoint string
	// HTTPClient sends the requests (default: DefaultHTTPClient()).
	HTTPClient *http.Client
	// Credentials resolves the signing credentials; wrapped in an
	// aws.CredentialsCache unless it already is one. Required.
	Credentials aws.CredentialsProvider
	// Clock is the signing clock (default time.Now).
	Clock func() time.Time
}

// Client signs and sends requests to one AWS service in one region.
type Client struct {
	service, region string
	base            url.URL
	http            *http.Client
	rt              http.RoundTripper // http's Transport when Client.Do would add nothing
	creds           aws.CredentialsProvider
	clock           func() time.Time
	signer          *v4.Signer
}

// New checks opts and returns a Client.
func New(opts Options) (*Client, error) {
	if opts.Credentials == nil {
		return nil, errors.New("no AWS credentials provider")
	}
	if opts.Region == "" {
		return nil, errors.New("no AWS region")
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = "https://" + opts.Host + "." + opts.Region + ".amazonaws.com"
	}
	base, err := url.Parse(strings.TrimSuffix(endpoint, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("endpoint %q: want an http(s) base URL", endpoint)
	}
	c := &Client{service: opts.Service, region: opts.Region, base: *base, http: opts.HTTPClient,
		creds: opts.Credentials, clock: opts.Clock, signer: v4.NewSigner()}
	if c.http == nil {
		c.http = DefaultHTTPClient()
	}
	if c.http.Timeout == 0 && c.http.Jar == nil && c.http.CheckRedirect == nil && c.http.Transport != nil {
		// AWS runtime APIs do not redirect and deadlines come from the
		// context: skip Client.Do's header copying for redirects.
		c.rt = c.http.Transport
	}
	if _, ok := c.creds.(*aws.CredentialsCache); !ok {
		c.creds = aws.NewCredentialsCache(c.creds)
	}
	if c.clock == nil {
		c.clock = time.Now
	}
	return c, nil
}

// Target is a prebuilt request URL and header set for one operation on
// one resource.
type Target struct {
	url    url.URL
	header http.Header
}

// Target returns the URL prefix/label/op, label escaped as the SDK escapes
// path labels (every byte but A-Z a-z 0-9 - . _ ~ percent-encoded, so ':'
// is sent as %3A and '/' as %2F). The signer escapes that path once more
// for the canonical URI, which is what AWS computes from the wire path for
// every service but S3. header is sent (and signed) with every request
// besides Content-Type: application/json; it must not be changed afterwards.
func (c *Client) Target(prefix, label, op string, header http.Header) Target {
	u := c.base
	basePath := strings.TrimSuffix(u.Path, "/")
	u.Path = basePath + "/" + prefix + "/" + label + "/" + op
	u.RawPath = basePath + "/" + prefix + "/" + httpbinding.EscapePath(label, true) + "/" + op
	return Target{url: u, header: header}
}

// WirePath is the path sent for t (as escaped on the wire).
func (t Target) WirePath() string { return t.url.EscapedPath() }

// bodyPool recycles request and response buffers.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// GetBuffer returns an empty pooled buffer.
func GetBuffer() *bytes.Buffer {
	b := bodyPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// PutBuffer returns buf to the pool; oversized buffers are dropped.
func PutBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= 1<<20 {
		bodyPool.Put(buf)
	}
}

// requestBody is a request body over a pooled buffer. It is replayable
// (GetBody), so HTTP/2 can resend it after a GOAWAY.
type requestBody struct{ bytes.Reader }

// Close does nothing: the buffer goes back to the pool with the response.
func (*requestBody) Close() error { return nil }

// releasingBody is a response body that returns the request's buffer to
// the pool when closed. AWS answers 2xx only after reading the whole
// request (the signature covers the body hash), so by then the transport
// is done with it.
type releasingBody struct {
	io.ReadCloser
	buf *bytes.Buffer
}

// Close closes the response body and recycles the request buffer once.
func (r *releasingBody) Close() error {
	err := r.ReadCloser.Close()
	if r.buf != nil {
		PutBuffer(r.buf)
		r.buf = nil
	}
	return err
}

// Do signs a POST of body (JSON) to t and sends it; it takes ownership of
// body. A non-2xx answer is returned as a *provider.Error (the response
// body is read and closed); on success the caller closes the response body.
func (c *Client) Do(ctx context.Context, t Target, body *bytes.Buffer) (*http.Response, error) {
	creds, err := c.credentials(ctx)
	if err != nil {
		PutBuffer(body)
		return nil, err
	}
	sum := sha256.Sum256(body.Bytes())
	var hash [64]byte
	hex.Encode(hash[:], sum[:])
	u := t.url
	h := make(http.Header, 4+len(t.header))
	h["Content-Type"] = jsonType
	for k, v := range t.header {
		h[k] = v
	}
	raw := body.Bytes()
	rb := &requestBody{}
	rb.Reset(raw)
	req := (&http.Request{Method: http.MethodPost, URL: &u, Host: u.Host, Header: h, Body: rb,
		GetBody: func() (io.ReadCloser, error) {
			b := &requestBody{}
			b.Reset(raw)
			return b, nil
		},
		ContentLength: int64(len(raw)), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}).WithContext(ctx)
	if err := c.signer.SignHTTP(ctx, creds, req, string(hash[:]), c.service, c.region, c.clock()); err != nil {
		PutBuffer(body)
		return nil, &provider.Error{Kind: provider.Internal, Message: "signing the upstream request failed", Err: err}
	}
	var resp *http.Response
	if c.rt != nil {
		resp, err = c.rt.RoundTrip(req)
	} else {
		resp, err = c.http.Do(req)
	}
	// On failures the buffer is left to the garbage collector: the
	// transport may still be reading it.
	if err != nil {
		return nil, TransportError(ctx, err)
	}
	if resp.StatusCode/100 != 2 {
		perr := ResponseError(resp)
		if perr.Kind == provider.Auth {
			c.invalidate(perr.Code)
		}
		return nil, perr
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, buf: body}
	return resp, nil
}

// jsonType is the Content-Type of every request body.
var jsonType = []string{"application/json"}

// credentials retrieves the signing credentials, refreshing them when the
// client's clock says they have expired (the cache judges expiry by the
// wall clock, the client by its own).
func (c *Client) credentials(ctx context.Context) (aws.Credentials, error) {
	creds, err := c.creds.Retrieve(ctx)
	if err == nil && creds.CanExpire && !creds.Expires.After(c.clock()) {
		c.invalidate("")
		creds, err = c.creds.Retrieve(ctx)
	}
	if err != nil {
		return aws.Credentials{}, &provider.Error{Kind: provider.Auth, Status: http.StatusBadGateway,
			Code: "CredentialsUnavailable", Message: "the gateway could not obtain AWS credentials", Err: err}
	}
	return creds, nil
}

// invalidate makes the next request fetch fresh credentials when the
// upstream said the token expired (or the clock did, code "").
func (c *Client) invalidate(code string) {
	if code != "" && code != "ExpiredTokenException" && code != "ExpiredToken" {
		return
	}
	if inv, ok := c.creds.(interface{ Invalidate() }); ok {
		inv.Invalidate()
	}
}

var (
	defaultClientOnce sync.Once
	defaultClient     *http.Client
)

// DefaultHTTPClient returns the process-wide client for upstreams: an
// h1.Transport (each request written and answered on its own goroutine
// over a pooled keep-alive connection, no transparent gzip, bounded dial
// and TLS waits) with NewTransport's http.Transport for requests through a
// proxy from the environment. Per-request deadlines come from the caller's
// context.
func DefaultHTTPClient() *http.Client {
	defaultClientOnce.Do(func() {
		defaultClient = &http.Client{Transport: h1.New(h1.Options{Fallback: NewTransport()})}
	})
	return defaultClient
}

// NewTransport returns a tuned http.Transport: many idle connections per
// host, HTTP/2 when offered, no transparent gzip, bounded dial/TLS waits.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 0,
		ExpectContinueTimeout: 0,
		DisableCompression:    true,
		WriteBufferSize:       16 << 10,
		ReadBufferSize:        16 << 10,
	}
}

// ReadBody reads resp's body into a pooled buffer (at most limit bytes)
// and closes it. The caller returns the buffer with PutBuffer.
func ReadBody(resp *http.Response, limit int64) (*bytes.Buffer, error) {
	defer resp.Body.Close()
	buf := GetBuffer()
	if resp.ContentLength > 0 && resp.ContentLength <= limit {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err == nil && n > limit {
		err = fmt.Errorf("upstream body exceeds %d bytes", limit)
	}
	if err != nil {
		PutBuffer(buf)
		return nil, err
	}
	return buf, nil
}
