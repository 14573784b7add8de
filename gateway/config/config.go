// Package config is the gateway runtime's versioned configuration
// (apiVersion gateway.gitplane.dev/v1, kind GatewayConfig): the one Go type
// that render writes into a Gateway's ConfigMap and `gitplane gateway` reads.
package config

import (
	"fmt"
	"time"

	"sigs.k8s.io/yaml"
)

// The apiVersion and kind of a GatewayConfig document.
const (
	APIVersion = "gateway.gitplane.dev/v1"
	Kind       = "GatewayConfig"
)

// Defaults applied by Load to fields left empty.
const (
	DefaultListen               = ":8080"
	DefaultMetricsListen        = ":9090"
	DefaultMaxBodyBytes         = 4 << 20
	DefaultHeaderReadTimeout    = 10 * time.Second
	DefaultMaxConcurrentStreams = 2000
	DefaultRouteTimeout         = 5 * time.Minute
	DefaultShutdownTimeout      = 25 * time.Second
)

// Config is the whole runtime configuration.
type Config struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Listen is the address of the API (host:port). Default ":8080".
	Listen string `json:"listen,omitempty"`
	// MetricsListen is the address of /metrics, /healthz and /readyz. Default ":9090".
	MetricsListen string `json:"metricsListen,omitempty"`
	// Region is the AWS region of routes that name none.
	Region string `json:"region,omitempty"`
	// KeysDir is the mounted Secret directory: one file per caller, named
	// after the caller, holding its API key.
	KeysDir string `json:"keysDir"`
	// Routes are the model names clients may ask for.
	Routes []Route `json:"routes"`
	// Defaults is the policy of callers not listed in Callers.
	Defaults Policy `json:"defaults,omitempty"`
	// Callers are per-caller policies.
	Callers []Caller `json:"callers,omitempty"`
	// RateLimit says where limits are kept.
	RateLimit RateLimitStore `json:"rateLimit,omitempty"`
	// Limits bound what one request or the process may use.
	Limits Limits `json:"limits,omitempty"`
}

// Route sends requests for one model name to exactly one backend.
type Route struct {
	// Name is the model name clients send.
	Name      string          `json:"name"`
	Bedrock   *BedrockRoute   `json:"bedrock,omitempty"`
	SageMaker *SageMakerRoute `json:"sagemaker,omitempty"`
	Model     *ModelRoute     `json:"model,omitempty"`
	// Fallbacks are routes tried in order when this one fails before the
	// first byte reached the client.
	Fallbacks []string `json:"fallbacks,omitempty"`
	// Timeout bounds one upstream call (a whole stream included). Default 5m.
	Timeout Duration `json:"timeout,omitempty"`
}

// BedrockRoute targets an Amazon Bedrock model or inference profile.
type BedrockRoute struct {
	ModelID string `json:"modelId"`
	Region  string `json:"region,omitempty"`
	// Endpoint overrides the Bedrock Runtime endpoint (tests, VPC endpoints).
	Endpoint string `json:"endpoint,omitempty"`
}

// SageMakerRoute targets a SageMaker real-time endpoint.
type SageMakerRoute struct {
	EndpointName string `json:"endpointName"`
	Region       string `json:"region,omitempty"`
	// Endpoint overrides the SageMaker Runtime endpoint (tests, VPC endpoints).
	Endpoint string `json:"endpoint,omitempty"`
}

// ModelRoute targets an OpenAI-compatible server (vLLM-like) in the cluster.
type ModelRoute struct {
	// URL is the server's base URL, e.g. http://llama.models.svc:8000.
	URL string `json:"url"`
	// ServedModel is the model name the server expects. Default: the route name.
	ServedModel string `json:"servedModel,omitempty"`
}

// Policy is what a caller may do: which routes and at what rate.
type Policy struct {
	// AllRoutes lets the caller use every route; otherwise only Routes.
	AllRoutes bool     `json:"allRoutes,omitempty"`
	Routes    []string `json:"routes,omitempty"`
	// RateLimit is nil for no limit.
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
}

