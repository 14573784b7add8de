package preview

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gitplane/gitplane/schema"
)

// SpecAction is what a change does to one spec.
type SpecAction string

// The spec actions of a preview.
const (
	SpecAdded     SpecAction = "added"
	SpecChanged   SpecAction = "changed"
	SpecRemoved   SpecAction = "removed"
	SpecUnchanged SpecAction = "unchanged"
)

// SpecChange is the readable summary of one spec in one Environment, base
// against head, with the Environment's defaults applied.
type SpecChange struct {
	Kind      string // Model, Gateway or Environment
	Namespace string // empty for Environments
	Name      string
	File      string // the head's file; the base's for removed specs
	Line      int
	Action    SpecAction
	// Facts are the headline settings, in a fixed order per kind; changed
	// ones have Before set.
	Facts []Fact
	// Other names the other fields that change (args, env, iam.roleArn, ...).
	Other []string
}

// Fact is one headline setting: "image", "replicas", "routes".
type Fact struct {
	Name    string
	Value   string // at the head (at the base for removed specs)
	Before  string // at the base when it differs; empty when Value tells the change itself (routes)
	Changed bool
}

// Key is "Kind namespace/name".
func (s SpecChange) Key() string {
	if s.Namespace == "" {
		return s.Kind + " " + s.Name
	}
	return s.Kind + " " + s.Namespace + "/" + s.Name
}

// String is the one-line summary: "Model models/llama-3-8b: image
// vllm/vllm-openai v0.6.3 → v0.7.0; GPU 24Gi ×1 (g5, g6); replicas 1–3 → 2–4".
func (s SpecChange) String() string {
	parts := make([]string, 0, len(s.Facts)+1)
	for _, f := range s.Facts {
		parts = append(parts, f.String())
	}
	if len(s.Other) > 0 {
		parts = append(parts, "also changed: "+strings.Join(s.Other, ", "))
	}
	out := s.Key() + " " + string(s.Action)
	if len(parts) > 0 {
		out += ": " + strings.Join(parts, "; ")
	}
	return out
}

// String shows "name value" or "name before → after".
func (f Fact) String() string {
	if f.Changed && f.Before != "" {
		return f.Name + " " + f.Before + " → " + f.Value
	}
	return f.Name + " " + f.Value
}

// compareSpecs summarises every Model and Gateway of the Environment at
// base or head, and the Environment itself, sorted by kind and name.
func compareSpecs(base, head *schema.Repo, env string) []SpecChange {
	benv, henv := findEnv(base, env), findEnv(head, env)
	var out []SpecChange
	if benv != nil || henv != nil {
		out = append(out, compareEnvironment(benv, henv))
	}
	for _, pair := range pairModels(base, head, env, benv, henv) {
		out = append(out, compareModel(pair[0], pair[1], benv, henv))
	}
	for _, pair := range pairGateways(base, head, env, benv, henv) {
		out = append(out, compareGateway(pair[0], pair[1], benv, henv))
	}
	return out
}

// pairModels lines up the Models deployed to env at base and head by
// namespace/name.
func pairModels(base, head *schema.Repo, env string, benv, henv *schema.Environment) [][2]*schema.Model {
	return pairSpecs(inEnv(base.Models, env, benv), inEnv(head.Models, env, henv),
		func(m *schema.Model) string { return m.Metadata.Namespace + "/" + m.Metadata.Name })
}

func pairGateways(base, head *schema.Repo, env string, benv, henv *schema.Environment) [][2]*schema.Gateway {
	return pairSpecs(inEnvG(base.Gateways, env, benv), inEnvG(head.Gateways, env, henv),
		func(g *schema.Gateway) string { return g.Metadata.Namespace + "/" + g.Metadata.Name })
}

func inEnv(ms []*schema.Model, env string, e *schema.Environment) []*schema.Model {
	if e == nil {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(ms), func(m *schema.Model) bool { return !schema.InEnvironment(m.Spec.Environments, env) })
}

func inEnvG(gs []*schema.Gateway, env string, e *schema.Environment) []*schema.Gateway {
	if e == nil {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(gs), func(g *schema.Gateway) bool { return !schema.InEnvironment(g.Spec.Environments, env) })
}

