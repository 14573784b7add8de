package render

import (
	"strings"

	"github.com/gitplane/gitplane/schema"
)

// IngressGatewayName is the Istio Gateway each Environment gets in the
// ingress gateway's namespace, gitplane-<environment>; public
// VirtualServices bind to it. Named per Environment (like its Ingress and
// EC2NodeClass) so that two Environments sharing a cluster do not fight
// over one Gateway.
func IngressGatewayName(env *schema.Environment) string { return "gitplane-" + env.Metadata.Name }

func ingressGatewayRef(env *schema.Environment) string {
	return env.Spec.Istio.IngressGatewayNamespace + "/" + IngressGatewayName(env)
}

func ingressPrincipals(env *schema.Environment) []string {
	i := env.Spec.Istio
	return []string{principal(i.IngressGatewayNamespace, i.IngressGatewayServiceAccount)}
}

// virtualService routes host+path to a workload's Service: public workloads
// through the ingress Gateway (and the mesh), internal ones in the mesh
// only, where callers reach them by the Service's own name too.
func virtualService(meta *schema.ObjectMeta, component string, env *schema.Environment, host, path, visibility string) M {
	gateways := []string{"mesh"}
	hosts := []string{host, svcHost(meta.Name, meta.Namespace)}
	if visibility == "public" {
		gateways = []string{ingressGatewayRef(env), "mesh"}
		hosts = hosts[:1]
	}
	vs := object("networking.istio.io/v1", "VirtualService", meta.Namespace, meta.Name, workloadLabels(meta, component))
	vs["spec"] = M{
		"hosts":    strs(hosts...),
		"gateways": strs(gateways...),
		"http": []any{M{
			"name":    "default",
			"match":   []any{M{"uri": M{"prefix": path}}},
			"route":   []any{M{"destination": M{"host": svcHost(meta.Name, meta.Namespace), "port": M{"number": int64(80)}}}},
			"timeout": "300s", // generation of long completions
		}},
	}
	return vs
}

func destinationRule(meta *schema.ObjectMeta, component string) M {
	dr := object("networking.istio.io/v1", "DestinationRule", meta.Namespace, meta.Name, workloadLabels(meta, component))
	dr["spec"] = M{
		"host": svcHost(meta.Name, meta.Namespace),
		"trafficPolicy": M{
			"tls": M{"mode": "ISTIO_MUTUAL"},
			"outlierDetection": M{
				"consecutive5xxErrors": int64(5),
				"interval":             "30s",
				"baseEjectionTime":     "60s",
				"maxEjectionPercent":   int64(50),
			},
		},
	}
	return dr
}

// meshCallers are who may call a workload: workloads running as one of
// principals or in one of namespaces.
type meshCallers struct {
	principals []string
	namespaces []string
}

// authorizationPolicy lets only the given callers call the workload. With
// no callers at all it still selects the workload and allows nothing (an
// ALLOW policy with no rules denies every request), so an unlisted caller
// never gets in by default.
func authorizationPolicy(meta *schema.ObjectMeta, component string, callers meshCallers) M {
	var from []any
	if len(callers.principals) > 0 {
		from = append(from, M{"source": M{"principals": strs(callers.principals...)}})
	}
	if len(callers.namespaces) > 0 {
		from = append(from, M{"source": M{"namespaces": strs(callers.namespaces...)}})
	}
	spec := M{
		"selector": M{"matchLabels": M{LabelName: meta.Name}},
		"action":   "ALLOW",
	}
	if len(from) > 0 {
		spec["rules"] = []any{M{"from": from}}
	}
	ap := object("security.istio.io/v1", "AuthorizationPolicy", meta.Namespace, meta.Name, workloadLabels(meta, component))
	ap["spec"] = spec
	return ap
}

func peerAuthentication(namespace string) M {
	pa := object("security.istio.io/v1", "PeerAuthentication", namespace, "default", nil)
	pa["spec"] = M{"mtls": M{"mode": "STRICT"}}
	return pa
}

// serviceEntry lets the mesh reach a host outside it (an AWS endpoint over
// TLS, a Redis over TCP).
func serviceEntry(namespace, name string, h egressHost) M {
	se := object("networking.istio.io/v1", "ServiceEntry", namespace, name, nil)
	se["spec"] = M{
		"hosts":      strs(h.host),
		"location":   "MESH_EXTERNAL",
		"resolution": "DNS",
		"ports":      []any{M{"number": h.port, "name": strings.ToLower(h.protocol), "protocol": h.protocol}},
	}
	return se
}

// ingressGateway is the Istio Gateway on the ingress gateway pods. The ALB
// terminates TLS and forwards plain HTTP to port 80 inside the VPC.
func ingressGateway(env *schema.Environment, hosts []string) M {
	i := env.Spec.Istio
	gw := object("networking.istio.io/v1", "Gateway", i.IngressGatewayNamespace, IngressGatewayName(env), nil)
	if len(hosts) == 0 {
		hosts = []string{"*." + env.Spec.Ingress.Domain}
	}
	gw["spec"] = M{
		"selector": stringMap(i.IngressGatewaySelector),
		"servers": []any{M{
			"port":  M{"number": int64(80), "name": "http", "protocol": "HTTP"},
			"hosts": strs(hosts...),
		}},
	}
	return gw
}
