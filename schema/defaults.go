package schema

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
)

// Default namespaces of the rendered objects.
const (
	DefaultModelNamespace   = "models"
	DefaultGatewayNamespace = "ai-gateway"
)

// applyDefaults fills every default of one spec in one place: first the
// default tags of the struct fields, then the defaults that depend on other
// fields. Defaults depend on nothing outside the spec, so a spec read from
// an unchanged file keeps its defaults between loads.
// written holds the field paths the spec's file sets with a value of the
// right type.
func applyDefaults(s Spec, written positions) {
	switch s := s.(type) {
	case *Environment:
		defaultEnvironment(s, written)
	case *Model:
		defaultModel(s, written)
	case *Gateway:
		defaultGateway(s, written)
	}
}

func defaultEnvironment(e *Environment, written positions) {
	applyTagDefaults(reflect.ValueOf(&e.Spec).Elem(), "spec", written)
	if e.Spec.Ingress.GroupName == "" {
		e.Spec.Ingress.GroupName = "gitplane-" + e.Metadata.Name
	}
	if len(e.Spec.Istio.IngressGatewaySelector) == 0 {
		e.Spec.Istio.IngressGatewaySelector = map[string]string{"istio": "ingressgateway"}
	}
	defaultMax(e.Spec.Defaults.Replicas)
}

func defaultModel(m *Model, written positions) {
	applyTagDefaults(reflect.ValueOf(&m.Spec).Elem(), "spec", written)
	if m.Metadata.Namespace == "" {
		m.Metadata.Namespace = DefaultModelNamespace
	}
	defaultMax(m.Spec.Replicas)
}

func defaultGateway(g *Gateway, written positions) {
	applyTagDefaults(reflect.ValueOf(&g.Spec).Elem(), "spec", written)
	if g.Metadata.Namespace == "" {
		g.Metadata.Namespace = DefaultGatewayNamespace
	}
	if g.Spec.Replicas == nil {
		g.Spec.Replicas = &Replicas{Min: 2, Max: 2}
	}
	defaultMax(g.Spec.Replicas)
	if rl := g.Spec.RateLimit; rl != nil {
		defaultBurst(&rl.CallerLimits)
	}
	for _, c := range g.Spec.Auth.Callers {
		if c.RateLimit != nil {
			defaultBurst(c.RateLimit)
		}
	}
	for i := range g.Spec.Routes {
		if ref := g.Spec.Routes[i].Model; ref != nil && ref.Namespace == "" {
			ref.Namespace = DefaultModelNamespace
		}
	}
}

// defaultBurst lets a tenth of a minute's requests through at once.
func defaultBurst(l *CallerLimits) {
	if l.Burst == 0 && l.RequestsPerMinute > 0 {
		l.Burst = max(1, l.RequestsPerMinute/10)
	}
}

func defaultMax(r *Replicas) {
	if r != nil && r.Max == 0 {
		r.Max = r.Min
	}
}

// applyTagDefaults sets zero-valued fields that carry a default tag, walking
// into nested structs, set pointers and slices of structs. A field the
// spec's file sets (its path is in written) keeps what was written, even a
// zero (`count: 0`, `port: 0`, `""`): validation then judges it, instead of
// a default quietly standing in for it. Capacity and replicas of Models are
// left to the Environment (EffectiveCapacity).
func applyTagDefaults(v reflect.Value, path string, written positions) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			applyTagDefaults(v.Elem(), path, written)
		}
	case reflect.Slice:
		for i := range v.Len() {
			applyTagDefaults(v.Index(i), fmt.Sprintf("%s[%d]", path, i), written)
		}
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()).list {
			fv := v.FieldByIndex(f.index)
			p := joinPath(path, f.name)
			_, set := written[p]
			if f.def != "" && fv.IsZero() && !set && !inheritsFromEnvironment(v.Type(), f.name) {
				setDefault(fv, f.def)
			}
			applyTagDefaults(fv, p, written)
		}
	}
}

func inheritsFromEnvironment(t reflect.Type, field string) bool {
	return t == reflect.TypeFor[ModelSpec]() && field == "capacity"
}

func setDefault(v reflect.Value, def string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(def)
	case reflect.Int32:
		n, err := strconv.ParseInt(def, 10, 32)
		if err != nil {
			panic("schema: bad default tag " + def)
		}
		v.SetInt(n)
	}
}

// EffectiveCapacity is the Model's capacity type in an Environment: its own,
// else the Environment's default, else spot-with-fallback.
func (m *Model) EffectiveCapacity(env *Environment) string {
	switch {
	case m.Spec.Capacity != "":
		return m.Spec.Capacity
	case env.Spec.Defaults.Capacity != "":
		return env.Spec.Defaults.Capacity
	}
	return CapacitySpotWithFallback
}

// EffectiveReplicas is the Model's replica bounds in an Environment: its
// own, else the Environment's default, else 1..1.
func (m *Model) EffectiveReplicas(env *Environment) Replicas {
	switch {
	case m.Spec.Replicas != nil:
		return *m.Spec.Replicas
	case env.Spec.Defaults.Replicas != nil:
		return *env.Spec.Defaults.Replicas
	}
	return Replicas{Min: 1, Max: 1}
}

// InEnvironment reports whether a spec listing envs (empty: all) goes to env.
func InEnvironment(envs []string, env string) bool {
	return len(envs) == 0 || slices.Contains(envs, env)
}

func sortedEnvs(envs []*Environment) []*Environment {
	out := append([]*Environment(nil), envs...)
	sortSpecs(out)
	return out
}
