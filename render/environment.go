package render

import (
	"github.com/gitplane/gitplane/schema"
)

// envInput is everything an Environment's shared objects depend on.
type envInput struct {
	Env         *schema.Environment
	Namespaces  []string // namespaces of the Models and Gateways, sorted
	PublicHosts []string // hosts routed from the ALB, sorted
}

// environmentObjects renders the Environment's shared objects: Namespaces
// with STRICT mTLS, the EC2NodeClass, the Istio ingress Gateway and the ALB.
func environmentObjects(in envInput) []M {
	var objs []M
	for _, ns := range in.Namespaces {
		n := object("v1", "Namespace", "", ns, map[string]string{
			"istio-injection":                         "enabled",
			"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled",
		})
		objs = append(objs, n, peerAuthentication(ns))
	}
	return append(objs, ec2NodeClass(in.Env), ingressGateway(in.Env, in.PublicHosts), albIngress(in))
}

// albIngress is the AWS Load Balancer Controller Ingress that sends the
// public hosts to the Istio ingress gateway, health-checked on its status port.
func albIngress(in envInput) M {
	env := in.Env
	i, g := env.Spec.Ingress, env.Spec.Istio
	ing := object("networking.k8s.io/v1", "Ingress", g.IngressGatewayNamespace, "gitplane-"+env.Metadata.Name, nil)
	ing["metadata"].(M)["annotations"] = M{
		"alb.ingress.kubernetes.io/scheme":                  i.Scheme,
		"alb.ingress.kubernetes.io/target-type":             "ip",
		"alb.ingress.kubernetes.io/certificate-arn":         i.CertificateARN,
		"alb.ingress.kubernetes.io/listen-ports":            `[{"HTTP": 80}, {"HTTPS": 443}]`,
		"alb.ingress.kubernetes.io/ssl-redirect":            "443",
		"alb.ingress.kubernetes.io/group.name":              i.GroupName,
		"alb.ingress.kubernetes.io/backend-protocol":        "HTTP",
		"alb.ingress.kubernetes.io/healthcheck-path":        "/healthz/ready",
		"alb.ingress.kubernetes.io/healthcheck-port":        "15021",
		"alb.ingress.kubernetes.io/target-group-attributes": "deregistration_delay.timeout_seconds=30",
	}
	backend := M{"service": M{"name": g.IngressGatewayService, "port": M{"number": int64(80)}}}
	var rules []any
	for _, h := range in.PublicHosts {
		rules = append(rules, M{"host": h, "http": M{"paths": []any{
			M{"path": "/", "pathType": "Prefix", "backend": backend},
		}}})
	}
	spec := M{"ingressClassName": "alb", "defaultBackend": backend}
	if len(rules) > 0 {
		spec["rules"] = rules
	}
	ing["spec"] = spec
	return ing
}
