package engine

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/schema"
)

// ClusterRecordName is the ConfigMap in InventoryNamespace in which
// gitplane records which EKS cluster (name, region, account) a cluster is,
// on the first sync that writes to it.
const ClusterRecordName = "gitplane-cluster"

// Cluster identifies the EKS cluster an Environment names in spec.cluster.
type Cluster struct {
	Name      string `json:"name"`
	Region    string `json:"region"`
	AccountID string `json:"accountId"`
}

// ClusterOf is the cluster env names.
func ClusterOf(env *schema.Environment) Cluster {
	c := env.Spec.Cluster
	return Cluster{Name: c.Name, Region: c.Region, AccountID: c.AccountID}
}

// String is "ml-staging (us-east-1, account 111122223333)".
func (c Cluster) String() string {
	return fmt.Sprintf("%s (%s, account %s)", c.Name, c.Region, c.AccountID)
}

// ClusterMismatchError says the API server gitplane reached is recorded as
// another cluster than the one the Environment names: with one kubeconfig
// for several Environments, their objects would mix in one cluster.
type ClusterMismatchError struct {
	Environment string
	Want        Cluster // what the Environment names
	Recorded    Cluster // what the cluster was recorded as
	RecordedBy  string  // the Environment whose sync recorded it
}

func (e *ClusterMismatchError) Error() string {
	return fmt.Sprintf("Environment %s names cluster %s, but the API server reached is cluster %s (recorded by Environment %s in %s/%s): "+
		"refusing to apply",
		e.Environment, e.Want, e.Recorded, e.RecordedBy, InventoryNamespace, ClusterRecordName)
}

// checkCluster establishes that the API server is the cluster the
// Environment names: it compares with the cluster's record and, with
// record, records the Environment's cluster when there is none yet. want's
// zero value checks nothing (callers that do not know the Environment's
// spec).
func (e *Engine) checkCluster(ctx context.Context, env string, want Cluster, record bool) error {
	if want == (Cluster{}) {
		return nil
	}
	if seen := e.clusterSeen.Load(); seen != nil && *seen == want {
		return nil // the record is written once; serve plans every few seconds
	}
	got, by, ok, err := e.readClusterRecord(ctx)
	switch {
	case err != nil:
		return err
	case !ok && record:
		if err := e.recordCluster(ctx, env, want); err != nil {
			return err
		}
	case !ok:
		return nil
	case got != want:
		return &ClusterMismatchError{Environment: env, Want: want, Recorded: got, RecordedBy: by}
	}
	e.clusterSeen.Store(&want)
	return nil
}

// recordCluster writes the cluster record; a concurrent first sync that
// recorded another cluster makes this one fail the check.
func (e *Engine) recordCluster(ctx context.Context, env string, c Cluster) error {
	if err := e.ensureInventoryNamespace(ctx); err != nil {
		return err
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": ClusterRecordName, "namespace": InventoryNamespace,
			"labels": map[string]any{"app.kubernetes.io/managed-by": FieldManager}},
		"data": map[string]any{"name": c.Name, "region": c.Region, "accountId": c.AccountID, "recordedBy": env},
	}}
	_, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.Unstructured, error) {
		return e.client.Resource(configMaps).Namespace(InventoryNamespace).Create(ctx, cm, metav1.CreateOptions{FieldManager: FieldManager})
	})
	if apierrors.IsAlreadyExists(err) {
		return e.checkCluster(ctx, env, c, false)
	}
	if err != nil {
		return fmt.Errorf("recording the cluster in %s/%s: %w", InventoryNamespace, ClusterRecordName, err)
	}
	return nil
}

// RecordedCluster returns the cluster the API server was recorded as by
// the first sync that wrote to it; ok is false when none has.
func (e *Engine) RecordedCluster(ctx context.Context) (c Cluster, ok bool, err error) {
	c, _, ok, err = e.readClusterRecord(ctx)
	return c, ok, err
}

// readClusterRecord reads the cluster record and the Environment that
// wrote it; ok is false when there is none.
func (e *Engine) readClusterRecord(ctx context.Context) (c Cluster, recordedBy string, ok bool, err error) {
	cm, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.Unstructured, error) {
		return e.client.Resource(configMaps).Namespace(InventoryNamespace).Get(ctx, ClusterRecordName, metav1.GetOptions{})
	})
	if apierrors.IsNotFound(err) {
		return Cluster{}, "", false, nil
	}
	if err != nil {
		return Cluster{}, "", false, fmt.Errorf("reading the cluster record %s/%s: %w", InventoryNamespace, ClusterRecordName, err)
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	return Cluster{Name: data["name"], Region: data["region"], AccountID: data["accountId"]}, data["recordedBy"], true, nil
}
