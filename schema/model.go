package schema

// Model is a model server: a container image on GPU nodes, exposed through
// Istio and optionally the ALB.
type Model struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta `json:"metadata" required:"true"`
	Spec     ModelSpec  `json:"spec" required:"true"`
	Source   Source     `json:"-"`
}

// ModelSpec holds a Model's settings.
type ModelSpec struct {
	Image        string         `json:"image" required:"true" doc:"Container image of the model server."`
	Args         []string       `json:"args,omitempty" doc:"Container arguments."`
	Env          []EnvVar       `json:"env,omitempty" doc:"Container environment variables."`
	Port         int32          `json:"port,omitempty" default:"8080" doc:"Port the server listens on."`
	HealthPath   string         `json:"healthPath,omitempty" default:"/health" doc:"HTTP path of the readiness probe."`
	Resources    ModelResources `json:"resources" required:"true" doc:"GPU, CPU and memory per replica."`
	Capacity     string         `json:"capacity,omitempty" enum:"spot,on-demand,spot-with-fallback" default:"spot-with-fallback" doc:"EC2 capacity type. spot-with-fallback renders a spot NodePool and a lower-weight on-demand one."`
	Replicas     *Replicas      `json:"replicas,omitempty" doc:"Replica bounds for the HorizontalPodAutoscaler. Default: the Environment's, else min 1, max 1."`
	Autoscaling  Autoscaling    `json:"autoscaling,omitempty" doc:"Autoscaling target."`
	IAM          IAMSpec        `json:"iam,omitempty" doc:"IAM role for the model's ServiceAccount (IRSA)."`
	Expose       *Expose        `json:"expose,omitempty" doc:"Routes to the model from the ingress. Without it the model is reachable only inside the mesh."`
	Access       ModelAccess    `json:"access,omitempty" doc:"Callers inside the mesh allowed to call the Model besides the Gateways that route to it (and the ingress gateway for a public Model)."`
	Security     ModelSecurity  `json:"security,omitempty" doc:"Security settings of the model server container. Privilege escalation is always off, all capabilities dropped and the RuntimeDefault seccomp profile set."`
	Environments []string       `json:"environments,omitempty" doc:"Environments that get this Model. Default: all."`
}

// EnvVar is a container environment variable: a literal value or a key of
// an existing Secret (gitplane never reads Secret values).
type EnvVar struct {
	Name      string        `json:"name" required:"true" doc:"Variable name."`
	Value     string        `json:"value,omitempty" doc:"Literal value."`
	SecretRef *SecretKeyRef `json:"secretRef,omitempty" doc:"Take the value from a key of an existing Secret."`
}

// SecretKeyRef names a key in a Secret of the spec's namespace.
type SecretKeyRef struct {
	Name string `json:"name" required:"true" doc:"Secret name."`
	Key  string `json:"key" required:"true" doc:"Key in the Secret."`
}

// ModelResources are a replica's resource requests.
type ModelResources struct {
	GPU    *GPURequest `json:"gpu,omitempty" doc:"GPU request. Without it the model runs on CPU nodes."`
	CPU    string      `json:"cpu,omitempty" default:"2" doc:"CPU request (Kubernetes quantity)."`
	Memory string      `json:"memory,omitempty" default:"8Gi" doc:"Memory request and limit (Kubernetes quantity)."`
}

// GPURequest asks for GPUs by memory, count and optionally type.
type GPURequest struct {
	Memory string `json:"memory" required:"true" doc:"Memory per GPU, read as the size GPUs are sold with: 24G and 24Gi both mean a 24 GB GPU such as the A10G (see docs/spec.md)."`
	Count  int32  `json:"count,omitempty" default:"1" doc:"GPUs per replica."`
	Type   string `json:"type,omitempty" enum:"t4,a10g,l4,l40s,a100,h100" doc:"GPU model; any type with enough memory when empty."`
}

// ModelAccess names the in-mesh callers of a Model: Istio admits a caller
// whose workload runs in one of Namespaces or as one of ServiceAccounts.
type ModelAccess struct {
	Namespaces      []string `json:"namespaces,omitempty" doc:"Namespaces whose workloads may call the Model."`
	ServiceAccounts []string `json:"serviceAccounts,omitempty" doc:"Service accounts (namespace/name) that may call the Model."`
}

// ModelSecurity is what a model image needs from its container's security
// context.
type ModelSecurity struct {
	RunAsNonRoot           bool   `json:"runAsNonRoot,omitempty" doc:"Refuse to start the container as root (set it when the image has a non-root user)."`
	RunAsUser              *int32 `json:"runAsUser,omitempty" doc:"User ID the server runs as."`
	ReadOnlyRootFilesystem bool   `json:"readOnlyRootFilesystem,omitempty" doc:"Mount the root filesystem read-only; cachePath and /tmp get writable emptyDir volumes."`
	CachePath              string `json:"cachePath,omitempty" default:"/cache" doc:"With readOnlyRootFilesystem: the writable folder for model weights and compilation caches (HF_HOME points at it)."`
}

// Replicas bounds a workload's replica count.
type Replicas struct {
	Min int32 `json:"min,omitempty" default:"1" doc:"Minimum replicas."`
	Max int32 `json:"max,omitempty" doc:"Maximum replicas. Default: min."`
}

// Autoscaling sets the HorizontalPodAutoscaler's target.
type Autoscaling struct {
	TargetCPUUtilization int32 `json:"targetCPUUtilization,omitempty" default:"70" doc:"Average CPU utilisation (percent of request) the autoscaler keeps."`
}

// IAMSpec names a pre-provisioned IAM role.
type IAMSpec struct {
	RoleARN string `json:"roleArn,omitempty" doc:"IAM role ARN the ServiceAccount assumes through IRSA; must be in the Environment's account."`
}

// Expose routes external traffic to a workload.
type Expose struct {
	Host       string `json:"host" required:"true" doc:"Host name; must be in the Environment's ingress domain."`
	Path       string `json:"path,omitempty" default:"/" doc:"URI prefix."`
	Visibility string `json:"visibility,omitempty" enum:"public,internal" default:"internal" doc:"public: routed from the ALB; internal: only from inside the mesh through the ingress gateway."`
}

// GetKind implements Spec.
func (m *Model) GetKind() string { return KindModel }

// GetMeta implements Spec.
func (m *Model) GetMeta() *ObjectMeta { return &m.Metadata }

// GetSource implements Spec.
func (m *Model) GetSource() *Source { return &m.Source }

// GetKind implements Spec.
func (e *Environment) GetKind() string { return KindEnvironment }

// GetMeta implements Spec.
func (e *Environment) GetMeta() *ObjectMeta { return &e.Metadata }

// GetSource implements Spec.
func (e *Environment) GetSource() *Source { return &e.Source }

var (
	_ Spec = (*Model)(nil)
	_ Spec = (*Environment)(nil)
	_ Spec = (*Gateway)(nil)
)
