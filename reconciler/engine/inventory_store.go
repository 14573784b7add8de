package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

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

// labelInventory marks inventory ConfigMaps with their Environment.
const labelInventory = "gitplane.dev/inventory"

// inventoryTries bounds how often a write that found the inventory changed
// by another writer reads it again and merges.
const inventoryTries = 5

// errInventoryChanged says the stored inventory is not the one a write was
// based on.
var errInventoryChanged = errors.New("the inventory was changed by another writer")

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
	return inventoryOf(cm)
}

// inventoryOf decodes an inventory ConfigMap.
func inventoryOf(cm *unstructured.Unstructured) (Inventory, error) {
	var (
		inv Inventory
		err error
	)
	if s, ok, _ := unstructured.NestedString(cm.Object, "binaryData", inventoryGzKey); ok {
		var data []byte
		if data, err = decodeBase64(s); err == nil {
			inv, err = DecodeInventory(data, true)
		}
	} else {
		s, _, _ := unstructured.NestedString(cm.Object, "data", inventoryKey)
		inv, err = DecodeInventory([]byte(s), false)
	}
	if err != nil {
		return Inventory{}, fmt.Errorf("inventory %s: %w", cm.GetName(), err)
	}
	inv.resourceVersion = cm.GetResourceVersion()
	return inv, nil
}

// inventoryEdit is what one sync changes in an inventory: the objects it
// records (with what it observed of them) and the objects it drops.
type inventoryEdit struct {
	add    Inventory
	remove []Ref
}

func (ed inventoryEdit) on(inv Inventory) Inventory {
	return inv.Union(ed.add).without(ed.remove)
}

// updateInventory records the edit on base, the inventory as last read or
// written. The write is conditional on base's resourceVersion: when another
// writer changed the inventory since, it is read again and the edit made on
// what it holds, so neither writer's objects are lost. It returns the
// inventory as written (base when the edit changes nothing).
func (e *Engine) updateInventory(ctx context.Context, env string, base Inventory, ed inventoryEdit) (Inventory, error) {
	for try := 1; ; try++ {
		next := ed.on(base)
		if next.Equal(base) {
			return base, nil
		}
		written, err := e.writeInventory(ctx, env, next)
		if err == nil {
			return written, nil
		}
		if !errors.Is(err, errInventoryChanged) {
			return base, err
		}
		if try == inventoryTries {
			return base, fmt.Errorf("writing inventory %s/%s: it changed under gitplane %d times in a row; is another gitplane without a Lease syncing Environment %s?",
				InventoryNamespace, InventoryName(env), try, env)
		}
		e.opts.Logger.Info("inventory changed since it was read; merging", "env", env, "try", try)
		if base, err = e.ReadInventory(ctx, env); err != nil {
			return base, err
		}
	}
}

// writeInventory stores inv for env: a create when inv was not read from a
// stored ConfigMap, else an update conditional on its resourceVersion
// (errInventoryChanged when that is not current). It creates the inventory
// namespace when it is missing.
func (e *Engine) writeInventory(ctx context.Context, env string, inv Inventory) (Inventory, error) {
	data, compressed, err := inv.Encode()
	if err != nil {
		return inv, err
	}
	cm := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name: InventoryName(env), Namespace: InventoryNamespace, ResourceVersion: inv.resourceVersion,
			Labels: map[string]string{"app.kubernetes.io/managed-by": FieldManager, labelInventory: env},
		},
	}
	if compressed {
		cm.BinaryData = map[string][]byte{inventoryGzKey: data}
	} else {
		cm.Data = map[string]string{inventoryKey: string(data)}
	}
	obj, err := toUnstructured(cm)
	if err != nil {
		return inv, err
	}
	ri := e.client.Resource(configMaps).Namespace(InventoryNamespace)
	write := func(ctx context.Context) (*unstructured.Unstructured, error) {
		if inv.resourceVersion == "" {
			return ri.Create(ctx, obj, metav1.CreateOptions{FieldManager: FieldManager})
		}
		return ri.Update(ctx, obj, metav1.UpdateOptions{FieldManager: FieldManager})
	}
	out, err := withRetry(ctx, e.opts.Backoff, write)
	if apierrors.IsNotFound(err) && inv.resourceVersion == "" {
		if err := e.ensureInventoryNamespace(ctx); err != nil {
			return inv, err
		}
		out, err = withRetry(ctx, e.opts.Backoff, write)
	}
	switch {
	case apierrors.IsAlreadyExists(err), apierrors.IsConflict(err), apierrors.IsNotFound(err):
		return inv, fmt.Errorf("writing inventory %s/%s: %w", InventoryNamespace, cm.Name, errInventoryChanged)
	case err != nil:
		return inv, fmt.Errorf("writing inventory %s/%s: %w", InventoryNamespace, cm.Name, err)
	}
	inv = inv.clone()
	inv.resourceVersion = out.GetResourceVersion()
	return inv, nil
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

// inventoryOwners reads every Environment's inventory, to say which other
// Environment an object gitplane applied belongs to.
func (e *Engine) inventoryOwners(ctx context.Context) (map[string]Inventory, error) {
	list, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.UnstructuredList, error) {
		return e.client.Resource(configMaps).Namespace(InventoryNamespace).List(ctx, metav1.ListOptions{LabelSelector: labelInventory})
	})
	if err != nil {
		return nil, fmt.Errorf("listing the inventories in %s: %w", InventoryNamespace, err)
	}
	out := map[string]Inventory{}
	for i := range list.Items {
		cm := &list.Items[i]
		inv, err := inventoryOf(cm)
		if err != nil {
			return nil, err
		}
		out[cm.GetLabels()[labelInventory]] = inv
	}
	return out, nil
}

// recordedBy returns the first Environment other than env, by name, whose
// inventory holds ref; "" when none does.
func recordedBy(owners map[string]Inventory, ref Ref, env string) string {
	names := make([]string, 0, len(owners))
	for name := range owners {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name != env && owners[name].Has(ref) {
			return name
		}
	}
	return ""
}