// pairSpecs returns [base, head] pairs by key, sorted; either may be nil.
func pairSpecs[T any](base, head []T, key func(T) string) [][2]T {
	byKey := map[string]*[2]T{}
	var keys []string
	get := func(k string) *[2]T {
		if p, ok := byKey[k]; ok {
			return p
		}
		byKey[k] = &[2]T{}
		keys = append(keys, k)
		return byKey[k]
	}
	for _, s := range base {
		get(key(s))[0] = s
	}
	for _, s := range head {
		get(key(s))[1] = s
	}
	slices.Sort(keys)
	out := make([][2]T, len(keys))
	for i, k := range keys {
		out[i] = *byKey[k]
	}
	return out
}

// newChange fills the identity and action of a spec's change from its base
// and head sides; facts decide between changed and unchanged.
func newChange(kind string, base, head schema.Spec, baseNil, headNil bool) SpecChange {
	s := head
	if headNil {
		s = base
	}
	c := SpecChange{Kind: kind, Name: s.GetMeta().Name, File: s.GetSource().File, Line: s.GetSource().Line, Action: SpecUnchanged}
	if kind != schema.KindEnvironment {
		c.Namespace = s.GetMeta().Namespace
	}
	switch {
	case baseNil:
		c.Action = SpecAdded
	case headNil:
		c.Action = SpecRemoved
	}
	return c
}

// fact records a headline setting; both sides are compared unless the spec
// is new or removed.
func (c *SpecChange) fact(name, before, after string) {
	switch c.Action {
	case SpecAdded:
		c.Facts = append(c.Facts, Fact{Name: name, Value: after})
	case SpecRemoved:
		c.Facts = append(c.Facts, Fact{Name: name, Value: before})
	default:
		f := Fact{Name: name, Value: after}
		if before != after {
			f.Before, f.Changed = before, true
		}
		c.Facts = append(c.Facts, f)
	}
}

// others lists the named fields of two values that differ.
func (c *SpecChange) others(fields map[string][2]any) {
	if c.Action != SpecUnchanged && c.Action != SpecChanged {
		return
	}
	for name, v := range fields {
		if !reflect.DeepEqual(v[0], v[1]) {
			c.Other = append(c.Other, name)
		}
	}
	slices.Sort(c.Other)
}

// settle marks the change as changed when a fact or other field differs.
func (c *SpecChange) settle() {
	if c.Action != SpecUnchanged {
		return
	}
	if len(c.Other) > 0 || slices.ContainsFunc(c.Facts, func(f Fact) bool { return f.Changed }) {
		c.Action = SpecChanged
	}
}

// compareEnvironment summarises the Environment's own settings.
func compareEnvironment(base, head *schema.Environment) SpecChange {
	c := newChange(schema.KindEnvironment, base, head, base == nil, head == nil)
	b, h := base, head
	if b == nil {
		b = h
	}
	if h == nil {
		h = b
	}
	c.fact("cluster", b.Spec.Cluster.Name+" ("+b.Spec.Cluster.Region+")", h.Spec.Cluster.Name+" ("+h.Spec.Cluster.Region+")")
	c.fact("ingress", b.Spec.Ingress.Scheme+" *."+b.Spec.Ingress.Domain, h.Spec.Ingress.Scheme+" *."+h.Spec.Ingress.Domain)
	c.others(map[string][2]any{
		"cluster":  {b.Spec.Cluster, h.Spec.Cluster},
		"ingress":  {b.Spec.Ingress, h.Spec.Ingress},
		"istio":    {b.Spec.Istio, h.Spec.Istio},
		"nodes":    {b.Spec.Nodes, h.Spec.Nodes},
		"git":      {b.Spec.Git, h.Spec.Git},
		"overlay":  {b.Spec.Overlay, h.Spec.Overlay},
		"defaults": {b.Spec.Defaults, h.Spec.Defaults},
		"metadata": {b.Metadata, h.Metadata},
	})
	c.Other = slices.DeleteFunc(c.Other, func(o string) bool {
		return (o == "cluster" || o == "ingress") && c.factChanged(o)
	})
	c.settle()
	return c
}

func (c *SpecChange) factChanged(name string) bool {
	return slices.ContainsFunc(c.Facts, func(f Fact) bool { return f.Name == name && f.Changed })
}

// replicasText is "2" or "1–3".
func replicasText(r schema.Replicas) string {
	if r.Min == r.Max {
		return fmt.Sprint(r.Min)
	}
	return fmt.Sprintf("%d–%d", r.Min, r.Max)
}
