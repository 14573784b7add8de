package preview

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// compareGateway summarises a Gateway: routes added, removed and changed
// (backends, fallbacks, timeouts), who gains or loses which route, image,
// replicas, exposure and rate limit.
func compareGateway(base, head *schema.Gateway, benv, henv *schema.Environment) SpecChange {
	c := newChange(schema.KindGateway, base, head, base == nil, head == nil)
	b, h := base, head
	if b == nil {
		b, benv = h, henv
	}
	if h == nil {
		h, henv = b, benv
	}
	c.routeFacts(b.Spec.Routes, h.Spec.Routes)
	c.callerFacts(b, h)
	c.imageFact(gatewayImage(b), gatewayImage(h))
	c.fact("replicas", gatewayReplicas(b), gatewayReplicas(h))
	c.fact("exposure", b.Spec.Visibility+" at "+schema.Hostname(b.Spec.Host, benv), h.Spec.Visibility+" at "+schema.Hostname(h.Spec.Host, henv))
	c.fact("rate limit", rateText(b.Spec.RateLimit), rateText(h.Spec.RateLimit))
	c.others(map[string][2]any{
		"port":               {b.Spec.Port, h.Spec.Port},
		"iam.roleArn":        {b.Spec.IAM.RoleARN, h.Spec.IAM.RoleARN},
		"auth.apiKeysSecret": {b.Spec.Auth.APIKeysSecret, h.Spec.Auth.APIKeysSecret},
		"labels":             {b.Metadata.Labels, h.Metadata.Labels},
		"annotations":        {b.Metadata.Annotations, h.Metadata.Annotations},
		"environments":       {b.Spec.Environments, h.Spec.Environments},
	})
	c.settle()
	return c
}

// gatewayImage is the image the Gateway runs: its own, else gitplane's.
func gatewayImage(g *schema.Gateway) string {
	return cmp.Or(g.Spec.Image, render.DefaultGatewayImage())
}

// gatewayReplicas shows a Gateway's replica bounds (defaulted to 2 by Load).
func gatewayReplicas(g *schema.Gateway) string {
	if g.Spec.Replicas == nil {
		return "2"
	}
	return replicasText(*g.Spec.Replicas)
}

// rateText is "600/min (burst 60), 100000 tokens/min, shared in Redis".
func rateText(r *schema.RateLimit) string {
	if r == nil {
		return "none"
	}
	out := limitsText(r.CallerLimits)
	if r.Redis != nil {
		out += ", shared in Redis " + r.Redis.Address
	}
	return out
}

// limitsText is "600/min (burst 60)", "100000 tokens/min" or both.
func limitsText(l schema.CallerLimits) string {
	var parts []string
	if l.RequestsPerMinute > 0 {
		parts = append(parts, fmt.Sprintf("%d/min (burst %d)", l.RequestsPerMinute, l.Burst))
	}
	if l.TokensPerMinute > 0 {
		parts = append(parts, fmt.Sprintf("%d tokens/min", l.TokensPerMinute))
	}
	return strings.Join(parts, ", ")
}

// routeFacts lists the routes: for new and removed Gateways every route;
// otherwise the routes added (+), removed (−) and changed (~: backend,
// fallbacks, timeout), or the route count when none change.
func (c *SpecChange) routeFacts(before, after []schema.Route) {
	if c.Action != SpecUnchanged {
		routes := after
		if c.Action == SpecRemoved {
			routes = before
		}
		names := make([]string, len(routes))
		for i, r := range routes {
			names[i] = r.Name + " → " + routeTarget(r)
			if len(r.Fallbacks) > 0 {
				names[i] += " (falls back to " + strings.Join(r.Fallbacks, ", then ") + ")"
			}
		}
		c.Facts = append(c.Facts, Fact{Name: "routes", Value: strings.Join(names, ", ")})
		return
	}
	pairs := pairSpecs(before, after, func(r schema.Route) string { return r.Name })
	var changes []string
	for _, p := range pairs {
		switch b, a := p[0], p[1]; {
		case b.Name == "":
			changes = append(changes, "+"+a.Name+" → "+routeTarget(a))
		case a.Name == "":
			changes = append(changes, "−"+b.Name+" (was "+routeTarget(b)+")")
		default:
			if routeTarget(b) != routeTarget(a) {
				changes = append(changes, "~"+a.Name+": "+routeTarget(b)+" → "+routeTarget(a))
			}
			changes = append(changes, routeBehaviour(b, a)...)
		}
	}
	if len(changes) == 0 {
		c.Facts = append(c.Facts, Fact{Name: "routes", Value: fmt.Sprintf("%d unchanged", len(after))})
		return
	}
	c.Facts = append(c.Facts, Fact{Name: "routes", Value: strings.Join(changes, ", "), Changed: true})
}

// routeBehaviour says how a route's fallbacks and timeout change:
// "llama now falls back to claude", "llama timeout default → 30s".
func routeBehaviour(b, a schema.Route) []string {
	var out []string
	switch fb, fa := b.Fallbacks, a.Fallbacks; {
	case slices.Equal(fb, fa):
	case len(fa) == 0:
		out = append(out, a.Name+" no longer falls back (was "+strings.Join(fb, ", then ")+")")
	case len(fb) == 0:
		out = append(out, a.Name+" now falls back to "+strings.Join(fa, ", then "))
	default:
		out = append(out, a.Name+" now falls back to "+strings.Join(fa, ", then ")+" (was "+strings.Join(fb, ", then ")+")")
	}
	if b.Timeout != a.Timeout {
		out = append(out, fmt.Sprintf("%s timeout %s → %s", a.Name, cmp.Or(b.Timeout, "default"), cmp.Or(a.Timeout, "default")))
	}
	return out
}

// routeTarget names a route's backend: "bedrock anthropic.claude-3 (us-east-1)",
// "sagemaker fraud-scorer-v7", "model models/llama-3-8b".
func routeTarget(r schema.Route) string {
	switch {
	case r.Bedrock != nil:
		return "bedrock " + r.Bedrock.ModelID + region(r.Bedrock.Region)
	case r.SageMaker != nil:
		return "sagemaker " + r.SageMaker.EndpointName + region(r.SageMaker.Region)
	case r.Model != nil:
		return "model " + r.Model.Namespace + "/" + r.Model.Name
	}
	return "no backend"
}

func region(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}
