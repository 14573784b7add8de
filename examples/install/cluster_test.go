package install

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// cluster is a dynamic client with a RESTMapper.
type cluster struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

func connect(t *testing.T, cfg *rest.Config) *cluster {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

func (c *cluster) resource(t *testing.T, o *unstructured.Unstructured) (dynamic.ResourceInterface, schema.GroupResource) {
	t.Helper()
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s: %v", gvk, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(o.GetNamespace()), m.Resource.GroupResource()
	}
	return c.dyn.Resource(m.Resource), m.Resource.GroupResource()
}

// apply server-side applies o with strict field validation.
func (c *cluster) apply(ctx context.Context, t *testing.T, o *unstructured.Unstructured, dryRun bool) error {
	t.Helper()
	ri, _ := c.resource(t, o)
	data, err := json.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	opts := metav1.PatchOptions{FieldManager: "gitplane", Force: new(true), FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, data, opts)
	return err
}

func createNamespace(ctx context.Context, t *testing.T, c *cluster, name string) {
	t.Helper()
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	if err := c.apply(ctx, t, ns, false); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}

// TestServerSideDryRun: every object of the kustomization passes the API
// server's validation (strict: unknown fields fail) and admission.
func TestServerSideDryRun(t *testing.T) {
	ctx := t.Context()
	admin := connect(t, testenv.Config(t))
	createNamespace(ctx, t, admin, namespace)
	for _, o := range build(t) {
		if err := admin.apply(ctx, t, o, true); err != nil {
			t.Errorf("server-side dry run of %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// TestClusterRoleIsLeastPrivilege binds the ClusterRole to the
// ServiceAccount for real and acts as that ServiceAccount: it can apply,
// read and delete every object rendered from examples/specs and its
// inventory, and nothing else. The role names exactly the rendered kinds.
func TestClusterRoleIsLeastPrivilege(t *testing.T) {
	ctx := t.Context()
	cfg := testenv.Config(t)
	admin := connect(t, cfg)
	createNamespace(ctx, t, admin, namespace)
	objs := build(t)
	for _, kind := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
		if err := admin.apply(ctx, t, find(t, objs, kind), false); err != nil {
			t.Fatalf("installing %s: %v", kind, err)
		}
	}
	sa := rest.CopyConfig(cfg)
	sa.Impersonate = rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + namespace + ":gitplane",
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
	asSA := connect(t, sa)

	specs := testenv.ExampleSpecs(t, t.TempDir()) // Environments and namespaces of this test's own
	rendered := renderExamples(ctx, t, specs)
	createOutsideNamespaces(ctx, t, admin, rendered)
	used := map[schema.GroupResource]bool{}
	for _, o := range rendered {
		if err := asSA.apply(ctx, t, o, false); err != nil {
			t.Errorf("as gitplane: applying %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
		_, gr := asSA.resource(t, o)
		used[gr] = true
	}
	for _, o := range rendered {
		ri, _ := asSA.resource(t, o)
		if _, err := ri.List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
			t.Errorf("as gitplane: listing %s: %v", o.GetKind(), err)
		}
		if err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Errorf("as gitplane: deleting %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
	inventory := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": engine.InventoryName(specs.Env("prod")), "namespace": namespace}, "data": map[string]any{"refs": ""}}}
	if err := asSA.apply(ctx, t, inventory, false); err != nil {
		t.Errorf("as gitplane: writing the inventory: %v", err)
	}
	checkForbidden(ctx, t, asSA)
	checkRoleMatches(t, find(t, objs, "ClusterRole"), used)
	syncAsServiceAccount(ctx, t, sa, specs)
}

// syncAsServiceAccount runs the engine itself as gitplane: it takes prod's
// Lease, reads and writes the inventory, looks for objects to take over and
// applies prod's rendered objects.
func syncAsServiceAccount(ctx context.Context, t *testing.T, sa *rest.Config, specs testenv.Specs) {
	t.Helper()
	eng, err := engine.New(sa, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prod := specs.Env("prod")
	res, err := render.Render(ctx, os.DirFS(specs.Dir), prod)
	if err != nil {
		t.Fatal(err)
	}
	lctx, release, err := eng.Lock(ctx, prod)
	if err != nil {
		t.Fatalf("as gitplane: taking the Lease of prod: %v", err)
	}
	defer release()
	p, err := eng.Plan(lctx, engine.PlanRequest{Environment: prod, Objects: res.Objects, PlanOptions: engine.PlanOptions{Prune: true}})
	if err != nil {
		t.Fatalf("as gitplane: planning prod: %v", err)
	}
	for _, c := range p.Errors() {
		t.Errorf("as gitplane: plan of prod: %s", c.Error)
	}
	if _, err := eng.Apply(lctx, p, engine.ApplyOptions{}); err != nil {
		t.Errorf("as gitplane: applying prod: %v", err)
	}
}

func renderExamples(ctx context.Context, t *testing.T, specs testenv.Specs) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, env := range []string{specs.Env("staging"), specs.Env("prod")} {
		res, err := render.Render(ctx, os.DirFS(specs.Dir), env)
		if err != nil {
			t.Fatalf("rendering examples/specs for %s: %v", env, err)
		}
		out = append(out, res.Objects...)
	}
	return out
}

// createOutsideNamespaces creates, as an admin, the namespaces that rendered
// objects live in but gitplane does not render (such as Istio's ingress).
func createOutsideNamespaces(ctx context.Context, t *testing.T, admin *cluster, objs []*unstructured.Unstructured) {
	t.Helper()
	rendered := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			rendered[o.GetName()] = true
		}
	}
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" && !rendered[ns] {
			createNamespace(ctx, t, admin, ns)
			rendered[ns] = true
		}
	}
}

// checkForbidden: what gitplane never needs is denied.
func checkForbidden(ctx context.Context, t *testing.T, asSA *cluster) {
	t.Helper()
	for _, tc := range []struct {
		what string
		call func() error
	}{
		{"read Secrets", func() error {
			_, err := asSA.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(namespace).List(ctx, metav1.ListOptions{})
			return err
		}},
		{"take a Lease outside gitplane-system", func() error {
			lease := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": map[string]any{"name": "x"}}}
			_, err := asSA.dyn.Resource(schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}).Namespace("default").
				Create(ctx, lease, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		}},
		{"list Pods", func() error {
			_, err := asSA.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "pods"}).List(ctx, metav1.ListOptions{})
			return err
		}},
		{"change RBAC", func() error {
			return asSA.dyn.Resource(schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}).
				Delete(ctx, "gitplane", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
		}},
		{"delete CRDs", func() error {
			return asSA.dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}).
				Delete(ctx, "nodepools.karpenter.sh", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
		}},
	} {
		if err := tc.call(); !apierrors.IsForbidden(err) {
			t.Errorf("as gitplane: %s: err = %v, want Forbidden", tc.what, err)
		}
	}
}

