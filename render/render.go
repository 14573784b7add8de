package render

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/schema"
)

// Result is what an Environment gets.
type Result struct {
	Env *schema.Environment
	// Objects in apply order: CRDs, Namespaces, other cluster-scoped objects,
	// then namespaced objects by namespace, kind and name. They are shared
	// with the Renderer's cache, and equal subtrees (labels, selectors,
	// tolerations, ...) are shared between objects: DeepCopy before
	// changing one.
	Objects []*unstructured.Unstructured
}

// Renderer renders Environments and caches each spec's objects by a hash of
// its inputs, so a re-render rebuilds only the specs that changed. It is safe
// for concurrent use.
type Renderer struct {
	limits schema.Limits
	mu     sync.Mutex
	cache  map[string]map[string]unitOutput // env → unit key → output
}

// RendererOptions configures a Renderer.
type RendererOptions struct {
	// Limits bound the overlay files read and the objects of an
	// Environment; zero fields take schema.DefaultLimits.
	Limits schema.Limits
}

// unitOutput is a unit's objects and their sort keys.
type unitOutput struct {
	objs []*unstructured.Unstructured
	keys []string
}

// NewRenderer returns a Renderer with an empty cache and the default limits.
func NewRenderer() *Renderer {
	return NewRendererWithOptions(RendererOptions{})
}

// NewRendererWithOptions returns a Renderer with an empty cache.
func NewRendererWithOptions(opts RendererOptions) *Renderer {
	return &Renderer{limits: opts.Limits.WithDefaults(), cache: map[string]map[string]unitOutput{}}
}

// Render renders one Environment of a validated repository. fsys is the
// repository, read for the Environment's overlay.
func (r *Renderer) Render(ctx context.Context, repo *schema.Repo, fsys fs.FS, envName string) (*Result, error) {
	env := findEnvironment(repo, envName)
	if env == nil {
		return nil, fmt.Errorf("no Environment %q in the repository (have: %s)", envName, envNames(repo))
	}
	units := planUnits(repo, env)
	if err := r.checkUnits(env, units); err != nil {
		return nil, err
	}
	objs, keys, err := r.renderUnits(ctx, env.Metadata.Name, units)
	if err != nil {
		return nil, err
	}
	if err := r.checkCount(env, objs); err != nil {
		return nil, err
	}
	if env.Spec.Overlay != "" {
		before := objs
		if objs, err = applyOverlay(objs, fsys, env, r.limits); err != nil {
			return nil, err
		}
		if err := r.checkCount(env, objs); err != nil {
			return nil, err
		}
		keys = keysAfter(objs, before, keys)
	}
	sortByKeys(objs, keys)
	if err := checkUnique(objs, keys); err != nil {
		return nil, err
	}
	return &Result{Env: env, Objects: objs}, nil
}

// Objects every Model and Gateway renders at the least (ServiceAccount,
// Deployment, Service, PodDisruptionBudget, DestinationRule,
// AuthorizationPolicy and, for a Model, its HorizontalPodAutoscaler).
const (
	minModelObjects   = 7
	minGatewayObjects = 6
)

// checkUnits refuses, before anything is built, an Environment whose specs
// are bound to render more objects than the limit: a repository of 20,000
// Models is rejected in milliseconds instead of after rendering 160,000
// objects.
func (r *Renderer) checkUnits(env *schema.Environment, units []*unit) error {
	least := 0
	for _, u := range units {
		least += u.minObjects
	}
	if max := r.limits.MaxObjectsPerEnvironment; least > max {
		return fmt.Errorf("Environment %s renders at least %d objects (%d specs), more than the limit of %d", env.Metadata.Name, least, len(units), max)
	}
	return nil
}

// checkCount refuses an Environment with more objects than the limit.
func (r *Renderer) checkCount(env *schema.Environment, objs []*unstructured.Unstructured) error {
	if max := r.limits.MaxObjectsPerEnvironment; len(objs) > max {
		return fmt.Errorf("Environment %s renders %d objects, more than the limit of %d", env.Metadata.Name, len(objs), max)
	}
	return nil
}

// Render loads, validates and renders one Environment of the repository in
// fsys with a fresh Renderer.
func Render(ctx context.Context, fsys fs.FS, envName string) (*Result, error) {
	repo, err := schema.Load(fsys)
	if err != nil {
		return nil, err
	}
	return NewRenderer().Render(ctx, repo, fsys, envName)
}

