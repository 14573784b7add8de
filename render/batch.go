package render

import (
	"bytes"
	"context"
	"fmt"
	"runtime"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// batchSize is how many units share one kustomize build on a cold render.
// Every build pays a fixed setup (parsing the kustomization, configuring
// the label transformer with kustomize's default field specs) that costs
// more than a spec's own objects; a build's other costs grow with the
// number of resources in it, so batches stay small.
const batchSize = 8

// renderMissing renders the units at the indexes in missing into outs, in
// batches run in parallel. Each batch is one kustomize build whose output is
// mapped back to its units by object key; a batch that kustomize rejects,
// or whose units render the same object, is built again unit by unit, so
// that errors name the spec exactly as a build per spec would. When several
// units fail, the error is that of the first in units' order.
func renderMissing(ctx context.Context, units []*unit, missing []int, outs [][]*unstructured.Unstructured) error {
	batches := split(missing, batchSize, runtime.GOMAXPROCS(0))
	errs := make([]error, len(units))
	in := newInterner()
	var g errgroup.Group // errors go to errs, by unit
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, batch := range batches {
		g.Go(func() error {
			if ctx.Err() == nil {
				renderBatch(units, batch, outs, errs, in)
			}
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// split cuts idx into batches of at most size, and into at least n batches
// when there are that many indexes, so that n workers all get one.
func split(idx []int, size, n int) [][]int {
	count := max((len(idx)+size-1)/size, min(n, len(idx)))
	var out [][]int
	for i := range count {
		lo, hi := i*len(idx)/count, (i+1)*len(idx)/count
		out = append(out, idx[lo:hi])
	}
	return out
}

// renderBatch renders the units at idx with one kustomize build, falling
// back to one build per unit when that fails. Equal subtrees of the
// objects are shared through in.
func renderBatch(units []*unit, idx []int, outs [][]*unstructured.Unstructured, errs []error, in *interner) {
	if len(idx) > 1 {
		if res, ok := buildBatch(units, idx, in); ok {
			for i, j := range idx {
				outs[j] = res[i]
			}
			return
		}
	}
	for _, j := range idx {
		res, err := buildUnits(units, []int{j}, in)
		if err != nil {
			errs[j] = err
			continue
		}
		outs[j] = res[0]
	}
}

// buildBatch is buildUnits for several units; false when it fails.
func buildBatch(units []*unit, idx []int, in *interner) ([][]*unstructured.Unstructured, bool) {
	res, err := buildUnits(units, idx, in)
	return res, err == nil
}

// buildUnits generates the objects of the units at idx and runs them
// through one kustomize build, which adds gitplane's labels; then it sorts
// the output back to the units and annotates each object with its source.
// kustomize gets only each object's apiVersion, kind and metadata, and the
// rest of the object is put back after the build (see metaonly.go for why
// that is exact).
func buildUnits(units []*unit, idx []int, in *interner) ([][]*unstructured.Unstructured, error) {
	return buildWith(units, idx, &jsonCopier{in: in})
}

// buildUnitsFull is buildUnits with whole objects through kustomize, what
// TestMetadataOnlyBuilds compares buildUnits with.
func buildUnitsFull(units []*unit, idx []int) ([][]*unstructured.Unstructured, error) {
	return buildWith(units, idx, nil)
}

// buildWith builds whole objects when copier is nil, else views of them.
func buildWith(units []*unit, idx []int, copier *jsonCopier) ([][]*unstructured.Unstructured, error) {
	owner := map[string]int{} // object key → position in idx
	// apiVersion and object key → what kustomize did not get. Key leaves
	// out the version, which tells apart objects kustomize accepts.
	held := map[string]*heldBack{}
	var buf bytes.Buffer
	for i, j := range idx {
		u := units[j]
		objs, err := u.objects()
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			k := Key(&unstructured.Unstructured{Object: o})
			if prev, dup := owner[k]; dup && prev != i {
				return nil, fmt.Errorf("rendering %s (%s): %s is rendered by another spec too", u.what, u.source, k)
			}
			owner[k] = i
			doc := o
			if copier != nil {
				view, rest, err := kustomizeView(o, copier)
				if err != nil {
					return nil, fmt.Errorf("rendering %s: encoding %v: %w", u.what, o["kind"], err)
				}
				if doc = view; rest != nil {
					held[heldKey(o["apiVersion"], k)] = rest
				}
			}
			if err := writeBlockYAML(&buf, doc); err != nil {
				return nil, fmt.Errorf("rendering %s: encoding %v: %w", u.what, o["kind"], err)
			}
		}
	}
	first := units[idx[0]]
	out, err := kustomizeBuild(map[string][]byte{
		"/unit/kustomization.yaml": unitKustomization(first.env),
		"/unit/objects.yaml":       buf.Bytes(),
	}, "/unit", false)
	if err != nil {
		return nil, fmt.Errorf("rendering %s (%s): kustomize: %w", first.what, first.source, err)
	}
	res := make([][]*unstructured.Unstructured, len(idx))
	for _, o := range out {
		k := Key(o)
		i, ok := owner[k]
		if !ok {
			return nil, fmt.Errorf("rendering %s (%s): kustomize returned %s, which no spec rendered", first.what, first.source, k)
		}
		// what kustomize returned, and what it did not get
		if h := held[heldKey(o.Object["apiVersion"], k)]; h != nil {
			h.putBack(o.Object, copier)
		}
		u := units[idx[i]]
		annotate(o, AnnotationSource, u.source)
		for k, v := range u.policy {
			annotate(o, k, v)
		}
		res[i] = append(res[i], o)
	}
	return res, nil
}

func heldKey(apiVersion any, key string) string {
	return fmt.Sprint(apiVersion) + " " + key
}

func unitKustomization(env string) []byte {
	return fmt.Appendf(nil, `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [objects.yaml]
labels:
- pairs: {%q: %q, %q: %q}
`, LabelManagedBy, ManagedByValue, LabelEnvironment, env)
}