// checkRoleMatches: the rules with write verbs name exactly the rendered
// resources; the others are the CRD reads and events; no wildcards.
func checkRoleMatches(t *testing.T, role *unstructured.Unstructured, used map[schema.GroupResource]bool) {
	t.Helper()
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	granted := map[schema.GroupResource]bool{}
	var others []string
	for _, r := range rules {
		rule := r.(map[string]any)
		groups, resources, verbs := toStrings(rule["apiGroups"].([]any)), toStrings(rule["resources"].([]any)), toStrings(rule["verbs"].([]any))
		for _, s := range append(append(groups, resources...), verbs...) {
			if strings.Contains(s, "*") {
				t.Errorf("ClusterRole rule %v has a wildcard", rule)
			}
		}
		for _, g := range groups {
			for _, res := range resources {
				if slices.Contains(verbs, "delete") {
					granted[schema.GroupResource{Group: g, Resource: res}] = true
				} else {
					others = append(others, res+"."+g+":"+strings.Join(verbs, ","))
				}
			}
		}
	}
	for gr := range used {
		if !granted[gr] {
			t.Errorf("gitplane renders %s but the ClusterRole does not grant it", gr)
		}
	}
	for gr := range granted {
		if !used[gr] {
			t.Errorf("the ClusterRole grants %s, which gitplane does not render", gr)
		}
	}
	slices.Sort(others)
	want := []string{"customresourcedefinitions.apiextensions.k8s.io:get,list", "events.:create,patch", "events.events.k8s.io:create,patch"}
	if !slices.Equal(others, want) {
		t.Errorf("read-only and event rules = %v, want %v", others, want)
	}
}
