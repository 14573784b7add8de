package reconciler

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var configMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
var namespaces = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// Inventory ConfigMap keys: plain text when small, gzipped when large.
const (
	inventoryKey   = "refs"
	inventoryGzKey = "refs.gz"
)

// InventoryName is the name of an Environment's inventory ConfigMap in
// InventoryNamespace.
func InventoryName(env string) string { return "gitplane-inventory-" + env }

// ReadInventory returns what gitplane recorded for env; empty when nothing
// was recorded yet.
func (e *Engine) ReadInventory(ctx context.Context, env string) (Inventory, error) {
	cm, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.Unstructured, error) {
		return e.client.Resource(configMaps).Namespace(InventoryNamespace).Get(ctx, InventoryName(env), metav1.GetOptions{})
	})
	if apierrors.IsNotFound(err) {
		return NewInventory(), nil
	}
	if err != nil {
		return Inventory{}, fmt.Errorf("reading inventory %s/%s: %w", InventoryNamespace, InventoryName(env), err)
	}
	if s, ok, _ := unstructured.NestedString(cm.Object, "binaryData", inventoryGzKey); ok {
		data, err := decodeBase64(s)
		if err != nil {
			return Inventory{}, fmt.Errorf("inventory %s: %w", InventoryName(env), err)
		}
		return DecodeInventory(data, true)
	}
	s, _, _ := unstructured.NestedString(cm.Object, "data", inventoryKey)
	inv, err := DecodeInventory([]byte(s), false)
	if err != nil {
		return Inventory{}, fmt.Errorf("inventory %s: %w", InventoryName(env), err)
	}
	return inv, nil
}

// writeInventory records inv for env with server-side apply, creating the
// inventory namespace when it is missing.
func (e *Engine) writeInventory(ctx context.Context, env string, inv Inventory) error {
	data, compressed, err := inv.Encode()
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name: InventoryName(env), Namespace: InventoryNamespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": FieldManager, "gitplane.dev/inventory": env},
		},
	}
	if compressed {
		cm.BinaryData = map[string][]byte{inventoryGzKey: data}
	} else {
		cm.Data = map[string]string{inventoryKey: string(data)}
	}
	obj, err := toUnstructured(cm)
	if err != nil {
		return err
	}
	apply := func(ctx context.Context) (*unstructured.Unstructured, error) {
		return e.client.Resource(configMaps).Namespace(InventoryNamespace).Apply(ctx, cm.Name, obj,
			metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	}
	_, err = withRetry(ctx, e.opts.Backoff, apply)
	if apierrors.IsNotFound(err) {
		if err := e.ensureInventoryNamespace(ctx); err != nil {
			return err
		}
		_, err = withRetry(ctx, e.opts.Backoff, apply)
	}
	if err != nil {
		return fmt.Errorf("writing inventory %s/%s: %w", InventoryNamespace, cm.Name, err)
	}
	return nil
}

func (e *Engine) ensureInventoryNamespace(ctx context.Context) error {
	ns, err := toUnstructured(&corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: InventoryNamespace, Labels: map[string]string{"app.kubernetes.io/managed-by": FieldManager}},
	})
	if err != nil {
		return err
	}
	_, err = withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.Unstructured, error) {
		return e.client.Resource(namespaces).Apply(ctx, InventoryNamespace, ns, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	})
	if err != nil {
		return fmt.Errorf("creating namespace %s for the inventory: %w", InventoryNamespace, err)
	}
	return nil
}
