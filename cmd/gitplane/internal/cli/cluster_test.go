package cli

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestApplyRefusesAnotherEnvironmentsCluster: with one kubeconfig for
// several Environments, an Environment naming another cluster than the one
// recorded in the API server (here prod's ml-prod) is refused by diff and
// apply, with a message naming both clusters, before anything is written.
func TestApplyRefusesAnotherEnvironmentsCluster(t *testing.T) {
	cfg := testenv.Config(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	_, _ = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: engine.InventoryNamespace}}, metav1.CreateOptions{})
	record := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: engine.ClusterRecordName, Namespace: engine.InventoryNamespace},
		Data: map[string]string{"name": "ml-prod", "region": "us-west-2", "accountId": "111122223333", "recordedBy": "prod"}}
	// prod's first sync records this; other tests of this package sync
	// prod only, so the record is either absent or this one.
	if _, err := cs.CoreV1().ConfigMaps(engine.InventoryNamespace).Create(ctx, record, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	kubeconfig := testenv.Kubeconfig(t, cfg)
	dir := copySpecs(t)
	for _, verb := range []string{"diff", "apply"} {
		code, _, stderr := run(t, verb, dir, "--env", "staging", "--kubeconfig", kubeconfig, "--skip-aws")
		if code != ExitFailure || !strings.Contains(stderr, "Environment staging names cluster ml-staging") || !strings.Contains(stderr, "ml-prod") {
			t.Errorf("%s --env staging against prod's cluster: exit %d, stderr:\n%s", verb, code, stderr)
		}
	}
	if _, err := cs.CoreV1().ConfigMaps(engine.InventoryNamespace).Get(ctx, engine.InventoryName("staging"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the refused Environment has an inventory: %v", err)
	}
}
