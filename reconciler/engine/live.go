package engine

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"

	"github.com/gitplane/gitplane/render"
)

// LabelEnvironment is the label render puts on every object with the
// Environment it belongs to; the engine lists and owns objects by it.
const LabelEnvironment = render.LabelEnvironment

// resource returns the client for the Ref's kind and namespace. A kind the
// server does not serve yields a meta.NoKindMatchError.
func (e *Engine) resource(ctx context.Context, ref Ref) (dynamic.ResourceInterface, error) {
	m, err := e.restMapping(ctx, ref.GVK())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return e.client.Resource(m.Resource).Namespace(ref.Namespace), nil
	}
	return e.client.Resource(m.Resource), nil
}

// listLive reads the cluster's objects of the given kinds labelled with the
// Environment, whole: one LIST per kind, in parallel. Kinds the server does
// not serve yet (CRDs not installed) have no objects.
func (e *Engine) listLive(ctx context.Context, env string, gvks map[schema.GroupVersionKind]bool) (map[ID]*unstructured.Unstructured, error) {
	live := map[ID]*unstructured.Unstructured{}
	err := e.eachKind(ctx, gvks, func(ctx context.Context, gvk schema.GroupVersionKind, gvr schema.GroupVersionResource, add func(*unstructured.Unstructured)) error {
		list, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.UnstructuredList, error) {
			return e.client.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: LabelEnvironment + "=" + env})
		})
		if err != nil {
			return err
		}
		for i := range list.Items {
			add(&list.Items[i])
		}
		return nil
	}, live)
	return live, err
}

// listMetadata reads only the metadata of the Environment's objects, in
// protobuf: far less to send and decode than whole objects, and enough to
// prove most objects unchanged (see compareObject). Lists are served from
// the API server's watch cache (resourceVersion "0"), which answers without
// a round trip to etcd; a kind whose cached list is older than gitplane's
// last write to it (newest) is listed again, consistently.
func (e *Engine) listMetadata(ctx context.Context, env string, gvks map[schema.GroupVersionKind]bool, newest map[schema.GroupKind]uint64) (Live, error) {
	live := Live{Objects: map[ID]*unstructured.Unstructured{}, MetadataOnly: map[ID]bool{}}
	err := e.eachKind(ctx, gvks, func(ctx context.Context, gvk schema.GroupVersionKind, gvr schema.GroupVersionResource, add func(*unstructured.Unstructured)) error {
		if e.watch != nil {
			objs, ok, err := e.watched(ctx, env, gvk, gvr, newest[gvk.GroupKind()])
			if err != nil {
				return err
			}
			if ok {
				for _, o := range objs {
					add(o)
				}
				return nil
			}
		}
		list, err := e.listMetadataOf(ctx, gvr, LabelEnvironment+"="+env, "0")
		// The watch cache is usually milliseconds behind: ask it again
		// briefly before paying for a consistent list.
		for try := 0; err == nil && !caughtUp(list.ResourceVersion, newest[gvk.GroupKind()]) && try < 5; try++ {
			if err := e.sleep(ctx, 20*time.Millisecond); err != nil {
				return err
			}
			list, err = e.listMetadataOf(ctx, gvr, LabelEnvironment+"="+env, "0")
		}
		if err == nil && !caughtUp(list.ResourceVersion, newest[gvk.GroupKind()]) {
			list, err = e.listMetadataOf(ctx, gvr, LabelEnvironment+"="+env, "")
		}
		if err != nil {
			return err
		}
		for i := range list.Items {
			add(metadataObject(gvk, &list.Items[i].ObjectMeta))
		}
		return nil
	}, live.Objects)
	for id := range live.Objects {
		live.MetadataOnly[id] = true
	}
	return live, err
}

func (e *Engine) listMetadataOf(ctx context.Context, gvr schema.GroupVersionResource, selector, resourceVersion string) (*metav1.PartialObjectMetadataList, error) {
	return withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*metav1.PartialObjectMetadataList, error) {
		return e.meta.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: selector, ResourceVersion: resourceVersion})
	})
}

// caughtUp reports whether a list at resourceVersion rv includes a write
// that returned newest. Resource versions are etcd revisions; one that does
// not parse is treated as not caught up.
func caughtUp(rv string, newest uint64) bool {
	if newest == 0 {
		return true
	}
	n, err := strconv.ParseUint(rv, 10, 64)
	return err == nil && n >= newest
}

type listFunc func(ctx context.Context, gvk schema.GroupVersionKind, gvr schema.GroupVersionResource, add func(*unstructured.Unstructured)) error

// eachKind runs list for every kind the server serves, in parallel, and
// collects what it adds into into.
func (e *Engine) eachKind(ctx context.Context, gvks map[schema.GroupVersionKind]bool, list listFunc, into map[ID]*unstructured.Unstructured) error {
	var mu sync.Mutex
	add := func(o *unstructured.Unstructured) {
		mu.Lock()
		into[RefOf(o).ID()] = o
		mu.Unlock()
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for gvk := range gvks {
		g.Go(func() error {
			m, err := e.restMapping(ctx, gvk)
			if meta.IsNoMatchError(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("mapping %s: %w", gvk, err)
			}
			err = list(ctx, gvk, m.Resource, add)
			if apierrors.IsNotFound(err) {
				return nil // the CRD was removed since discovery
			}
			if err != nil {
				return fmt.Errorf("listing %s: %w", m.Resource.GroupResource(), err)
			}
			return nil
		})
	}
	return g.Wait()
}

// metadataObject is a metadata-only object in the unstructured form the
// rest of the engine reads.
func metadataObject(gvk schema.GroupVersionKind, m *metav1.ObjectMeta) *unstructured.Unstructured {
	md := map[string]any{"name": m.Name, "resourceVersion": m.ResourceVersion, "uid": string(m.UID)}
	if m.Namespace != "" {
		md["namespace"] = m.Namespace
	}
	if m.Generation != 0 {
		md["generation"] = m.Generation
	}
	if len(m.Labels) > 0 {
		md["labels"] = stringsToAny(m.Labels)
	}
	if len(m.Annotations) > 0 {
		md["annotations"] = stringsToAny(m.Annotations)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"metadata": md}}
	u.SetGroupVersionKind(gvk)
	return u
}

func stringsToAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// metadataWithFields is metadataObject with the managedFields, which say
// who applied the object.
func metadataWithFields(gvk schema.GroupVersionKind, m *metav1.ObjectMeta) *unstructured.Unstructured {
	u := metadataObject(gvk, m)
	u.SetManagedFields(m.ManagedFields)
	return u
}

// getMeta reads one object's metadata, managedFields included; nil when it
// does not exist. A Secret's values are never read.
func (e *Engine) getMeta(ctx context.Context, ref Ref) (*unstructured.Unstructured, error) {
	m, err := e.restMapping(ctx, ref.GVK())
	if meta.IsNoMatchError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	var ri metadata.ResourceInterface = e.meta.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = e.meta.Resource(m.Resource).Namespace(ref.Namespace)
	}
	pom, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*metav1.PartialObjectMetadata, error) {
		return ri.Get(ctx, ref.Name, metav1.GetOptions{})
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	return metadataWithFields(ref.GVK(), &pom.ObjectMeta), nil
}

// getLive reads one object; nil when it does not exist.
func (e *Engine) getLive(ctx context.Context, ref Ref) (*unstructured.Unstructured, error) {
	ri, err := e.resource(ctx, ref)
	if meta.IsNoMatchError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	obj, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.Unstructured, error) {
		return ri.Get(ctx, ref.Name, metav1.GetOptions{})
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	return obj, nil
}
