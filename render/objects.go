package render

import (
	"fmt"
	"hash/fnv"

	"github.com/gitplane/gitplane/schema"
)

// M is a JSON object under construction.
type M = map[string]any

// Labels and annotations gitplane puts on what it renders.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	ManagedByValue      = "gitplane"
	LabelEnvironment    = "gitplane.dev/environment"
	AnnotationSource    = "gitplane.dev/source"
	LabelName           = "app.kubernetes.io/name"
	LabelComponent      = "app.kubernetes.io/component"
	AnnotationInstances = "gitplane.dev/instance-types"
	GPUResource         = "nvidia.com/gpu"
	ZoneLabel           = "topology.kubernetes.io/zone"
	NodePoolLabel       = "karpenter.sh/nodepool"
)

// object starts a Kubernetes object. Namespace may be empty (cluster-scoped).
func object(apiVersion, kind, namespace, name string, labels map[string]string) M {
	meta := M{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	if len(labels) > 0 {
		l := M{}
		for k, v := range labels {
			l[k] = v
		}
		meta["labels"] = l
	}
	return M{"apiVersion": apiVersion, "kind": kind, "metadata": meta}
}

// workloadLabels are the labels of a Model's or Gateway's objects: the
// spec's own labels plus name and component.
func workloadLabels(meta *schema.ObjectMeta, component string) map[string]string {
	l := map[string]string{}
	for k, v := range meta.Labels {
		l[k] = v
	}
	l[LabelName] = meta.Name
	l[LabelComponent] = component
	return l
}

// shortName keeps a generated name within max characters by replacing its
// tail with a hash, so long namespace/model names stay unique and valid.
func shortName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	suffix := fmt.Sprintf("-%08x", h.Sum32())
	return name[:max-len(suffix)] + suffix
}

func strs(s ...string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func stringMap(m map[string]string) M {
	out := make(M, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func svcHost(name, namespace string) string {
	return name + "." + namespace + ".svc.cluster.local"
}

func principal(namespace, serviceAccount string) string {
	return "cluster.local/ns/" + namespace + "/sa/" + serviceAccount
}
