package render

import (
	"fmt"
	"slices"
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
	types := schema.InstanceTypes(req, env)
	pools := nodePools(in, req, types)
	objs := []M{
		serviceAccount(&m.Metadata, "model", m.Spec.IAM.RoleARN),
		modelDeployment(m, pools),
		service(&m.Metadata, "model"),
		hpa(&m.Metadata, "model", m.EffectiveReplicas(env), m.Spec.Autoscaling.TargetCPUUtilization),
		pdb(&m.Metadata, "model"),
		destinationRule(&m.Metadata, "model"),
		authorizationPolicy(&m.Metadata, "model", modelCallers(in)),
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
		"lifecycle":       M{"preStop": M{"sleep": M{"seconds": int64(preStopSeconds)}}},
		"resources":       containerResources(m.Spec.Resources),
		"securityContext": containerSecurity(m.Spec.Security),
	}
	vars := m.Spec.Env
	var volumes []any
	if sec := m.Spec.Security; sec.ReadOnlyRootFilesystem {
		container["volumeMounts"] = []any{
			M{"name": "cache", "mountPath": sec.CachePath},
			M{"name": "tmp", "mountPath": "/tmp"},
		}
		volumes = []any{M{"name": "cache", "emptyDir": M{}}, M{"name": "tmp", "emptyDir": M{}}}
		if !slices.ContainsFunc(vars, func(v schema.EnvVar) bool { return v.Name == "HF_HOME" }) {
			vars = append(slices.Clip(vars), schema.EnvVar{Name: "HF_HOME", Value: sec.CachePath})
		}
	}
	if len(m.Spec.Args) > 0 {
		container["args"] = strs(m.Spec.Args...)
	}
	if env := envVars(vars); len(env) > 0 {
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
	if volumes != nil {
		pod["volumes"] = volumes
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

// pdb keeps all but one replica up during voluntary disruptions. Pods that
// are not ready may always be evicted (unhealthyPodEvictionPolicy), so a
// crash-looping or still-loading replica never blocks a node drain.
func pdb(meta *schema.ObjectMeta, component string) M {
	p := object("policy/v1", "PodDisruptionBudget", meta.Namespace, meta.Name, workloadLabels(meta, component))
	p["spec"] = M{
		"maxUnavailable":             int64(1),
		"selector":                   M{"matchLabels": M{LabelName: meta.Name}},
		"unhealthyPodEvictionPolicy": "AlwaysAllow",
	}
	return p
}

// containerSecurity is a container's security context: no privilege
// escalation, no capabilities, the runtime's default seccomp profile, and
// what the spec asks for.
func containerSecurity(sec schema.ModelSecurity) M {
	c := M{
		"allowPrivilegeEscalation": false,
		"capabilities":             M{"drop": strs("ALL")},
		"seccompProfile":           M{"type": "RuntimeDefault"},
	}
	if sec.RunAsNonRoot {
		c["runAsNonRoot"] = true
	}
	if sec.RunAsUser != nil {
		c["runAsUser"] = int64(*sec.RunAsUser)
	}
	if sec.ReadOnlyRootFilesystem {
		c["readOnlyRootFilesystem"] = true
	}
	return c
}

// modelCallers are the Istio principals and namespaces that may call a
// Model: the Gateways routing to it, the ingress gateway when an ingress
// route to it exists (expose.visibility public), and the in-mesh callers
// its spec names.
func modelCallers(in modelInput) meshCallers {
	m := in.Model
	var c meshCallers
	if e := m.Spec.Expose; e != nil && e.Visibility == "public" {
		c.principals = append(c.principals, ingressPrincipals(in.Env)...)
	}
	c.principals = append(c.principals, in.Callers...)
	for _, sa := range m.Spec.Access.ServiceAccounts {
		ns, name, _ := strings.Cut(sa, "/")
		c.principals = append(c.principals, principal(ns, name))
	}
	c.namespaces = m.Spec.Access.Namespaces
	slices.Sort(c.principals)
	c.principals = slices.Compact(c.principals)
	c.namespaces = slices.Compact(slices.Sorted(slices.Values(c.namespaces)))
	return c
}

// instanceNames lists instance type names, cheapest first, for annotations.
func instanceNames(types []gpu.InstanceType) string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Name
	}
	return strings.Join(names, ",")
}
