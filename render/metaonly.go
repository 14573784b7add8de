package render

import (
	"fmt"
	"strings"
)

// Unit builds give kustomize only what its unit kustomization reads of each
// object (apiVersion, kind and metadata without labels and, mostly,
// annotations), and put the rest of the generated object back afterwards.
//
// Why this is exact. The unit kustomization (unitKustomization) has
// resources and one labels entry with pairs only: no includeSelectors, no
// includeTemplates, no fields. In kustomize api v0.21.2,
// internal/target/kusttarget_configplugin.go (the LabelTransformer
// configurator) gives such an entry the field specs of the transformer
// config's "labels" section, which the default config
// (internal/konfig/builtinpluginconsts/defaultconfig.go) does not have, plus
// {path: metadata/labels, create: true}; only includeSelectors adds the
// commonLabels specs (selectors, templates) and only includeTemplates the
// templateLabels ones. The configurator's trailing commonLabels transformer
// has no labels and does nothing (internal/builtins/LabelTransformer.go
// returns when len(p.Labels) == 0). Every other builtin transformer is
// configured from a kustomization field the unit kustomization leaves empty.
// Reading resources (api/resource/factory.go) looks past metadata only to
// expand the items of a kind named *List, and those objects are sent whole.
// The labels transformer sets each pair in metadata.labels and leaves the
// other labels alone, and nothing else in the build reads labels: so the
// object's labels are held back and the output's labels are laid over them.
// Annotations are read by kustomize when they are its own
// (config.kubernetes.io/local-config drops an object,
// kustomize.config.k8s.io/needs-hash, ...) or named by a name-reference
// field spec (ingress.kubernetes.io/auth-secret): objects with an
// annotation under a *kubernetes.io or *k8s.io prefix send their
// annotations, the others' are held back like labels. So kustomize reads
// and writes nothing of what is held back, and everything else comes out
// as it went in, up to the YAML round trip the output went through:
// jsonValue reproduces that round trip.
//
// TestMetadataOnlyBuilds renders the examples and a set of edge-case values
// both ways (buildUnitsFull) and compares; it fails if the unit
// kustomization ever gains a transformer that touches more than
// metadata.labels. Reading each resource is most of kustomize's cost
// (kio.ByteReader de-anchoring copies every mapping subtree, twice per
// level), and every label it sets is checked by parsing it with a YAML 1.1
// parser, so the less of an object kustomize gets, the less a cold render
// costs: whole objects → metadata halves CPU; metadata → name and
// namespace takes another 40% off each object's build.

// heldBack is the part of a generated object kustomize did not get, as
// kustomize would have returned it: top-level fields other than apiVersion,
// kind and metadata, and labels and annotations (metadata fields).
type heldBack struct {
	fields M
	meta   M
}

// kustomizeView is what kustomize gets of a generated object, and the rest;
// the rest is nil when kustomize gets all of it. The fields held back are
// copied through c, which shares equal subtrees between objects.
func kustomizeView(o M, c *jsonCopier) (M, *heldBack, error) {
	if kind, _ := o["kind"].(string); strings.HasSuffix(kind, "List") {
		return o, nil, nil // kustomize reads the items of a List
	}
	view := make(M, 3)
	var held heldBack
	for f, v := range o {
		switch f {
		case "apiVersion", "kind":
			view[f] = v
		case "metadata":
			meta, ok := v.(M)
			if !ok || meta == nil {
				view[f] = v
				continue
			}
			vmeta := make(M, len(meta))
			for k, mv := range meta {
				if m, ok := mv.(M); ok && m != nil && (k == "labels" || k == "annotations" && !kustomizeReads(m)) {
					copied, err := jsonValue(m) // not shared: putBack and annotate add to it
					if err != nil {
						return nil, nil, fmt.Errorf("metadata.%s: %w", k, err)
					}
					if held.meta == nil {
						held.meta = make(M, 2)
					}
					held.meta[k] = copied
					continue
				}
				vmeta[k] = mv
			}
			view[f] = vmeta
		case mergeKey:
		default:
			cv, _, err := c.value(v, 0, nil)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f, err)
			}
			if held.fields == nil {
				held.fields = make(M, len(o))
			}
			held.fields[f] = cv
		}
	}
	if held.fields == nil && held.meta == nil && len(view) == len(o) {
		return o, nil, nil
	}
	return view, &held, nil
}

// putBack completes kustomize's output o with what was held back of it:
// labels and annotations under the ones kustomize set, the other fields.
// The labels are then shared through c with the objects that have the same.
func (h *heldBack) putBack(o M, c *jsonCopier) {
	for f, v := range h.fields {
		o[f] = v
	}
	if len(h.meta) == 0 {
		return
	}
	meta, _ := o["metadata"].(M)
	if meta == nil {
		meta = make(M, len(h.meta))
		o["metadata"] = meta
	}
	for k, v := range h.meta {
		held := v.(M)
		if set, ok := meta[k].(M); ok {
			for sk, sv := range set {
				held[sk] = sv
			}
		}
		meta[k] = held
		if k == "labels" {
			// strings already converted: no error, at worst a copy
			if shared, _, err := c.value(held, 0, nil); err == nil {
				meta[k] = shared
			}
		}
	}
}

// kustomizeReads is true for annotations kustomize may read: any key under
// a prefix ending in kubernetes.io or k8s.io.
func kustomizeReads(annotations M) bool {
	for k := range annotations {
		prefix, _, ok := strings.Cut(k, "/")
		if ok && (strings.HasSuffix(prefix, "kubernetes.io") || strings.HasSuffix(prefix, "k8s.io")) {
			return true
		}
	}
	return false
}
