package render

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

// krustyMu decides which kustomize builds may run at the same time.
//
// In kustomize api/kyaml v0.21.2 a build's state is its own (Kustomizer,
// loader, in-memory filesystem, resource factory) or read-only after
// package init (the builtin plugin tables; the default transformer config,
// built under a sync.Once and deep-copied per build). Go plugins, the other
// global registry, are disabled. What is shared is kyaml's OpenAPI schema
// (kyaml/openapi/openapi.go). The map races of kubernetes-sigs/kustomize#3659
// and #4824 are fixed there by schemaLock, but not all of them:
//
//   - the schema is parsed lazily by the first build that needs it
//     (strategic-merge patches, merge keys) and IsNamespaceScoped, called by
//     every build for every object of a kind it does not know (Istio and
//     Karpenter CRDs), reads the parsed map without the lock (#5805);
//   - a kustomization with an openapi field replaces the schema for the
//     whole process, and the next lookup parses it again.
//
// So the unit builds, whose kustomization gitplane writes (resources and
// labels only: no patch, no schema lookup), run in parallel under the read
// lock; any build of a user's kustomization (the overlay) takes the write
// lock, and afterwards puts the default schema back if the build changed it.
// No other code in gitplane runs kustomize. Panics inside kustomize become
// errors, as in Flux.
var krustyMu sync.RWMutex

// defaultSchema is what openapi.GetSchemaVersion says before any build.
var defaultSchema = openapi.GetSchemaVersion()

// kustomizeBuild runs krusty on an in-memory filesystem holding files and
// returns the objects of the kustomization in dir. exclusive builds are for
// kustomizations gitplane did not write.
func kustomizeBuild(files map[string][]byte, dir string, exclusive bool) ([]*unstructured.Unstructured, error) {
	fSys := filesys.MakeFsInMemory()
	for name, data := range files {
		if err := fSys.WriteFile(name, data); err != nil {
			return nil, fmt.Errorf("writing %s to the in-memory filesystem: %w", name, err)
		}
	}
	if !exclusive {
		krustyMu.RLock()
		defer krustyMu.RUnlock()
		return runKrusty(fSys, dir)
	}
	krustyMu.Lock()
	defer krustyMu.Unlock()
	defer restoreSchema()
	return runKrusty(fSys, dir)
}

// restoreSchema undoes a kustomization's openapi field, as a new kustomize
// process would.
func restoreSchema() {
	if openapi.GetSchemaVersion() != defaultSchema {
		openapi.ResetOpenAPI()
	}
}

func runKrusty(fSys filesys.FileSystem, dir string) (objs []*unstructured.Unstructured, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize build panicked: %v", r)
		}
	}()
	opts := krusty.MakeDefaultOptions()
	opts.PluginConfig = types.DisabledPluginConfig()
	resMap, err := krusty.MakeKustomizer(opts).Run(fSys, dir)
	if err != nil {
		return nil, err
	}
	objs = make([]*unstructured.Unstructured, 0, resMap.Size())
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
