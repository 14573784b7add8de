// Package h1 is the gateway's upstream transport: a synchronous HTTP/1.1
// http.RoundTripper. Each RoundTrip writes its request and reads the answer
// on the calling goroutine over a pooled keep-alive connection, using
// net/http's own wire format (Request.Write, ReadResponse).
//
// net/http's Transport hands every request to two goroutines per connection
// (writeLoop and readLoop) and back; on the gateway's request path those
// hand-offs and wake-ups are a large part of what a proxy adds at low
// concurrency (gateway/server's BenchmarkGateway measures both). Requests
// this transport does not handle (one that goes through a proxy from the
// environment, a scheme other than http or https) go to a fallback
// http.Transport. It speaks HTTP/1.1 only; Bedrock, SageMaker and in-cluster
// model servers all do.
package h1

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Options configures New.
type Options struct {
	// DialTimeout bounds connecting and the TLS handshake (default 5s).
	DialTimeout time.Duration
	// KeepAlive is the TCP keep-alive period (default 30s).
	KeepAlive time.Duration
	// TLSConfig is cloned for https connections (nil: Go's defaults);
	// ServerName is set to each host and NextProtos to http/1.1.
	TLSConfig *tls.Config
	// MaxIdlePerHost bounds the idle connections kept per host (default
	// 64). Each holds its buffers (24 KiB by default) and is scanned by the
	// garbage collector, so a burst of streams ending does not leave a
	// thousand of them behind.
	MaxIdlePerHost int
	// IdleTimeout is how long an idle connection may be reused (default
	// 30s, below the idle timeouts of AWS endpoints and common servers).
	IdleTimeout time.Duration
	// ReadBufferSize and WriteBufferSize size each connection's buffers
	// (defaults 16 KiB and 8 KiB).
	ReadBufferSize, WriteBufferSize int
	// Proxy picks a proxy for a request, as http.Transport.Proxy does
	// (default http.ProxyFromEnvironment); a request with one is sent by
	// Fallback.
	Proxy func(*http.Request) (*url.URL, error)
	// Fallback sends what this transport does not (default: an
	// http.Transport with Proxy and the same timeouts).
	Fallback http.RoundTripper
	// Now is the clock of idle times (default time.Now).
	Now func() time.Time
}

// Transport is a synchronous HTTP/1.1 RoundTripper; it is safe for
// concurrent use.
type Transport struct {
	opts     Options
	dialer   net.Dialer
	fallback http.RoundTripper
	now      func() time.Time

	mu   sync.Mutex
	idle map[string][]*conn // by scheme://host:port, most recently used last
}

// New returns a Transport with opts' defaults filled in.
func New(opts Options) *Transport {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.KeepAlive == 0 {
		opts.KeepAlive = 30 * time.Second
	}
	if opts.MaxIdlePerHost <= 0 {
		opts.MaxIdlePerHost = 64
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Second
	}
	if opts.ReadBufferSize <= 0 {
		opts.ReadBufferSize = 16 << 10
	}
	if opts.WriteBufferSize <= 0 {
		opts.WriteBufferSize = 8 << 10
	}
	if opts.Proxy == nil {
		opts.Proxy = http.ProxyFromEnvironment
	}
	t := &Transport{opts: opts, dialer: net.Dialer{Timeout: opts.DialTimeout, KeepAlive: opts.KeepAlive},
		fallback: opts.Fallback, now: opts.Now, idle: map[string][]*conn{}}
	if t.now == nil {
		t.now = time.Now
	}
	if t.fallback == nil {
		t.fallback = &http.Transport{Proxy: opts.Proxy, DialContext: t.dialer.DialContext, TLSClientConfig: opts.TLSConfig,
			TLSHandshakeTimeout: opts.DialTimeout, MaxIdleConnsPerHost: opts.MaxIdlePerHost, IdleConnTimeout: opts.IdleTimeout,
			DisableCompression: true, ForceAttemptHTTP2: true}
	}
	return t
}

