package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// testCluster is the cluster the control plane of this package's tests is
// recorded as, and that every Environment of ownSpecs names: one API
// server is one cluster, whichever test syncs it first.
var testCluster = engine.Cluster{Name: testenv.Cluster.Name, Region: testenv.Cluster.Region, AccountID: testenv.Cluster.AccountID}

// ownedSpecs are examples/specs made one test's own (testenv.Specs): the
// Environments (prod-<suffix>, staging-<suffix>) and every namespace they
// render into, the ingress gateway's included, carry a suffix no other
// test (or run) uses, so that what a test asserts is what it caused,
// whatever ran before on the same control plane.
type ownedSpecs struct {
	testenv.Specs
	prod, staging string
}

// ownSpecs copies examples/specs for the test, renamed (see ownedSpecs),
// with both Environments on testCluster, and makes sure the control plane
// is recorded as testCluster.
func ownSpecs(t *testing.T) *ownedSpecs {
	t.Helper()
	testenv.RecordCluster(t)
	sp := testenv.ExampleSpecsWith(t, t.TempDir(), testenv.SpecsOptions{OwnIngressNamespaces: true})
	return &ownedSpecs{Specs: sp, prod: sp.Env("prod"), staging: sp.Env("staging")}
}

// render renders one of the test's Environments as apply does.
func (s *ownedSpecs) render(t *testing.T, env string) []*unstructured.Unstructured {
	t.Helper()
	fsys := os.DirFS(s.Dir)
	repo, err := schema.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.NewRenderer().Render(context.Background(), repo, fsys, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects { // what the test applies is its own
		owned := strings.HasSuffix(o.GetNamespace(), s.Suffix)
		if o.GetNamespace() == "" {
			owned = strings.Contains(o.GetName(), s.Suffix)
		}
		if !owned {
			t.Fatalf("%s %s/%s is not named for the test", o.GetKind(), o.GetNamespace(), o.GetName())
		}
	}
	return res.Objects
}

// createNamespace creates a namespace unless it exists.
func createNamespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
