package schema

import "reflect"

// A JSON Schema keyword set for one field.
type rule = map[string]any

func between(lo, hi int) rule { return rule{"minimum": lo, "maximum": hi} }

func pattern(re string) rule { return rule{"pattern": re} }

// dns1035 and dns1123Label are the name rules validate applies to spec
// names (they become Service names) and namespaces.
const (
	dns1035      = `^[a-z]([-a-z0-9]*[a-z0-9])?$`
	dns1123Label = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
)

// schemaRules are the checks of validate that JSON Schema can say, per
// struct type and field, so an editor flags what `gitplane validate`
// rejects: ranges, patterns, path prefixes. What JSON Schema cannot say
// (min ≤ max, references between specs, the GPU catalog) stays in validate.
var schemaRules = map[reflect.Type]map[string]rule{
	reflect.TypeFor[ObjectMeta](): {
		"name":      merge(pattern(dns1035), rule{"maxLength": 63}),
		"namespace": merge(pattern(dns1123Label), rule{"maxLength": 63}),
	},
	reflect.TypeFor[ClusterSpec](): {
		"region":     pattern(regionRE.String()),
		"accountId":  pattern(accountRE.String()),
		"oidcIssuer": pattern(issuerRE.String()),
	},
	reflect.TypeFor[IngressSpec](): {
		"certificateArn": pattern(certARNRE.String()),
		"groupName":      pattern(groupRE.String()),
	},
	reflect.TypeFor[NodesSpec](): {
		"role":             pattern(roleNameRE.String()),
		"amiAlias":         pattern(amiAliasRE.String()),
		"maxPriceMultiple": between(1, 100),
	},
	reflect.TypeFor[ModelSpec](): {
		// Istio's sidecar holds 15000-15090 in every pod of the mesh.
		"port":       merge(between(1, 65535), rule{"not": between(reservedPortsLow, reservedPortsHigh)}),
		"healthPath": pattern("^/"),
	},
	reflect.TypeFor[GPURequest]():    {"count": between(1, 8)},
	reflect.TypeFor[Replicas]():      {"min": rule{"minimum": 1}, "max": rule{"minimum": 1}},
	reflect.TypeFor[Autoscaling]():   {"targetCPUUtilization": between(1, 100)},
	reflect.TypeFor[IAMSpec]():       {"roleArn": pattern(roleARNRE.String())},
	reflect.TypeFor[Expose]():        {"path": pattern("^/")},
	reflect.TypeFor[ModelSecurity](): {"runAsUser": rule{"minimum": 0}, "cachePath": pattern("^/.")},
	reflect.TypeFor[ModelAccess](): {
		"namespaces":      rule{"items": rule{"type": "string", "pattern": dns1123Label}},
		"serviceAccounts": rule{"items": rule{"type": "string", "pattern": `^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`}},
	},
	reflect.TypeFor[GatewaySpec](): {"port": between(1, 65535)},
}

func merge(rules ...rule) rule {
	out := rule{}
	for _, r := range rules {
		for k, v := range r {
			out[k] = v
		}
	}
	return out
}
