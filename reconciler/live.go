package reconciler

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// LabelEnvironment selects the objects gitplane rendered for an Environment
// (render puts it on every object).
const LabelEnvironment = "gitplane.dev/environment"

// resource returns the client for the Ref's kind and namespace. A kind the
// server does not serve yields a meta.NoKindMatchError.
func (e *Engine) resource(ref Ref) (dynamic.ResourceInterface, error) {
	m, err := e.mapper.RESTMapping(schema.GroupKind{Group: ref.Group, Kind: ref.Kind}, ref.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return e.client.Resource(m.Resource).Namespace(ref.Namespace), nil
	}
	return e.client.Resource(m.Resource), nil
}

// listLive reads the cluster's objects of the given kinds labelled with the
// Environment: one LIST per kind, in parallel, instead of a GET per object.
// Kinds the server does not serve yet (CRDs not installed) have no objects.
func (e *Engine) listLive(ctx context.Context, env string, gvks map[schema.GroupVersionKind]bool) (map[ID]*unstructured.Unstructured, error) {
	var (
		mu   sync.Mutex
		live = map[ID]*unstructured.Unstructured{}
	)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for gvk := range gvks {
		g.Go(func() error {
			items, err := e.listKind(ctx, gvk, LabelEnvironment+"="+env)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for i := range items {
				live[RefOf(&items[i]).ID()] = &items[i]
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return live, nil
}

// listKind lists one kind in every namespace.
func (e *Engine) listKind(ctx context.Context, gvk schema.GroupVersionKind, selector string) ([]unstructured.Unstructured, error) {
	m, err := e.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", gvk, err)
	}
	list, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.UnstructuredList, error) {
		return e.client.Resource(m.Resource).List(ctx, metav1.ListOptions{LabelSelector: selector})
	})
	if apierrors.IsNotFound(err) {
		return nil, nil // the CRD was removed since discovery
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", m.Resource.GroupResource(), err)
	}
	return list.Items, nil
}

// getLive reads one object; nil when it does not exist.
func (e *Engine) getLive(ctx context.Context, ref Ref) (*unstructured.Unstructured, error) {
	ri, err := e.resource(ref)
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