// Caller is the policy of one caller, named like its key file. Routes and
// RateLimit left out take the Defaults'.
type Caller struct {
	Name string `json:"name"`
	// Routes left out (nil) are the Defaults'; an empty list lets the
	// caller use no route, so Marshal keeps it (omitzero, not omitempty).
	Routes    []string   `json:"routes,omitzero"`
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
}

// RateLimit bounds one caller. A zero field means no limit of that kind.
type RateLimit struct {
	RequestsPerMinute int `json:"requestsPerMinute,omitempty"`
	TokensPerMinute   int `json:"tokensPerMinute,omitempty"`
	// Burst is how many requests may arrive at once. Default
	// requestsPerMinute/10 (at least 1). Tokens burst to a minute's worth.
	Burst int `json:"burst,omitempty"`
}

// RateLimitStore says where rate-limit state lives.
type RateLimitStore struct {
	// Redis shares the limits between replicas. Without it each replica
	// enforces limit ÷ Replicas.
	Redis *Redis `json:"redis,omitempty"`
	// Replicas is how many gateway replicas share the limits when there is
	// no Redis. Default 1.
	Replicas int `json:"replicas,omitempty"`
}

// Redis is a Redis server holding the rate-limit state.
type Redis struct {
	Address string `json:"address"`
	// PasswordFile is a mounted file holding the password, if any.
	PasswordFile string `json:"passwordFile,omitempty"`
	// Username is the ACL user the password is for (default: Redis's
	// default user).
	Username string `json:"username,omitempty"`
	// TLS connects over TLS, verifying the server's certificate and host
	// name against the system's CA certificates.
	TLS bool `json:"tls,omitempty"`
	// Cluster says Address is a Redis Cluster's configuration endpoint.
	Cluster bool `json:"cluster,omitempty"`
}

// Limits bound the resources of requests.
type Limits struct {
	// MaxBodyBytes bounds a request body. Default 4 MiB.
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
	// HeaderReadTimeout bounds reading a request's headers. Default 10s.
	HeaderReadTimeout Duration `json:"headerReadTimeout,omitempty"`
	// MaxConcurrentStreams bounds streamed completions in flight. Default 2000.
	MaxConcurrentStreams int `json:"maxConcurrentStreams,omitempty"`
	// ShutdownTimeout bounds the drain on SIGTERM. Default 25s.
	ShutdownTimeout Duration `json:"shutdownTimeout,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText writes d as "1m30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as 30s or 2m: %w", err)
	}
	*d = Duration(v)
	return nil
}

// Marshal encodes c as YAML (the ConfigMap's form), deterministically.
func Marshal(c *Config) ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding gateway config: %w", err)
	}
	return b, nil
}

// Backend returns "bedrock", "sagemaker" or "model" ("" when none is set).
func (r *Route) Backend() string {
	switch {
	case r.Bedrock != nil:
		return "bedrock"
	case r.SageMaker != nil:
		return "sagemaker"
	case r.Model != nil:
		return "model"
	}
	return ""
}

// UpstreamModel is the upstream's id of what the route serves: the Bedrock
// model id, the SageMaker endpoint name or the served model name.
func (r *Route) UpstreamModel() string {
	switch {
	case r.Bedrock != nil:
		return r.Bedrock.ModelID
	case r.SageMaker != nil:
		return r.SageMaker.EndpointName
	case r.Model != nil:
		if r.Model.ServedModel != "" {
			return r.Model.ServedModel
		}
		return r.Name
	}
	return ""
}

// Caller returns the listed caller named name, or nil.
func (c *Config) Caller(name string) *Caller {
	for i := range c.Callers {
		if c.Callers[i].Name == name {
			return &c.Callers[i]
		}
	}
	return nil
}
