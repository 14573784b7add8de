package render

import (
	"fmt"
	"strings"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/gpu"
)

// Pod lifecycle on spot: Karpenter drains a node on the two-minute
// interruption notice, so the whole shutdown must fit well inside 120 s.
const (
	preStopSeconds     = 15 // time for endpoints and the ALB to stop sending traffic
	terminationSeconds = 90 // preStop plus in-flight requests, inside the 120 s notice
)

// modelInput is everything a Model's objects depend on in one Environment.
type modelInput struct {
	Model   *schema.Model
	Env     *schema.Environment
	Callers []string // Istio principals of the Gateways that route to the Model
}

// modelObjects renders one Model for one Environment.
func modelObjects(in modelInput) ([]M, error) {
	m, env := in.Model, in.Env
	req, err := schema.GPURequestFor(m.Spec.Resources)
	if err != nil {
		return nil, err
	}
	types := gpu.Match(req)
	pools := nodePools(in, req, types)
	objs := []M{
		serviceAccount(&m.Metadata, "model", m.Spec.IAM.RoleARN),
		modelDeployment(m, pools),
		service(&m.Metadata, "model"),
		hpa(&m.Metadata, "model", m.EffectiveReplicas(env), m.Spec.Autoscaling.TargetCPUUtilization),
		pdb(&m.Metadata, "model"),
		destinationRule(&m.Metadata, "model"),
		authorizationPolicy(&m.Metadata, "model", append(ingressPrincipals(env), in.Callers...)),
	}
	for _, p := range pools {
		objs = append(objs, p.object)
	}
	if e := m.Spec.Expose; e != nil {
		objs = append(objs, virtualService(&m.Metadata, "model", env, schema.Hostname(e.Host, env), e.Path, e.Visibility))
	}
	return objs, nil
}

func serviceAccount(meta *schema.ObjectMeta, component, roleARN string) M {
	sa := object("v1", "ServiceAccount", meta.Namespace, meta.Name, workloadLabels(meta, component))
	if roleARN != "" {
		sa["metadata"].(M)["annotations"] = M{
			"eks.amazonaws.com/role-arn":               roleARN,
			"eks.amazonaws.com/sts-regional-endpoints": "true",
		}
	}
	return sa
}

func modelDeployment(m *schema.Model, pools []nodePool) M {
	meta := &m.Metadata
	labels := workloadLabels(meta, "model")
	container := M{
		"name":  "server",
		"image": m.Spec.Image,
		"ports": []any{M{"name": "http", "containerPort": int64(m.Spec.Port), "protocol": "TCP"}},
		"readinessProbe": M{
			"httpGet":          M{"path": m.Spec.HealthPath, "port": "http"},
			"periodSeconds":    int64(10),
			"failureThreshold": int64(3),
		},
		// model weights take minutes to load; the startup probe allows 20 minutes
		"startupProbe": M{
			"httpGet":          M{"path": m.Spec.HealthPath, "port": "http"},
			"periodSeconds":    int64(10),
			"failureThreshold": int64(120),
		},
		"lifecycle": M{"preStop": M{"sleep": M{"seconds": int64(preStopSeconds)}}},
		"resources": containerResources(m.Spec.Resources),
	}
	if len(m.Spec.Args) > 0 {
		container["args"] = strs(m.Spec.Args...)
	}
	if env := envVars(m.Spec.Env); len(env) > 0 {
		container["env"] = env
	}
	pod := M{
		"serviceAccountName":            meta.Name,
		"terminationGracePeriodSeconds": int64(terminationSeconds),
		"containers":                    []any{container},
		"topologySpreadConstraints": []any{
			spread(ZoneLabel, meta.Name, "ScheduleAnyway"),
			spread("kubernetes.io/hostname", meta.Name, "ScheduleAnyway"),
		},
	}
	if len(pools) > 0 {
		names := make([]string, len(pools))
		for i, p := range pools {
			names[i] = p.name
		}
		pod["tolerations"] = []any{M{"key": GPUResource, "operator": "Exists", "effect": "NoSchedule"}}
		pod["affinity"] = M{"nodeAffinity": M{"requiredDuringSchedulingIgnoredDuringExecution": M{
			"nodeSelectorTerms": []any{M{"matchExpressions": []any{
				M{"key": NodePoolLabel, "operator": "In", "values": strs(names...)},
			}}},
		}}}
	}
	d := object("apps/v1", "Deployment", meta.Namespace, meta.Name, labels)
	// no replicas: the HorizontalPodAutoscaler owns them
	d["spec"] = M{
		"selector": M{"matchLabels": M{LabelName: meta.Name}},
		"strategy": M{"type": "RollingUpdate", "rollingUpdate": M{"maxSurge": int64(1), "maxUnavailable": int64(0)}},
		"template": M{
			"metadata": M{"labels": stringMap(labels)},
			"spec":     pod,
		},
	}
	return d
}

func spread(key, name, when string) M {
	return M{
		"maxSkew":           int64(1),
		"topologyKey":       key,
		"whenUnsatisfiable": when,
		"labelSelector":     M{"matchLabels": M{LabelName: name}},
	}
}

func containerResources(r schema.ModelResources) M {
	requests := M{"cpu": r.CPU, "memory": r.Memory}
	limits := M{"memory": r.Memory}
	if r.GPU != nil {
		n := fmt.Sprint(r.GPU.Count)
		requests[GPUResource], limits[GPUResource] = n, n
	}
	return M{"requests": requests, "limits": limits}
}

func envVars(vars []schema.EnvVar) []any {
	out := make([]any, 0, len(vars))
	for _, v := range vars {
		e := M{"name": v.Name}
		if v.SecretRef != nil {
			e["valueFrom"] = M{"secretKeyRef": M{"name": v.SecretRef.Name, "key": v.SecretRef.Key}}
		} else {
			e["value"] = v.Value
		}
		out = append(out, e)
	}
	return out
}

func service(meta *schema.ObjectMeta, component string) M {
	s := object("v1", "Service", meta.Namespace, meta.Name, workloadLabels(meta, component))
	s["spec"] = M{
		"selector": M{LabelName: meta.Name},
		"ports": []any{M{
			"name": "http", "port": int64(80), "targetPort": "http", "protocol": "TCP", "appProtocol": "http",
		}},
	}
	return s
}

func hpa(meta *schema.ObjectMeta, component string, r schema.Replicas, targetCPU int32) M {
	h := object("autoscaling/v2", "HorizontalPodAutoscaler", meta.Namespace, meta.Name, workloadLabels(meta, component))
	h["spec"] = M{
		"scaleTargetRef": M{"apiVersion": "apps/v1", "kind": "Deployment", "name": meta.Name},
		"minReplicas":    int64(r.Min),
		"maxReplicas":    int64(r.Max),
		"metrics": []any{M{"type": "Resource", "resource": M{
			"name": "cpu", "target": M{"type": "Utilization", "averageUtilization": int64(targetCPU)},
		}}},
	}
	return h
}

func pdb(meta *schema.ObjectMeta, component string) M {
	p := object("policy/v1", "PodDisruptionBudget", meta.Namespace, meta.Name, workloadLabels(meta, component))
	p["spec"] = M{
		"maxUnavailable": int64(1),
		"selector":       M{"matchLabels": M{LabelName: meta.Name}},
	}
	return p
}

// instanceNames lists instance type names, cheapest first, for annotations.
func instanceNames(types []gpu.InstanceType) string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Name
	}
	return strings.Join(names, ",")
}
