package preview

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/gpu"
)

// compareModel summarises a Model: image, GPU and instance families,
// capacity type, replicas and exposure in its Environment.
func compareModel(base, head *schema.Model, benv, henv *schema.Environment) SpecChange {
	c := newChange(schema.KindModel, base, head, base == nil, head == nil)
	b, h := base, head
	if b == nil {
		b, benv = h, henv
	}
	if h == nil {
		h, henv = b, benv
	}
	c.imageFact(b.Spec.Image, h.Spec.Image)
	c.fact("GPU", gpuText(b.Spec.Resources), gpuText(h.Spec.Resources))
	c.fact("capacity", b.EffectiveCapacity(benv), h.EffectiveCapacity(henv))
	c.fact("replicas", replicasText(b.EffectiveReplicas(benv)), replicasText(h.EffectiveReplicas(henv)))
	c.fact("exposure", exposureText(b.Spec.Expose, benv), exposureText(h.Spec.Expose, henv))
	c.others(map[string][2]any{
		"args":             {b.Spec.Args, h.Spec.Args},
		"env":              {b.Spec.Env, h.Spec.Env},
		"port":             {b.Spec.Port, h.Spec.Port},
		"healthPath":       {b.Spec.HealthPath, h.Spec.HealthPath},
		"resources.cpu":    {b.Spec.Resources.CPU, h.Spec.Resources.CPU},
		"resources.memory": {b.Spec.Resources.Memory, h.Spec.Resources.Memory},
		"autoscaling":      {b.Spec.Autoscaling, h.Spec.Autoscaling},
		"iam.roleArn":      {b.Spec.IAM.RoleARN, h.Spec.IAM.RoleARN},
		"labels":           {b.Metadata.Labels, h.Metadata.Labels},
		"annotations":      {b.Metadata.Annotations, h.Metadata.Annotations},
	})
	c.settle()
	return c
}

// imageFact shows an image; when only the tag changes, the repository is
// shown once: "vllm/vllm-openai v0.6.3 → v0.7.0".
func (c *SpecChange) imageFact(before, after string) {
	br, bt := splitImage(before)
	ar, at := splitImage(after)
	if c.Action == SpecUnchanged && before != after && br == ar && bt != "" && at != "" {
		c.Facts = append(c.Facts, Fact{Name: "image " + ar, Value: at, Before: bt, Changed: true})
		return
	}
	c.fact("image", before, after)
}

// splitImage splits "repo:tag" (or "repo@digest") into repository and tag.
func splitImage(image string) (repo, tag string) {
	if i := strings.LastIndex(image, "@"); i >= 0 {
		return image[:i], image[i+1:]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i], image[i+1:]
	}
	return image, ""
}

// gpuText is "24Gi ×1 (g5, g6, g6e)", "t4 16G ×1 (g4dn)" or "none (CPU)".
// The families are those of the instance types one replica fits on.
func gpuText(r schema.ModelResources) string {
	if r.GPU == nil {
		return "none (CPU)"
	}
	what := fmt.Sprintf("%s ×%d", r.GPU.Memory, r.GPU.Count)
	if r.GPU.Type != "" {
		what = r.GPU.Type + " " + what
	}
	req, err := schema.GPURequestFor(r)
	if err != nil {
		return what
	}
	var families []string
	for _, t := range gpu.Match(req) {
		if !slices.Contains(families, t.Family) {
			families = append(families, t.Family)
		}
	}
	if len(families) == 0 {
		return what + " (no instance type fits)"
	}
	slices.Sort(families)
	return what + " (" + strings.Join(families, ", ") + ")"
}

// exposureText is "public at llama.example.com/v1", "internal at ..." or
// "mesh only".
func exposureText(e *schema.Expose, env *schema.Environment) string {
	if e == nil {
		return "mesh only"
	}
	return fmt.Sprintf("%s at %s%s", e.Visibility, schema.Hostname(e.Host, env), e.Path)
}

// compareGateway summarises a Gateway: routes added, removed and changed,
// image, replicas, exposure and rate limit.
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
	c.imageFact(b.Spec.Image, h.Spec.Image)
	c.fact("replicas", gatewayReplicas(b), gatewayReplicas(h))
	c.fact("exposure", b.Spec.Visibility+" at "+schema.Hostname(b.Spec.Host, benv), h.Spec.Visibility+" at "+schema.Hostname(h.Spec.Host, henv))
	c.fact("rate limit", rateText(b.Spec.RateLimit), rateText(h.Spec.RateLimit))
	c.others(map[string][2]any{
		"port":         {b.Spec.Port, h.Spec.Port},
		"iam.roleArn":  {b.Spec.IAM.RoleARN, h.Spec.IAM.RoleARN},
		"auth":         {b.Spec.Auth, h.Spec.Auth},
		"labels":       {b.Metadata.Labels, h.Metadata.Labels},
		"annotations":  {b.Metadata.Annotations, h.Metadata.Annotations},
		"environments": {b.Spec.Environments, h.Spec.Environments},
	})
	c.settle()
	return c
}

// gatewayReplicas shows a Gateway's replica bounds (defaulted to 2 by Load).
func gatewayReplicas(g *schema.Gateway) string {
	if g.Spec.Replicas == nil {
		return "2"
	}
	return replicasText(*g.Spec.Replicas)
}

func rateText(r *schema.RateLimit) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%d/min (burst %d)", r.RequestsPerMinute, r.Burst)
}

// routeFacts lists the routes: for new and removed Gateways every route;
// otherwise the routes added (+), removed (−) and changed (~), or the
// route count when none change.
func (c *SpecChange) routeFacts(before, after []schema.Route) {
	if c.Action != SpecUnchanged {
		routes := after
		if c.Action == SpecRemoved {
			routes = before
		}
		names := make([]string, len(routes))
		for i, r := range routes {
			names[i] = r.Name + " → " + routeTarget(r)
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
		case routeTarget(b) != routeTarget(a):
			changes = append(changes, "~"+a.Name+": "+routeTarget(b)+" → "+routeTarget(a))
		}
	}
	if len(changes) == 0 {
		c.Facts = append(c.Facts, Fact{Name: "routes", Value: fmt.Sprintf("%d unchanged", len(after))})
		return
	}
	c.Facts = append(c.Facts, Fact{Name: "routes", Value: strings.Join(changes, ", "), Changed: true})
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
