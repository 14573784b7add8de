package testenv

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The cluster record's place and keys, as gitplane's engine writes it
// (engine.ClusterRecordName in engine.InventoryNamespace); testenv sits
// below the engine and does not import it.
const (
	recordNamespace = "gitplane-system"
	recordName      = "gitplane-cluster"
)

// RecordCluster records the control plane as Cluster unless a test did
// already, as the first sync of an Environment on Cluster would. Tests that
// sync call it first, so that no test that names another cluster on
// purpose can make the record its own. A record of another cluster fails
// the test: some test left it.
func RecordCluster(t testing.TB) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(Config(t))
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: recordNamespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	record := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: recordName, Namespace: recordNamespace},
		Data: map[string]string{"name": Cluster.Name, "region": Cluster.Region, "accountId": Cluster.AccountID, "recordedBy": "testenv"}}
	_, err := cs.CoreV1().ConfigMaps(recordNamespace).Create(ctx, record, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := cs.CoreV1().ConfigMaps(recordNamespace).Get(ctx, recordName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Data; d["name"] != Cluster.Name || d["region"] != Cluster.Region || d["accountId"] != Cluster.AccountID {
		t.Fatalf("the control plane is recorded as %s (%s, account %s), not the tests' %s: a test recorded another cluster",
			d["name"], d["region"], d["accountId"], Cluster.Name)
	}
}