// renderUnits returns every unit's objects and their sort keys, from the
// cache when the unit's inputs are unchanged and rendered otherwise. The
// cache keeps what this render used.
func (r *Renderer) renderUnits(ctx context.Context, env string, units []*unit) ([]*unstructured.Unstructured, []string, error) {
	r.mu.Lock()
	old := r.cache[env]
	r.mu.Unlock()
	keys := make([]string, len(units))
	outs := make([][]*unstructured.Unstructured, len(units))
	next := make(map[string]unitOutput, len(units))
	var missing []int
	for i, u := range units {
		key, err := u.key()
		if err != nil {
			return nil, nil, err
		}
		keys[i] = key
		if out, ok := old[key]; ok {
			outs[i] = out.objs
			next[key] = out
		} else {
			missing = append(missing, i)
		}
	}
	if err := renderMissing(ctx, units, missing, outs); err != nil {
		return nil, nil, err
	}
	for _, i := range missing {
		next[keys[i]] = unitOutput{objs: outs[i], keys: sortKeys(outs[i])}
	}
	r.mu.Lock()
	r.cache[env] = next
	r.mu.Unlock()
	var objs []*unstructured.Unstructured
	var sk []string
	for _, k := range keys {
		objs = append(objs, next[k].objs...)
		sk = append(sk, next[k].keys...)
	}
	return objs, sk, nil
}

// planUnits lists the units of an Environment: its shared objects, then each
// Model and Gateway deployed to it.
func planUnits(repo *schema.Repo, env *schema.Environment) []*unit {
	name := env.Metadata.Name
	callers := map[string][]string{} // model ns/name → gateway principals
	var namespaces, publicHosts []string
	var units []*unit
	var models map[string]*schema.Model // namespace/name → Model, built for the first Gateway
	for _, g := range repo.Gateways {
		if !schema.InEnvironment(g.Spec.Environments, name) {
			continue
		}
		for _, rt := range g.Spec.Routes {
			if rt.Model != nil {
				k := rt.Model.Namespace + "/" + rt.Model.Name
				callers[k] = appendUnique(callers[k], principal(g.Metadata.Namespace, g.Metadata.Name))
			}
		}
		namespaces = appendUnique(namespaces, g.Metadata.Namespace)
		if g.Spec.Visibility == "public" {
			publicHosts = appendUnique(publicHosts, schema.Hostname(g.Spec.Host, env))
		}
		if models == nil {
			models = modelIndex(repo)
		}
		in := gatewayInput{Gateway: g, Env: env, Served: servedModels(models, g), Image: DefaultGatewayImage()}
		units = append(units, &unit{source: g.Source.File, what: "Gateway " + g.Metadata.Namespace + "/" + g.Metadata.Name,
			env: name, deps: []schema.Spec{g, env}, extra: in.extra(), policy: policies(g, env), minObjects: minGatewayObjects, build: func() ([]M, error) { return gatewayObjects(in) }})
	}
	for _, m := range repo.Models {
		if !schema.InEnvironment(m.Spec.Environments, name) {
			continue
		}
		namespaces = appendUnique(namespaces, m.Metadata.Namespace)
		if e := m.Spec.Expose; e != nil && e.Visibility == "public" {
			publicHosts = appendUnique(publicHosts, schema.Hostname(e.Host, env))
		}
		c := callers[m.Metadata.Namespace+"/"+m.Metadata.Name]
		slices.Sort(c)
		in := modelInput{Model: m, Env: env, Callers: c}
		units = append(units, &unit{source: m.Source.File, what: "Model " + m.Metadata.Namespace + "/" + m.Metadata.Name,
			env: name, deps: []schema.Spec{m, env}, extra: c, policy: policies(m, env), minObjects: minModelObjects, build: func() ([]M, error) { return modelObjects(in) }})
	}
	slices.Sort(namespaces)
	slices.Sort(publicHosts)
	ein := envInput{Env: env, Namespaces: namespaces, PublicHosts: publicHosts}
	extra := append(append(slices.Clone(namespaces), "|"), publicHosts...)
	envUnit := &unit{source: env.Source.File, what: "Environment " + name, env: name, deps: []schema.Spec{env},
		extra: extra, policy: policies(nil, env), minObjects: 1, build: func() ([]M, error) { return environmentObjects(ein), nil }}
	return append([]*unit{envUnit}, units...)
}

func findEnvironment(repo *schema.Repo, name string) *schema.Environment {
	for _, e := range repo.Environments {
		if e.Metadata.Name == name {
			return e
		}
	}
	return nil
}

func envNames(repo *schema.Repo) string {
	var names []string
	for _, e := range repo.Environments {
		names = append(names, e.Metadata.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// checkUnique fails when two specs render the same object. objs are
// sorted, with their sort keys in keys, so that equal objects are adjacent.
func checkUnique(objs []*unstructured.Unstructured, keys []string) error {
	for i := 1; i < len(objs); i++ {
		if keys[i] == keys[i-1] {
			return fmt.Errorf("%s is rendered twice: by %s and by %s", Key(objs[i]),
				objs[i-1].GetAnnotations()[AnnotationSource], objs[i].GetAnnotations()[AnnotationSource])
		}
	}
	return nil
}
