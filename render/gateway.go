package render

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/render/version"
	"github.com/gitplane/gitplane/schema"
)

// DefaultGatewayImage is the image of a Gateway that sets no spec.image:
// gitplane's own, at the version of the gitplane that renders.
func DefaultGatewayImage() string { return version.Image() }

// gatewayInput is everything a Gateway's objects depend on in one Environment.
type gatewayInput struct {
	Gateway *schema.Gateway
	Env     *schema.Environment
	// Served maps the Models the routes name (namespace/name) to the model
	// name their server answers to (servedModelName).
	Served map[string]string
	Image  string
}

// servedModels maps each Model the Gateway routes to (namespace/name) to
// the model name its server answers to, where its args say.
func servedModels(models map[string]*schema.Model, g *schema.Gateway) map[string]string {
	var out map[string]string
	for _, r := range g.Spec.Routes {
		if r.Model == nil {
			continue
		}
		key := r.Model.Namespace + "/" + r.Model.Name
		if m := models[key]; m != nil {
			if n := servedModelName(m.Spec.Args); n != "" {
				if out == nil {
					out = map[string]string{}
				}
				out[key] = n
			}
		}
	}
	return out
}

func modelIndex(repo *schema.Repo) map[string]*schema.Model {
	out := make(map[string]*schema.Model, len(repo.Models))
	for _, m := range repo.Models {
		out[m.Metadata.Namespace+"/"+m.Metadata.Name] = m
	}
	return out
}

// extra is what the Gateway's objects depend on besides its spec and
// Environment, for the cache key.
func (in gatewayInput) extra() []string {
	out := []string{in.Image}
	for _, k := range slices.Sorted(maps.Keys(in.Served)) {
		out = append(out, k, in.Served[k])
	}
	return out
}

func gatewayObjects(in gatewayInput) ([]M, error) {
	g, env := in.Gateway, in.Env
	meta := &g.Metadata
	cfg, hosts := runtimeConfig(in)
	cfgYAML, err := config.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: %w", meta.Name, err)
	}
	cm := object("v1", "ConfigMap", meta.Namespace, meta.Name+"-config", workloadLabels(meta, "gateway"))
	cm["data"] = M{gatewayConfigFile: string(cfgYAML)}
	sum := sha256.Sum256(cfgYAML)

	objs := []M{
		serviceAccount(meta, "gateway", g.Spec.IAM.RoleARN),
		cm,
		gatewayDeployment(in, hex.EncodeToString(sum[:8])),
		service(meta, "gateway"),
		pdb(meta, "gateway"),
		destinationRule(meta, "gateway"),
		// applications in the mesh call the gateway (its callers prove
		// themselves with API keys), as does the ingress gateway: any mTLS
		// peer, never plain text
		authorizationPolicy(meta, "gateway", meshCallers{principals: []string{"*"}}),
		virtualService(meta, "gateway", env, schema.Hostname(g.Spec.Host, env), "/", g.Spec.Visibility),
	}
	if r := g.Spec.Replicas; r.Max > r.Min {
		objs = append(objs, hpa(meta, "gateway", *r, 70))
	}
	for _, h := range hosts {
		objs = append(objs, serviceEntry(meta.Namespace, meta.Name+"-"+h.name, h))
	}
	return objs, nil
}

// gatewayVolumes mounts the runtime config, the API keys and the Redis
// password (files the runtime re-reads; nothing secret in the environment).
func gatewayVolumes(g *schema.Gateway) (mounts, volumes []any) {
	meta := &g.Metadata
	mounts = []any{M{"name": "config", "mountPath": gatewayConfigDir, "readOnly": true}}
	volumes = []any{M{"name": "config", "configMap": M{"name": meta.Name + "-config"}}}
	if s := g.Spec.Auth.APIKeysSecret; s != "" {
		mounts = append(mounts, M{"name": "api-keys", "mountPath": gatewayKeysDir, "readOnly": true})
		volumes = append(volumes, M{"name": "api-keys", "secret": M{"secretName": s}})
	}
	if rl := g.Spec.RateLimit; rl != nil && rl.Redis != nil && rl.Redis.PasswordSecret != nil {
		p := rl.Redis.PasswordSecret
		mounts = append(mounts, M{"name": "redis-password", "mountPath": gatewayRedisDir, "readOnly": true})
		volumes = append(volumes, M{"name": "redis-password", "secret": M{"secretName": p.Name,
			"items": []any{M{"key": p.Key, "path": p.Key}}}})
	}
	return mounts, volumes
}

func gatewayDeployment(in gatewayInput, configHash string) M {
	g, env := in.Gateway, in.Env
	meta := &g.Metadata
	labels := workloadLabels(meta, "gateway")
	mounts, volumes := gatewayVolumes(g)
	probe := func(path string, period int64) M {
		return M{"httpGet": M{"path": path, "port": "http-metrics"}, "periodSeconds": period}
	}
	container := M{
		"name":  "gateway",
		"image": cmp.Or(g.Spec.Image, in.Image),
		"args":  []any{"gateway", "--config", gatewayConfigDir + "/" + gatewayConfigFile},
		"ports": []any{
			M{"name": "http", "containerPort": int64(g.Spec.Port), "protocol": "TCP"},
			M{"name": "http-metrics", "containerPort": int64(gatewayMetrics), "protocol": "TCP"},
		},
		"env":            []any{M{"name": "AWS_REGION", "value": env.Spec.Cluster.Region}},
		"readinessProbe": probe("/readyz", 5),
		"livenessProbe":  probe("/healthz", 10),
		"lifecycle":      M{"preStop": M{"sleep": M{"seconds": int64(preStopSeconds)}}},
		"volumeMounts":   mounts,
		"resources":      M{"requests": M{"cpu": "250m", "memory": "256Mi"}, "limits": M{"memory": "512Mi"}},
		"securityContext": M{"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
			"capabilities": M{"drop": strs("ALL")}, "seccompProfile": M{"type": "RuntimeDefault"}},
	}
	annotations := M{
		"gitplane.dev/config-hash": configHash,
		"prometheus.io/scrape":     "true",
		"prometheus.io/port":       fmt.Sprint(gatewayMetrics),
		"prometheus.io/path":       "/metrics",
	}
	spec := M{
		"selector": M{"matchLabels": M{LabelName: meta.Name}},
		"template": M{
			"metadata": M{"labels": stringMap(labels), "annotations": annotations},
			"spec": M{
				"serviceAccountName":            meta.Name,
				"terminationGracePeriodSeconds": int64(terminationSeconds),
				"containers":                    []any{container},
				"volumes":                       volumes,
				"topologySpreadConstraints": []any{
					spread(ZoneLabel, meta.Name, "ScheduleAnyway"),
					spread("kubernetes.io/hostname", meta.Name, "ScheduleAnyway"),
				},
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
