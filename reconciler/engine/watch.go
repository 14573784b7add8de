package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
)

// watchCache keeps, for a long-running Engine (Options.Watch), a
// watch-fed copy of the metadata of each Environment's objects per kind, so
// a plan reads the cluster from memory: no request at all for an unchanged
// cluster. Entries are stored already converted to metadata-only objects.
type watchCache struct {
	mu        sync.Mutex
	ctx       context.Context
	stop      context.CancelFunc
	informers map[watchKey]cache.SharedIndexInformer
}

type watchKey struct {
	env string
	gvr schema.GroupVersionResource
}

// caughtUpWait bounds how long a plan waits for a watch to deliver
// gitplane's own last write before it lists instead.
const caughtUpWait = 2 * time.Second

func newWatchCache() *watchCache {
	ctx, stop := context.WithCancel(context.Background())
	return &watchCache{ctx: ctx, stop: stop, informers: map[watchKey]cache.SharedIndexInformer{}}
}

// Close stops the Engine's watches; a closed Engine lists instead.
func (e *Engine) Close() {
	if e.watch != nil {
		e.watch.stop()
	}
}

// watched returns the cached metadata of the Environment's objects of one
// kind, starting the watch on first use. ok is false when the cache has not
// caught up with newest (gitplane's last write to the kind) in time: the
// caller then lists.
func (e *Engine) watched(ctx context.Context, env string, gvk schema.GroupVersionKind, gvr schema.GroupVersionResource, newest uint64) (objs []*unstructured.Unstructured, ok bool, err error) {
	inf := e.watch.informer(e, env, gvk, gvr)
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return nil, false, fmt.Errorf("watching %s: %w", gvr.GroupResource(), ctx.Err())
	}
	deadline := time.Now().Add(caughtUpWait)
	for !caughtUp(inf.LastSyncResourceVersion(), newest) {
		if time.Now().After(deadline) {
			return nil, false, nil
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	items := inf.GetStore().List()
	objs = make([]*unstructured.Unstructured, 0, len(items))
	for _, it := range items {
		if o, isObj := it.(*unstructured.Unstructured); isObj {
			objs = append(objs, o)
		}
	}
	return objs, true, nil
}

// informer returns the running informer of (env, kind), starting it.
func (w *watchCache) informer(e *Engine, env string, gvk schema.GroupVersionKind, gvr schema.GroupVersionResource) cache.SharedIndexInformer {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := watchKey{env, gvr}
	if inf, ok := w.informers[key]; ok {
		return inf
	}
	selector := func(o *metav1.ListOptions) { o.LabelSelector = LabelEnvironment + "=" + env }
	inf := metadatainformer.NewFilteredMetadataInformer(e.meta, gvr, metav1.NamespaceAll, 0, cache.Indexers{}, selector).Informer()
	_ = inf.SetTransform(func(obj any) (any, error) {
		if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
			return metadataObject(gvk, &m.ObjectMeta), nil
		}
		return obj, nil
	})
	go inf.RunWithContext(w.ctx)
	w.informers[key] = inf
	return inf
}
