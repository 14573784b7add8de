package render_test

import (
	"context"
	"os"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
)

// TestServerSideDryRun sends every object rendered from examples/ to the real
// API server, with the upstream Karpenter and Istio CRDs, as a server-side
// dry-run create. Namespaces are created for real so that namespaced objects
// have somewhere to go; nothing else is written.
func TestServerSideDryRun(t *testing.T) {
	cfg := testenv.Config(t)
	dyn := dynamic.NewForConfigOrDie(cfg)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(cfg)))
	specs := testenv.ExampleSpecs(t, t.TempDir()) // names of this test's own
	for _, env := range []string{"staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			res, err := render.Render(context.Background(), os.DirFS(specs.Dir), specs.Env(env))
			if err != nil {
				t.Fatal(err)
			}
			objs := res.Objects
			// the Istio install owns the ingress gateway's namespace
			createNamespace(t, dyn, res.Env.Spec.Istio.IngressGatewayNamespace)
			accepted := dryRunCreate(t, dyn, mapper, objs)
			t.Logf("%d of %d objects accepted by the API server", accepted, len(objs))
		})
	}
}

// dryRunCreate creates the Namespaces among objs and sends every other object
// as a server-side dry-run create with strict field validation; it returns
// how many the API server accepted.
func dryRunCreate(t *testing.T, dyn dynamic.Interface, mapper meta.RESTMapper, objs []*unstructured.Unstructured) int {
	t.Helper()
	ctx := context.Background()
	accepted := 0
	for _, o := range objs {
		mapping, err := mapper.RESTMapping(o.GroupVersionKind().GroupKind(), o.GroupVersionKind().Version)
		if err != nil {
			t.Errorf("%s: no API for it: %v", o.GroupVersionKind(), err)
			continue
		}
		var client dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			client = dyn.Resource(mapping.Resource).Namespace(o.GetNamespace())
		}
		opts := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
		if o.GetKind() == "Namespace" {
			opts.DryRun = nil
		}
		_, err = client.Create(ctx, o.DeepCopy(), opts)
		if err != nil && !(o.GetKind() == "Namespace" && apierrors.IsAlreadyExists(err)) {
			t.Errorf("%s %s/%s rejected: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
			continue
		}
		accepted++
	}
	return accepted
}

func createNamespace(t *testing.T, dyn dynamic.Interface, name string) {
	t.Helper()
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	if _, err := dyn.Resource(gvr).Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}
