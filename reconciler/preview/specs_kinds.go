package preview

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gitplane/gitplane/schema"
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
	c.fact("GPU", gpuText(b.Spec.Resources, benv), gpuText(h.Spec.Resources, henv))
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
// The families are those of the instance types the NodePools allow.
func gpuText(r schema.ModelResources, env *schema.Environment) string {
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
	for _, t := range schema.InstanceTypes(req, env) {
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
