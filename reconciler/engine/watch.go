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
//
// A watch runs from the first plan that needs it until the Environment is
// unwatched (Engine.Unwatch), no plan has read it for Options.WatchIdle, or
// the Engine is closed (Engine.Close).
type watchCache struct {
	mu      sync.Mutex
	closed  bool
	watches map[watchKey]*watch
}

type watchKey struct {
	env string
	gvr schema.GroupVersionResource
}

// watch is one running informer.
type watch struct {
	inf  cache.SharedIndexInformer
	ctx  context.Context // ends when the watch is stopped
	stop context.CancelFunc
	done chan struct{} // closed once the informer and its idle timer have returned

	mu   sync.Mutex
	used time.Time // last read by a plan, on the Engine's clock
}

// caughtUpWait bounds how long a plan waits for a watch to deliver
// gitplane's own last write before it lists instead.
const caughtUpWait = 2 * time.Second

func newWatchCache() *watchCache {
	return &watchCache{watches: map[watchKey]*watch{}}
}

// Close stops the Engine's watches and returns once they have stopped; a
// closed Engine lists instead.
func (e *Engine) Close() {
	if e.watch == nil {
		return
	}
	e.watch.mu.Lock()
	e.watch.closed = true
	e.watch.mu.Unlock()
	e.watch.stopWhere(func(watchKey) bool { return true })
}

// Unwatch stops the watches of an Environment and returns once they have
// stopped: serve calls it when it no longer follows the Environment. A
// later plan of the Environment starts them again.
func (e *Engine) Unwatch(env string) {
	if e.watch != nil {
		e.watch.stopWhere(func(k watchKey) bool { return k.env == env })
	}
}

// stopWhere stops the watches whose key matches and waits for them.
func (w *watchCache) stopWhere(match func(watchKey) bool) {
	w.mu.Lock()
	var stopped []*watch
	for k, wt := range w.watches {
		if match(k) {
			wt.stop()
			stopped = append(stopped, wt)
			delete(w.watches, k)
		}
	}
	w.mu.Unlock()
	for _, wt := range stopped {
		<-wt.done
	}
}

// watched returns the cached metadata of the Environment's objects of one
// kind, starting the watch on first use. ok is false when the cache has not
// caught up with newest (gitplane's last write to the kind) in time, or the
// watch stopped (or the Engine was closed) meanwhile: the caller then lists.
func (e *Engine) watched(ctx context.Context, env string, gvk schema.GroupVersionKind, gvr schema.GroupVersionResource, newest uint64) (objs []*unstructured.Unstructured, ok bool, err error) {
	w := e.watch.get(e, env, gvk, gvr)
	if w == nil {
		return nil, false, nil
	}
	w.touch(e.opts.Clock.Now())
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(w.ctx, cancel)()
	if !cache.WaitForCacheSync(wctx.Done(), w.inf.HasSynced) {
		if ctx.Err() != nil {
			return nil, false, fmt.Errorf("watching %s: %w", gvr.GroupResource(), ctx.Err())
		}
		return nil, false, nil // the watch stopped
	}
	deadline := e.opts.Clock.Now().Add(caughtUpWait)
	for !caughtUp(w.inf.LastSyncResourceVersion(), newest) {
		if !e.opts.Clock.Now().Before(deadline) {
			return nil, false, nil
		}
		if err := e.sleep(wctx, 20*time.Millisecond); err != nil {
			if ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			return nil, false, nil // the watch stopped
		}
	}
	if w.ctx.Err() != nil {
		return nil, false, nil // a stopped watch's store is no longer fed
	}
	items := w.inf.GetStore().List()
	objs = make([]*unstructured.Unstructured, 0, len(items))
	for _, it := range items {
		if o, isObj := it.(*unstructured.Unstructured); isObj {
			objs = append(objs, o)
		}
	}
	return objs, true, nil
}

// get returns the running watch of (env, kind), starting it; nil once the
// Engine is closed.
func (w *watchCache) get(e *Engine, env string, gvk schema.GroupVersionKind, gvr schema.GroupVersionResource) *watch {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	key := watchKey{env, gvr}
	if wt, ok := w.watches[key]; ok {
		return wt
	}
	selector := func(o *metav1.ListOptions) { o.LabelSelector = LabelEnvironment + "=" + env }
	inf := metadatainformer.NewFilteredMetadataInformer(e.meta, gvr, metav1.NamespaceAll, 0, cache.Indexers{}, selector).Informer()
	_ = inf.SetTransform(func(obj any) (any, error) {
		if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
			return metadataObject(gvk, &m.ObjectMeta), nil
		}
		return obj, nil
	})
	ctx, stop := context.WithCancel(context.Background())
	wt := &watch{inf: inf, ctx: ctx, stop: stop, done: make(chan struct{}), used: e.opts.Clock.Now()}
	w.watches[key] = wt
	var running sync.WaitGroup
	running.Go(func() { inf.RunWithContext(ctx) })
	running.Go(func() { w.expire(e, key, wt) })
	go func() {
		running.Wait()
		close(wt.done)
	}()
	return wt
}

func (wt *watch) touch(now time.Time) {
	wt.mu.Lock()
	wt.used = now
	wt.mu.Unlock()
}

// expire stops the watch once no plan has read it for Options.WatchIdle,
// unless it is stopped before.
func (w *watchCache) expire(e *Engine, key watchKey, wt *watch) {
	wait := e.opts.WatchIdle
	for {
		t := e.opts.Clock.NewTimer(wait)
		select {
		case <-wt.ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		wt.mu.Lock()
		unused := e.opts.Clock.Since(wt.used)
		wt.mu.Unlock()
		if unused >= e.opts.WatchIdle {
			break
		}
		wait = e.opts.WatchIdle - unused
	}
	w.mu.Lock()
	if w.watches[key] == wt {
		delete(w.watches, key)
	}
	wt.stop()
	w.mu.Unlock()
	e.opts.Logger.Debug("stopped an idle watch", "env", key.env, "resource", key.gvr.GroupResource(), "idle", e.opts.WatchIdle)
}
