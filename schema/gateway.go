package schema

// Gateway is an AI gateway: one OpenAI-compatible endpoint that routes to
// Bedrock models, SageMaker endpoints or in-cluster Models, with per-caller
// API keys, access policy and rate limits (the `gitplane gateway` runtime).
type Gateway struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta  `json:"metadata" required:"true"`
	Spec     GatewaySpec `json:"spec" required:"true"`
	Source   Source      `json:"-"`
}

// GatewaySpec holds a Gateway's settings.
type GatewaySpec struct {
	Host         string      `json:"host" required:"true" doc:"Host name the gateway is served on; must be in the Environment's ingress domain."`
	Image        string      `json:"image,omitempty" doc:"Runtime image. Default: gitplane's own image at the version of the gitplane that renders (ghcr.io/gitplane/gitplane:<version>), run as 'gitplane gateway'."`
	Port         int32       `json:"port,omitempty" default:"8080" doc:"Port the runtime listens on."`
	Replicas     *Replicas   `json:"replicas,omitempty" doc:"Replica bounds. Default: min 2, max 2."`
	Visibility   string      `json:"visibility,omitempty" enum:"public,internal" default:"public" doc:"public: routed from the ALB; internal: mesh only."`
	IAM          IAMSpec     `json:"iam" required:"true" doc:"Role with bedrock:InvokeModel(WithResponseStream) and sagemaker:InvokeEndpoint(WithResponseStream), assumed through IRSA."`
	Auth         GatewayAuth `json:"auth" required:"true" doc:"Callers: their API keys, routes and limits."`
	RateLimit    *RateLimit  `json:"rateLimit,omitempty" doc:"Default rate limit of every caller, enforced by the runtime."`
	Routes       []Route     `json:"routes" required:"true" doc:"Model routes; each has a name and exactly one of bedrock, sagemaker, model."`
	Environments []string    `json:"environments,omitempty" doc:"Environments that get this Gateway. Default: all."`
}

// GatewayAuth names the Secret holding API keys and the callers' policies.
type GatewayAuth struct {
	APIKeysSecret string          `json:"apiKeysSecret" required:"true" doc:"Name of an existing Secret with the API keys, mounted into the runtime: each entry's name is a caller, its value that caller's key. gitplane never reads or writes its values."`
	Callers       []GatewayCaller `json:"callers,omitempty" doc:"Policies of named callers. A caller not listed may use every route, with spec.rateLimit."`
}

// GatewayCaller is one caller's access policy: the routes it may use and its
// own rate limit.
type GatewayCaller struct {
	Name      string        `json:"name" required:"true" doc:"Caller name: the name of its entry in the API keys Secret."`
	Routes    []string      `json:"routes,omitempty" doc:"Names of the routes this caller may use. Default: all."`
	RateLimit *CallerLimits `json:"rateLimit,omitempty" doc:"This caller's limits, replacing spec.rateLimit's requestsPerMinute, tokensPerMinute and burst. Default: spec.rateLimit's."`
}

// CallerLimits are a caller's request and token rates.
type CallerLimits struct {
	RequestsPerMinute int32 `json:"requestsPerMinute,omitempty" doc:"Requests per minute per caller. At least one of requestsPerMinute and tokensPerMinute is set."`
	TokensPerMinute   int32 `json:"tokensPerMinute,omitempty" doc:"Input plus output tokens per minute per caller: reserved at admission from the prompt and max_tokens, settled to the upstream's usage."`
	Burst             int32 `json:"burst,omitempty" doc:"Requests allowed at once above the steady rate. Default: requestsPerMinute/10 (at least 1)."`
}

// RateLimit is the Gateway's default rate limit and where replicas share
// their counters.
type RateLimit struct {
	CallerLimits `json:",inline"`
	Redis        *RedisSpec `json:"redis,omitempty" doc:"Redis the replicas share their counters in, so a limit holds for the whole Gateway. Without it each replica enforces limit/replicas."`
}

// RedisSpec locates the Redis server that holds shared rate-limit counters.
type RedisSpec struct {
	Address        string        `json:"address" required:"true" doc:"host:port of the Redis server, e.g. redis.ai-gateway.svc.cluster.local:6379."`
	PasswordSecret *SecretKeyRef `json:"passwordSecret,omitempty" doc:"Key of an existing Secret in the Gateway's namespace holding the Redis password, mounted as a file."`
	Username       string        `json:"username,omitempty" doc:"ACL user to authenticate as (Redis 6+ ACLs, ElastiCache RBAC); needs passwordSecret. Default: the default user."`
	TLS            bool          `json:"tls,omitempty" doc:"Connect over TLS, checking the server's certificate and host name against the image's CA certificates (ElastiCache with in-transit encryption; ElastiCache Serverless requires it)."`
	Cluster        bool          `json:"cluster,omitempty" doc:"address is a Redis Cluster's configuration endpoint (ElastiCache cluster mode enabled): each key goes to the node holding its slot. Without it a cluster's other shards answer MOVED and their callers' limits fail open."`
}

// Route sends requests for one model name to a backend.
type Route struct {
	Name      string          `json:"name" required:"true" doc:"Model name clients ask for."`
	Bedrock   *BedrockRoute   `json:"bedrock,omitempty" doc:"An Amazon Bedrock model."`
	SageMaker *SageMakerRoute `json:"sagemaker,omitempty" doc:"A SageMaker real-time endpoint."`
	Model     *ModelRef       `json:"model,omitempty" doc:"A Model in this repository."`
	Fallbacks []string        `json:"fallbacks,omitempty" doc:"Routes tried in order when this one fails before the first byte reaches the client (connection refused, no ready endpoints, 5xx, upstream 429)."`
	Timeout   string          `json:"timeout,omitempty" doc:"Upper bound on one upstream request, a duration such as 30s or 2m. Default: the runtime's (see docs/gateway.md)."`
}

// BedrockRoute targets a Bedrock model.
type BedrockRoute struct {
	ModelID string `json:"modelId" required:"true" doc:"Bedrock model or inference profile ID or ARN, e.g. anthropic.claude-3-5-sonnet-20240620-v1:0 or us.anthropic.claude-3-5-sonnet-20240620-v1:0."`
	Region  string `json:"region,omitempty" doc:"Bedrock region. Default: the Environment's region."`
}

// SageMakerRoute targets a SageMaker endpoint.
type SageMakerRoute struct {
	EndpointName string `json:"endpointName" required:"true" doc:"SageMaker endpoint name."`
	Region       string `json:"region,omitempty" doc:"Endpoint region. Default: the Environment's region."`
}

// ModelRef names a Model in the repository.
type ModelRef struct {
	Name      string `json:"name" required:"true" doc:"Model name."`
	Namespace string `json:"namespace,omitempty" doc:"Model namespace. Default: the Model's default namespace."`
}

// GetKind implements Spec.
func (g *Gateway) GetKind() string { return KindGateway }

// GetMeta implements Spec.
func (g *Gateway) GetMeta() *ObjectMeta { return &g.Metadata }

// GetSource implements Spec.
func (g *Gateway) GetSource() *Source { return &g.Source }
