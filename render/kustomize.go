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
		m, err := r.Map()
		if err != nil {
			return nil, fmt.Errorf("reading kustomize output %s: %w", r.CurId(), err)
		}
		objs = append(objs, &unstructured.Unstructured{Object: jsonNumbers(m).(map[string]any)})
	}
	return objs, nil
}

// jsonNumbers converts the Go ints and floats kustomize's Map() returns into
// the int64 and float64 that unstructured objects hold, in place.
func jsonNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = jsonNumbers(e)
		}
	case int:
		return int64(t)
	case int32:
		return int64(t)
	case uint64:
		return int64(t)
	case float32:
		return float64(t)
	}
	return v
}
