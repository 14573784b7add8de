package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestApplyRefusesAnotherEnvironmentsCluster: with one kubeconfig for
// several Environments, an Environment naming another cluster than the one
// the API server is recorded as (testCluster) is refused by diff and
// apply, with a message naming both clusters, before anything is written.
func TestApplyRefusesAnotherEnvironmentsCluster(t *testing.T) {
	cfg := testenv.Config(t)
	s := ownSpecs(t)
	elsewhere := "ml-elsewhere" + s.Suffix
	replaceIn(t, filepath.Join(s.Dir, "environments", "staging.yaml"), "name: "+testCluster.Name+"\n", "name: "+elsewhere+"\n")
	kubeconfig := testenv.Kubeconfig(t, cfg)
	for _, verb := range []string{"diff", "apply"} {
		code, _, stderr := run(t, verb, s.Dir, "--env", s.staging, "--kubeconfig", kubeconfig, "--skip-aws")
		if want := "Environment " + s.staging + " names cluster " + elsewhere; code != ExitFailure || !strings.Contains(stderr, want) || !strings.Contains(stderr, testCluster.String()) {
			t.Errorf("%s of an Environment on %s against %s: exit %d, want %q and the recorded cluster; stderr:\n%s", verb, elsewhere, testCluster.Name, code, want, stderr)
		}
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	if _, err := cs.CoreV1().ConfigMaps(engine.InventoryNamespace).Get(context.Background(), engine.InventoryName(s.staging), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the refused Environment has an inventory: %v", err)
	}
}
