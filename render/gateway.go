package render

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/gitplane/gitplane/schema"
)

// Where the gateway runtime finds its configuration.
const (
	gatewayConfigDir = "/etc/gitplane/gateway"
	gatewayKeysDir   = "/etc/gitplane/api-keys"
)

// gatewayInput is everything a Gateway's objects depend on in one Environment.
type gatewayInput struct {
	Gateway *schema.Gateway
	Env     *schema.Environment
}

// gatewayConfig is the routes file the runtime reads (routes.yaml).
type gatewayConfig struct {
	Routes    []gatewayRoute    `json:"routes"`
	RateLimit *schema.RateLimit `json:"rateLimit,omitempty"`
	APIKeys   string            `json:"apiKeysDir,omitempty"`
}

type gatewayRoute struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // bedrock, sagemaker, model
	Target   string `json:"target"`
	Region   string `json:"region,omitempty"`
	Endpoint string `json:"endpoint"`
}

func gatewayObjects(in gatewayInput) ([]M, error) {
	g, env := in.Gateway, in.Env
	meta := &g.Metadata
	cfg, hosts := gatewayRoutes(g, env)
	cfgYAML, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding routes: %w", err)
	}
	cm := object("v1", "ConfigMap", meta.Namespace, meta.Name+"-routes", workloadLabels(meta, "gateway"))
	cm["data"] = M{"routes.yaml": string(cfgYAML)}
	sum := sha256.Sum256(cfgYAML)

	objs := []M{
		serviceAccount(meta, "gateway", g.Spec.IAM.RoleARN),
		cm,
		gatewayDeployment(g, env, hex.EncodeToString(sum[:8])),
		service(meta, "gateway"),
		pdb(meta, "gateway"),
		destinationRule(meta, "gateway"),
		authorizationPolicy(meta, "gateway", meshCallers{principals: ingressPrincipals(env)}),
		virtualService(meta, "gateway", env, schema.Hostname(g.Spec.Host, env), "/", g.Spec.Visibility),
	}
	if r := g.Spec.Replicas; r.Max > r.Min {
		objs = append(objs, hpa(meta, "gateway", *r, 70))
	}
	for _, h := range hosts {
		objs = append(objs, serviceEntry(meta.Namespace, meta.Name+"-"+h.name, h.host))
	}
	return objs, nil
}

type egressHost struct{ name, host string }

// gatewayRoutes builds the runtime's route table and the AWS hosts it must
// reach (one ServiceEntry each), sorted for determinism.
func gatewayRoutes(g *schema.Gateway, env *schema.Environment) (gatewayConfig, []egressHost) {
	cfg := gatewayConfig{RateLimit: g.Spec.RateLimit}
	if g.Spec.Auth.APIKeysSecret != "" {
		cfg.APIKeys = gatewayKeysDir
	}
	var hosts []egressHost
	addHost := func(name, host string) {
		if !slices.Contains(hosts, egressHost{name, host}) {
			hosts = append(hosts, egressHost{name, host})
		}
	}
	for _, r := range g.Spec.Routes {
		switch {
		case r.Bedrock != nil:
			region := cmp.Or(r.Bedrock.Region, env.Spec.Cluster.Region)
			host := "bedrock-runtime." + region + ".amazonaws.com"
			cfg.Routes = append(cfg.Routes, gatewayRoute{Name: r.Name, Type: "bedrock", Target: r.Bedrock.ModelID, Region: region, Endpoint: "https://" + host})
			addHost("bedrock-"+region, host)
		case r.SageMaker != nil:
			region := cmp.Or(r.SageMaker.Region, env.Spec.Cluster.Region)
			host := "runtime.sagemaker." + region + ".amazonaws.com"
			cfg.Routes = append(cfg.Routes, gatewayRoute{Name: r.Name, Type: "sagemaker", Target: r.SageMaker.EndpointName, Region: region, Endpoint: "https://" + host})
			addHost("sagemaker-"+region, host)
		case r.Model != nil:
			cfg.Routes = append(cfg.Routes, gatewayRoute{Name: r.Name, Type: "model", Target: r.Model.Namespace + "/" + r.Model.Name,
				Endpoint: "http://" + svcHost(r.Model.Name, r.Model.Namespace)})
		}
	}
	slices.SortFunc(hosts, func(a, b egressHost) int { return strings.Compare(a.name, b.name) })
	return cfg, hosts
}

func gatewayDeployment(g *schema.Gateway, env *schema.Environment, configHash string) M {
	meta := &g.Metadata
	labels := workloadLabels(meta, "gateway")
	mounts := []any{M{"name": "routes", "mountPath": gatewayConfigDir, "readOnly": true}}
	volumes := []any{M{"name": "routes", "configMap": M{"name": meta.Name + "-routes"}}}
	if s := g.Spec.Auth.APIKeysSecret; s != "" {
		mounts = append(mounts, M{"name": "api-keys", "mountPath": gatewayKeysDir, "readOnly": true})
		volumes = append(volumes, M{"name": "api-keys", "secret": M{"secretName": s}})
	}
	container := M{
		"name":  "gateway",
		"image": g.Spec.Image,
		"ports": []any{M{"name": "http", "containerPort": int64(g.Spec.Port), "protocol": "TCP"}},
		"env": []any{
			M{"name": "GATEWAY_CONFIG", "value": gatewayConfigDir + "/routes.yaml"},
			M{"name": "AWS_REGION", "value": env.Spec.Cluster.Region},
		},
		"readinessProbe":  M{"tcpSocket": M{"port": "http"}, "periodSeconds": int64(5)},
		"lifecycle":       M{"preStop": M{"sleep": M{"seconds": int64(preStopSeconds)}}},
		"volumeMounts":    mounts,
		"resources":       M{"requests": M{"cpu": "250m", "memory": "256Mi"}, "limits": M{"memory": "512Mi"}},
		"securityContext": M{"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false},
	}
	spec := M{
		"selector": M{"matchLabels": M{LabelName: meta.Name}},
		"template": M{
			"metadata": M{"labels": stringMap(labels), "annotations": M{"gitplane.dev/routes-hash": configHash}},
			"spec": M{
				"serviceAccountName":            meta.Name,
				"terminationGracePeriodSeconds": int64(terminationSeconds),
				"containers":                    []any{container},
				"volumes":                       volumes,
				"topologySpreadConstraints":     []any{spread(ZoneLabel, meta.Name, "ScheduleAnyway")},
			},
		},
	}
	if r := g.Spec.Replicas; r.Max == r.Min {
		spec["replicas"] = int64(r.Min) // no HorizontalPodAutoscaler owns them
	}
	d := object("apps/v1", "Deployment", meta.Namespace, meta.Name, labels)
	d["spec"] = spec
	return d
}
