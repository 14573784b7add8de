package schema

// DefaultGatewayImage is a placeholder: set spec.image to the AI gateway
// runtime you run (for example a LiteLLM or Envoy AI Gateway build).
const DefaultGatewayImage = "ghcr.io/gitplane/ai-gateway:placeholder"

// Gateway is an AI gateway: one endpoint that routes to Bedrock models,
// SageMaker endpoints or in-cluster Models, with API keys and rate limits.
type Gateway struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta  `json:"metadata" required:"true"`
	Spec     GatewaySpec `json:"spec" required:"true"`
	Source   Source      `json:"-"`
}

// GatewaySpec holds a Gateway's settings.
type GatewaySpec struct {
	Host         string      `json:"host" required:"true" doc:"Host name the gateway is served on; must be in the Environment's ingress domain."`
	Image        string      `json:"image,omitempty" default:"ghcr.io/gitplane/ai-gateway:placeholder" doc:"Gateway runtime image. The default is a placeholder tag: set your own."`
	Port         int32       `json:"port,omitempty" default:"8080" doc:"Port the runtime listens on."`
	Replicas     *Replicas   `json:"replicas,omitempty" doc:"Replica bounds. Default: min 2, max 2."`
	Visibility   string      `json:"visibility,omitempty" enum:"public,internal" default:"public" doc:"public: routed from the ALB; internal: mesh only."`
	IAM          IAMSpec     `json:"iam" required:"true" doc:"Role with bedrock:InvokeModel and sagemaker:InvokeEndpoint, assumed through IRSA."`
	Auth         GatewayAuth `json:"auth,omitempty" doc:"Client authentication."`
	RateLimit    *RateLimit  `json:"rateLimit,omitempty" doc:"Per-API-key rate limit enforced by the runtime."`
	Routes       []Route     `json:"routes" required:"true" doc:"Model routes; each has a name and exactly one of bedrock, sagemaker, model."`
	Environments []string    `json:"environments,omitempty" doc:"Environments that get this Gateway. Default: all."`
}

// GatewayAuth names the Secret holding API keys.
type GatewayAuth struct {
	APIKeysSecret string `json:"apiKeysSecret,omitempty" doc:"Name of an existing Secret with the API keys, mounted into the runtime. gitplane never reads or writes its values."`
}

// RateLimit bounds requests per API key.
type RateLimit struct {
	RequestsPerMinute int32 `json:"requestsPerMinute" required:"true" doc:"Requests per minute per API key."`
	Burst             int32 `json:"burst,omitempty" doc:"Extra requests allowed in a burst. Default: requestsPerMinute/10."`
}

// Route sends requests for one model name to a backend.
type Route struct {
	Name      string          `json:"name" required:"true" doc:"Model name clients ask for."`
	Bedrock   *BedrockRoute   `json:"bedrock,omitempty" doc:"An Amazon Bedrock model."`
	SageMaker *SageMakerRoute `json:"sagemaker,omitempty" doc:"A SageMaker real-time endpoint."`
	Model     *ModelRef       `json:"model,omitempty" doc:"A Model in this repository."`
}

// BedrockRoute targets a Bedrock model.
type BedrockRoute struct {
	ModelID string `json:"modelId" required:"true" doc:"Bedrock model or inference profile ID, e.g. anthropic.claude-3-5-sonnet-20240620-v1:0."`
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
