package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// TestOneClusterPerEnvironment: the first sync that writes records which
// cluster the API server is; an Environment naming another cluster is then
// refused before anything is written, and one naming the same cluster
// syncs.
func TestOneClusterPerEnvironment(t *testing.T) {
	h := newHarness(t, engine.Options{})
	cms := h.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace(engine.InventoryNamespace)
	forget := func() {
		if err := cms.Delete(context.Background(), engine.ClusterRecordName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	forget() // the record is the cluster's: this test starts without one
	t.Cleanup(forget)

	suffix := rand.String(5)
	here := engine.Cluster{Name: "ml-here", Region: "us-east-1", AccountID: "111122223333"}
	syncIn := func(env string, c engine.Cluster) (*engine.Plan, error) {
		objs := rendered(t, specRepo(env, model{"m", "img:1"}), env)
		p, err := h.engine.Plan(context.Background(), engine.PlanRequest{Environment: env, Objects: objs, PlanOptions: engine.PlanOptions{Prune: true}, Cluster: c})
		if err != nil {
			return nil, err
		}
		return h.engine.Apply(context.Background(), p, engine.ApplyOptions{})
	}

	first := "cid-a-" + suffix
	if _, err := syncIn(first, here); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	rec, err := cms.Get(context.Background(), engine.ClusterRecordName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("no cluster record after the first sync: %v", err)
	}
	if data := rec.Object["data"].(map[string]any); data["name"] != "ml-here" || data["recordedBy"] != first {
		t.Errorf("cluster record %v", data)
	}

	h.count.reset()
	other := "cid-b-" + suffix
	_, err = syncIn(other, engine.Cluster{Name: "ml-elsewhere", Region: "us-east-1", AccountID: "111122223333"})
	var mismatch *engine.ClusterMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("an Environment naming another cluster: err = %v, want a ClusterMismatchError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "ml-elsewhere") || !strings.Contains(msg, "ml-here") || !strings.Contains(msg, first) {
		t.Errorf("error does not name both clusters and the recording Environment: %s", msg)
	}
	if w := h.count.writes(); w != 0 {
		t.Errorf("the refused Environment wrote %d times", w)
	}

	if _, err := syncIn("cid-c-"+suffix, here); err != nil {
		t.Errorf("another Environment of the same cluster: %v", err)
	}
}
