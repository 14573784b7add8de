package schema

// APIVersion is the group/version of every gitplane kind.
const APIVersion = "gitplane.dev/v1alpha1"

// The kinds gitplane reads.
const (
	KindEnvironment = "Environment"
	KindModel       = "Model"
	KindGateway     = "Gateway"
)

// Capacity types a Model can ask for.
const (
	CapacitySpot             = "spot"
	CapacityOnDemand         = "on-demand"
	CapacitySpotWithFallback = "spot-with-fallback"
)

// ObjectMeta is the subset of Kubernetes metadata a spec carries.
type ObjectMeta struct {
	Name        string            `json:"name" required:"true" doc:"Name of the spec; also the name of the objects rendered from it. A DNS-1035 label."`
	Namespace   string            `json:"namespace,omitempty" doc:"Namespace the rendered objects go to. Defaults: Model 'models', Gateway 'ai-gateway'."`
	Labels      map[string]string `json:"labels,omitempty" doc:"Labels copied onto every rendered object."`
	Annotations map[string]string `json:"annotations,omitempty" doc:"Annotations of the spec. gitplane.dev/force: \"true\" allows delete-and-recreate on immutable changes; gitplane.dev/prune: disabled keeps the spec's objects when it leaves Git. On an Environment, gitplane.dev/confirm-prune, gitplane.dev/allow-empty and gitplane.dev/force-conflicts, set to the commit a sync was held back at, confirm the sync of the commit made on top of it."`
}

// TypeMeta names the kind of a document.
type TypeMeta struct {
	APIVersion string `json:"apiVersion" required:"true" enum:"gitplane.dev/v1alpha1" doc:"Always gitplane.dev/v1alpha1."`
	Kind       string `json:"kind" required:"true" enum:"Environment,Model,Gateway" doc:"The spec kind."`
}

// Source says where a spec was read from.
type Source struct {
	File string // slash-separated path relative to the repository root
	Line int    // line of the document's first key
	// Digest identifies the document's content: a hash of the file and the
	// document's index in it. Specs with equal digests decode to equal
	// values; renderers use it as a cache key. Empty for specs not read by
	// Load or a Loader.
	Digest string
	pos    positions
}

// Pos returns the position of a field path in the spec's file, or the
// nearest enclosing field's position when the path itself is absent.
func (s *Source) Pos(path string) (line, col int) { return s.pos.lookup(path, s.Line) }

// Spec is implemented by the three kinds.
type Spec interface {
	GetKind() string
	GetMeta() *ObjectMeta
	GetSource() *Source
}

// Environment is one cluster gitplane syncs: an EKS cluster, its ingress,
// Istio and Karpenter node settings, and the Git branch it follows.
type Environment struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta      `json:"metadata" required:"true"`
	Spec     EnvironmentSpec `json:"spec" required:"true"`
	Source   Source          `json:"-"`
}

// EnvironmentSpec holds an Environment's settings.
type EnvironmentSpec struct {
	Cluster  ClusterSpec   `json:"cluster" required:"true" doc:"The EKS cluster."`
	Ingress  IngressSpec   `json:"ingress" required:"true" doc:"The ALB in front of the Istio ingress gateway."`
	Istio    IstioSpec     `json:"istio,omitempty" doc:"Where the Istio ingress gateway runs."`
	Nodes    NodesSpec     `json:"nodes" required:"true" doc:"Settings of the Karpenter EC2NodeClass for GPU nodes."`
	Git      GitSpec       `json:"git,omitempty" doc:"The Git branch this Environment follows."`
	Overlay  string        `json:"overlay,omitempty" doc:"Repository path of a kustomize folder (patches, extra resources) applied on top of this Environment's objects."`
	Defaults ModelDefaults `json:"defaults,omitempty" doc:"Defaults for Models deployed to this Environment."`
}

// ClusterSpec identifies an EKS cluster.
type ClusterSpec struct {
	Name       string `json:"name" required:"true" doc:"EKS cluster name."`
	Region     string `json:"region" required:"true" doc:"AWS region, e.g. us-east-1."`
	AccountID  string `json:"accountId" required:"true" doc:"12-digit AWS account ID; every ARN used in this Environment must be in it."`
	OIDCIssuer string `json:"oidcIssuer" required:"true" doc:"The cluster's OIDC issuer URL (https://oidc.eks.<region>.amazonaws.com/id/<id>), used for IRSA."`
}

// IngressSpec configures the AWS Load Balancer Controller Ingress.
type IngressSpec struct {
	Scheme         string `json:"scheme,omitempty" enum:"internet-facing,internal" default:"internet-facing" doc:"ALB scheme."`
	CertificateARN string `json:"certificateArn" required:"true" doc:"ACM certificate ARN for the HTTPS listener."`
	Domain         string `json:"domain" required:"true" doc:"Base domain; Model and Gateway hosts must be in it."`
	GroupName      string `json:"groupName,omitempty" doc:"ALB IngressGroup name (lower-case, at most 63 characters). Default: gitplane-<environment>."`
}

// IstioSpec locates the Istio ingress gateway.
type IstioSpec struct {
	IngressGatewayNamespace      string            `json:"ingressGatewayNamespace,omitempty" default:"istio-system" doc:"Namespace of the ingress gateway Deployment and Service."`
	IngressGatewaySelector       map[string]string `json:"ingressGatewaySelector,omitempty" doc:"Pod labels of the ingress gateway. Default: istio: ingressgateway."`
	IngressGatewayService        string            `json:"ingressGatewayService,omitempty" default:"istio-ingressgateway" doc:"Service the ALB forwards to."`
	IngressGatewayServiceAccount string            `json:"ingressGatewayServiceAccount,omitempty" default:"istio-ingressgateway-service-account" doc:"Service account of the ingress gateway (istioctl's default; Helm installs use the release name)."`
}

// NodesSpec configures the EC2NodeClass Karpenter launches GPU nodes from.
type NodesSpec struct {
	Role                  string            `json:"role" required:"true" doc:"IAM role name of the nodes (EC2NodeClass spec.role)."`
	SubnetSelector        map[string]string `json:"subnetSelector" required:"true" doc:"Tags selecting the subnets nodes launch in."`
	SecurityGroupSelector map[string]string `json:"securityGroupSelector" required:"true" doc:"Tags selecting the nodes' security groups."`
	AMIAlias              string            `json:"amiAlias,omitempty" default:"al2023@latest" doc:"AMI alias, e.g. al2023@latest or bottlerocket@latest."`
	RootVolumeSize        string            `json:"rootVolumeSize,omitempty" default:"200Gi" doc:"Root EBS volume size; model weights need room."`
	MaxPriceMultiple      int32             `json:"maxPriceMultiple,omitempty" default:"3" doc:"A Model's NodePools allow only instance types costing at most this many times the cheapest type it fits on (on-demand list price), and with no more GPUs than the fewest that fit: a spot shortage cannot launch an 8-GPU instance for a 1-GPU Model."`
}

// GitSpec names the branch an Environment follows.
type GitSpec struct {
	Branch string `json:"branch,omitempty" default:"main" doc:"Branch whose commits are synced to this Environment."`
}

// ModelDefaults are an Environment's defaults for its Models.
type ModelDefaults struct {
	Capacity string    `json:"capacity,omitempty" enum:"spot,on-demand,spot-with-fallback" doc:"Capacity type for Models that set none."`
	Replicas *Replicas `json:"replicas,omitempty" doc:"Replica bounds for Models that set none."`
}
