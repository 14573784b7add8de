package cli

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
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

// ownedSpecs are examples/specs made one test's own, as Kubernetes'
// generateName would: the Environments (prod-<suffix>, staging-<suffix>)
// and every namespace and cluster-scoped object they render carry a
// suffix no other test (or run) uses, so that what a test asserts is what
// it caused, whatever ran before on the same control plane.
type ownedSpecs struct {
	dir           string
	suffix        string
	prod, staging string
}

// ns is the test's own name for a namespace of the examples.
func (s *ownedSpecs) ns(name string) string { return name + "-" + s.suffix }

// ownSpecs copies examples/specs for the test, renamed (see ownedSpecs),
// with both Environments on testCluster, and makes sure the control plane
// is recorded as testCluster.
func ownSpecs(t *testing.T) *ownedSpecs {
	t.Helper()
	testenv.RecordCluster(t)
	sfx := strings.ToLower(rand.Text()[:6])
	s := &ownedSpecs{dir: copySpecs(t), suffix: sfx, prod: "prod-" + sfx, staging: "staging-" + sfx}
	edits := map[string][][2]string{
		"environments/prod.yaml": {
			{"\n  name: prod\n", "\n  name: " + s.prod + "\n"},
			{"ingressGatewayNamespace: istio-ingress\n", "ingressGatewayNamespace: " + s.ns("istio-ingress") + "\n"},
		},
		"environments/staging.yaml": {
			{"\n  name: staging\n", "\n  name: " + s.staging + "\n"},
			{"name: ml-staging\n", "name: " + testCluster.Name + "\n"},
			{"\n  git:\n", "\n  istio:\n    ingressGatewayNamespace: " + s.ns("istio-system") + "\n  git:\n"},
		},
		"models/llama.yaml": {{"\n  name: llama-3-8b\n", "\n  name: llama-3-8b\n  namespace: " + s.ns("models") + "\n"}},
		"models/whisper.yaml": {
			{"namespace: speech\n", "namespace: " + s.ns("speech") + "\n"},
			{"environments: [staging, prod]", "environments: [" + s.staging + ", " + s.prod + "]"},
		},
		"gateways/ai-gateway.yaml": {
			{"\n  name: ai\n", "\n  name: ai\n  namespace: " + s.ns("ai-gateway") + "\n"},
			{"    model:\n      name: llama-3-8b\n", "    model:\n      name: llama-3-8b\n      namespace: " + s.ns("models") + "\n"},
		},
		"overlays/prod/gateway-resources.yaml": {{"namespace: ai-gateway\n", "namespace: " + s.ns("ai-gateway") + "\n"}},
		"overlays/prod/priorityclass.yaml":     {{"name: ml-serving\n", "name: " + s.ns("ml-serving") + "\n"}},
		"overlays/prod/kustomization.yaml":     {{"value: ml-serving\n", "value: " + s.ns("ml-serving") + "\n"}},
	}
	for file, reps := range edits {
		for _, r := range reps {
			replaceIn(t, filepath.Join(s.dir, filepath.FromSlash(file)), r[0], r[1])
		}
	}
	// staging's cluster, OIDC issuer and certificate move to the region
	// together, as validation wants
	staging := filepath.Join(s.dir, "environments", "staging.yaml")
	data, err := os.ReadFile(staging)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(staging, []byte(strings.ReplaceAll(string(data), "us-east-1", testCluster.Region)), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// render renders one of the test's Environments as apply does.
func (s *ownedSpecs) render(t *testing.T, env string) []*unstructured.Unstructured {
	t.Helper()
	fsys := os.DirFS(s.dir)
	repo, err := schema.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.NewRenderer().Render(context.Background(), repo, fsys, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects { // what the test applies is its own
		owned := strings.HasSuffix(o.GetNamespace(), "-"+s.suffix)
		if o.GetNamespace() == "" {
			owned = strings.Contains(o.GetName(), s.suffix)
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
