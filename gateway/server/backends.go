package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/model"
)

// BackendFunc builds the provider of one route.
type BackendFunc func(ctx context.Context, r config.Route, client *http.Client) (provider.Provider, error)

// Backends builds providers for routes. Model routes are built in; Bedrock
// and SageMaker routes use the functions set here (the gateway verb sets
// them from gateway/provider/bedrock and gateway/provider/sagemaker). A route
// whose function is nil is an error at start, not a silent stub.
type Backends struct {
	Bedrock   BackendFunc
	SageMaker BackendFunc
	// Client sends upstream requests; NewUpstreamClient() if nil.
	Client *http.Client
}

func (b Backends) build(ctx context.Context, cfg *config.Config) (map[string]provider.Provider, error) {
	client := b.Client
	if client == nil {
		client = NewUpstreamClient()
	}
	out := map[string]provider.Provider{}
	for _, r := range cfg.Routes {
		var (
			p   provider.Provider
			err error
		)
		switch r.Backend() {
		case "model":
			p, err = model.New(model.Options{URL: r.Model.URL, ServedModel: r.UpstreamModel(), HTTPClient: client})
		case "bedrock":
			p, err = call(ctx, b.Bedrock, r, client)
		case "sagemaker":
			p, err = call(ctx, b.SageMaker, r, client)
		}
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", r.Name, err)
		}
		out[r.Name] = p
	}
	return out, nil
}

func call(ctx context.Context, f BackendFunc, r config.Route, client *http.Client) (provider.Provider, error) {
	if f == nil {
		return nil, fmt.Errorf("%s routes are not available in this build", r.Backend())
	}
	return f(ctx, r, client)
}

// NewUpstreamClient returns the HTTP client upstream calls share: pooled
// keep-alive connections, bounded dials and TLS handshakes, and no overall
// timeout (each call's context carries the route's).
func NewUpstreamClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}
