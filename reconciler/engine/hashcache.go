package engine

import (
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// hashCache remembers, per Environment, the hash-annotated copy of each
// rendered object of the last plan. render.Renderer hands out the same
// objects for specs that did not change, so a long-running loop hashes only
// what changed. Rendered objects are read-only by contract (see
// render.Result), which is what makes the object's address a safe key.
type hashCache struct {
	mu   sync.Mutex
	last map[string]map[*unstructured.Unstructured]*unstructured.Unstructured
}

// annotate returns the objects annotated with their hash (withHash),
// hashing on every core what the cache does not hold. The cache then holds
// exactly this call's objects.
func (c *hashCache) annotate(env string, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	c.mu.Lock()
	prev := c.last[env]
	c.mu.Unlock()
	out := make([]*unstructured.Unstructured, len(objs))
	var g errgroup.Group
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		g.Go(func() error {
			for i := w; i < len(objs); i += workers {
				if h, ok := prev[objs[i]]; ok {
					out[i] = h
					continue
				}
				h, err := withHash(objs[i])
				if err != nil {
					return err
				}
				out[i] = h
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	next := make(map[*unstructured.Unstructured]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		next[o] = out[i]
	}
	c.mu.Lock()
	if c.last == nil {
		c.last = map[string]map[*unstructured.Unstructured]*unstructured.Unstructured{}
	}
	c.last[env] = next
	c.mu.Unlock()
	return out, nil
}
