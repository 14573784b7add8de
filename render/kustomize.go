package render

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// krustyMu serialises kustomize builds: kustomize keeps global state (its
// OpenAPI schema, kubernetes-sigs/kustomize#3659), so Flux runs one build at
// a time, and so does gitplane.
var krustyMu sync.Mutex

// kustomizeBuild runs krusty on an in-memory filesystem holding files and
// returns the objects of the kustomization in dir. Panics inside kustomize
// become errors.
func kustomizeBuild(files map[string][]byte, dir string) (objs []*unstructured.Unstructured, err error) {
	fSys := filesys.MakeFsInMemory()
	for name, data := range files {
		if err := fSys.WriteFile(name, data); err != nil {
			return nil, fmt.Errorf("writing %s to the in-memory filesystem: %w", name, err)
		}
	}
	opts := krusty.MakeDefaultOptions()
	opts.PluginConfig = types.DisabledPluginConfig()

	krustyMu.Lock()
	defer krustyMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize build panicked: %v", r)
		}
	}()
	resMap, err := krusty.MakeKustomizer(opts).Run(fSys, dir)
	if err != nil {
		return nil, err
	}
	for _, r := range resMap.Resources() {
		// through JSON, so numbers become the int64 and float64 that
		// unstructured objects hold (r.Map() gives Go ints)
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("reading kustomize output %s: %w", r.CurId(), err)
		}
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("reading kustomize output %s: %w", r.CurId(), err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}