// RoundTrip implements http.RoundTripper. A request whose reused
// connection turns out to have been closed by the server (nothing of the
// answer read) is sent once more on a new connection, when its body can be
// replayed (GetBody) or it has none.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("h1: request has no URL")
	}
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return t.fallback.RoundTrip(req)
	}
	if p, err := t.opts.Proxy(req); err != nil || p != nil {
		return t.fallback.RoundTrip(req)
	}
	ep := endpointOf(req.URL)
	for attempt := 0; ; attempt++ {
		c, err := t.conn(req.Context(), ep)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := t.exchange(c, req)
		if err == nil {
			return resp, nil
		}
		if attempt > 0 || !c.reused || !c.closedByPeer(err) || req.Context().Err() != nil {
			closeBody(req)
			return nil, err
		}
		if req, err = rewound(req); err != nil {
			return nil, err
		}
	}
}

// CloseIdleConnections closes the idle connections (and the fallback's).
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*conn{}
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			c.close()
		}
	}
	if ci, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// endpoint is where a request goes: the pool key and how to dial it.
type endpoint struct {
	key, scheme, addr, host string
}

func endpointOf(u *url.URL) endpoint {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	addr := net.JoinHostPort(host, port)
	return endpoint{key: u.Scheme + "://" + addr, scheme: u.Scheme, addr: addr, host: host}
}

// conn returns an idle connection to ep that is still fresh, or a new one.
func (t *Transport) conn(ctx context.Context, ep endpoint) (*conn, error) {
	now := t.now()
	t.mu.Lock()
	for cs := t.idle[ep.key]; len(cs) > 0; cs = t.idle[ep.key] {
		c := cs[len(cs)-1]
		cs[len(cs)-1] = nil
		t.idle[ep.key] = cs[:len(cs)-1]
		if now.Sub(c.idleSince) < t.opts.IdleTimeout {
			t.mu.Unlock()
			c.reused = true
			return c, nil
		}
		defer c.close() // expired; closed outside the lock
	}
	t.mu.Unlock()
	return t.dial(ctx, ep)
}

// put keeps c for reuse, or closes it when the host has enough idle ones;
// it also closes the oldest idle connection when it has expired (the pool
// is used most recent first, so the oldest would otherwise stay).
func (t *Transport) put(c *conn) {
	now := t.now()
	c.idleSince = now
	var expired *conn
	t.mu.Lock()
	cs := t.idle[c.key]
	if len(cs) > 0 && now.Sub(cs[0].idleSince) >= t.opts.IdleTimeout {
		expired = cs[0]
		cs = append(cs[:0], cs[1:]...)
	}
	if len(cs) < t.opts.MaxIdlePerHost {
		t.idle[c.key] = append(cs, c)
		c = nil
	} else {
		t.idle[c.key] = cs
	}
	t.mu.Unlock()
	if expired != nil {
		expired.close()
	}
	if c != nil {
		c.close()
	}
}

func (t *Transport) dial(ctx context.Context, ep endpoint) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, t.opts.DialTimeout)
	defer cancel()
	nc, err := t.dialer.DialContext(ctx, "tcp", ep.addr)
	if err != nil {
		return nil, err
	}
	if ep.scheme == "https" {
		cfg := &tls.Config{}
		if t.opts.TLSConfig != nil {
			cfg = t.opts.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = ep.host
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", ep.addr, err)
		}
		nc = tc
	}
	return newConn(nc, ep.key, t.opts.ReadBufferSize, t.opts.WriteBufferSize), nil
}

// rewound returns a copy of req with a fresh body for a second attempt.
func rewound(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		closeBody(req)
		return nil, errors.New("h1: the server closed the connection and the request body cannot be sent again")
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("h1: rewinding the request body: %w", err)
	}
	r2 := req.Clone(req.Context())
	r2.Body = body
	return r2, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
