package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/gpu"
)

// Weights of the NodePools of a spot-with-fallback Model: Karpenter tries
// the heavier spot pool first and the on-demand pool when spot has no
// capacity.
const (
	spotWeight     = 100
	fallbackWeight = 10
)

type nodePool struct {
	name   string
	object M
}

// NodeClassName is the EC2NodeClass every NodePool of an Environment uses.
func NodeClassName(env *schema.Environment) string { return "gitplane-" + env.Metadata.Name }

// nodePools renders the Model's NodePools: none for CPU-only Models, one per
// capacity type otherwise.
func nodePools(in modelInput, req gpu.Request, types []gpu.InstanceType) []nodePool {
	m := in.Model
	if m.Spec.Resources.GPU == nil || len(types) == 0 {
		return nil
	}
	var out []nodePool
	add := func(capacity string, weight int64) {
		name := shortName(fmt.Sprintf("%s-%s-%s", m.Metadata.Namespace, m.Metadata.Name, capacity), 63)
		out = append(out, nodePool{name: name, object: nodePoolObject(in, name, capacity, weight, req, types)})
	}
	switch m.EffectiveCapacity(in.Env) {
	case schema.CapacitySpot:
		add("spot", 0)
	case schema.CapacityOnDemand:
		add("on-demand", 0)
	default:
		add("spot", spotWeight)
		add("on-demand", fallbackWeight)
	}
	return out
}

func nodePoolObject(in modelInput, name, capacity string, weight int64, req gpu.Request, types []gpu.InstanceType) M {
	m := in.Model
	replicas := m.EffectiveReplicas(in.Env)
	np := object("karpenter.sh/v1", "NodePool", "", name, workloadLabels(&m.Metadata, "nodepool"))
	np["metadata"].(M)["annotations"] = M{AnnotationInstances: instanceNames(types)}
	spec := M{
		"template": M{
			"metadata": M{"labels": M{"gitplane.dev/model": m.Metadata.Name, "gitplane.dev/namespace": m.Metadata.Namespace}},
			"spec": M{
				"nodeClassRef": M{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NodeClassName(in.Env)},
				"requirements": requirements(capacity, req, types),
				"taints":       []any{M{"key": GPUResource, "value": "true", "effect": "NoSchedule"}},
				"expireAfter":  "720h",
			},
		},
		"disruption": M{
			"consolidationPolicy": "WhenEmptyOrUnderutilized",
			"consolidateAfter":    "5m",
			"budgets":             []any{M{"nodes": "1"}},
		},
		// room for every replica plus one rolling-update surge
		"limits": M{GPUResource: strconv.Itoa(int(req.GPUs) * int(replicas.Max+1))},
	}
	if weight > 0 {
		spec["weight"] = weight
	}
	np["spec"] = spec
	return np
}

func requirements(capacity string, req gpu.Request, types []gpu.InstanceType) []any {
	var families, gpus, names []string
	minMiB := types[0].GPU.MiB
	for _, t := range types {
		families = appendUnique(families, t.Family)
		gpus = appendUnique(gpus, t.GPU.Name)
		names = append(names, t.Name)
		minMiB = min(minMiB, t.GPU.MiB)
	}
	slices.Sort(families)
	slices.Sort(gpus)
	slices.Sort(names)
	in := func(key string, values []string) M {
		return M{"key": key, "operator": "In", "values": strs(values...)}
	}
	gt := func(key string, v int64) M {
		return M{"key": key, "operator": "Gt", "values": strs(strconv.FormatInt(v, 10))}
	}
	return []any{
		in("karpenter.sh/capacity-type", []string{capacity}),
		in("kubernetes.io/arch", []string{"amd64"}),
		in("kubernetes.io/os", []string{"linux"}),
		in("karpenter.k8s.aws/instance-family", families),
		in("karpenter.k8s.aws/instance-gpu-name", gpus),
		gt("karpenter.k8s.aws/instance-gpu-memory", minMiB-1),
		gt("karpenter.k8s.aws/instance-gpu-count", int64(req.GPUs)-1),
		in("node.kubernetes.io/instance-type", names),
	}
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// ec2NodeClass renders the Environment's EC2NodeClass for GPU nodes.
func ec2NodeClass(env *schema.Environment) M {
	n := env.Spec.Nodes
	nc := object("karpenter.k8s.aws/v1", "EC2NodeClass", "", NodeClassName(env), nil)
	device := "/dev/xvda"
	if isBottlerocket(n.AMIAlias) {
		device = "/dev/xvdb" // Bottlerocket's data volume holds images and pods
	}
	nc["spec"] = M{
		"role":                       n.Role,
		"amiSelectorTerms":           []any{M{"alias": n.AMIAlias}},
		"subnetSelectorTerms":        []any{M{"tags": stringMap(n.SubnetSelector)}},
		"securityGroupSelectorTerms": []any{M{"tags": stringMap(n.SecurityGroupSelector)}},
		"blockDeviceMappings": []any{M{
			"deviceName": device,
			"ebs": M{"volumeSize": n.RootVolumeSize, "volumeType": "gp3", "encrypted": true,
				"iops": int64(10000), "throughput": int64(500), "deleteOnTermination": true},
		}},
		"metadataOptions": M{"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": int64(1)},
		"tags":            M{"gitplane.dev/environment": env.Metadata.Name, "gitplane.dev/cluster": env.Spec.Cluster.Name},
	}
	return nc
}

func isBottlerocket(alias string) bool {
	return strings.HasPrefix(alias, "bottlerocket@")
}
