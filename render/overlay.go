package render

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/gitplane/gitplane/schema"
)

// baseFile holds gitplane's objects inside the overlay's in-memory copy.
const baseFile = "gitplane-rendered-base.yaml"

// targetedFields are the kustomization fields whose effect is limited to the
// objects a patch names; any other field (namePrefix, labels, images, ...)
// touches every object, and then the whole render goes through the overlay.
var targetedFields = []string{"apiVersion", "kind", "resources", "patches", "patchesStrategicMerge", "patchesJson6902"}

// applyOverlay applies the Environment's overlay as `kustomize build` on the
// overlay folder would with gitplane's objects as its base resource. Only the
// objects its patches target go through kustomize when that is equivalent.
func applyOverlay(objs []*unstructured.Unstructured, fsys fs.FS, env *schema.Environment, lim schema.Limits) ([]*unstructured.Unstructured, error) {
	dir := overlayDir(env)
	files, kust, raw, err := readOverlay(fsys, dir, lim)
	if err != nil {
		return nil, fmt.Errorf("overlay %s of Environment %s: %w", dir, env.Metadata.Name, err)
	}
	targeted, rest := objs, []*unstructured.Unstructured(nil)
	if onlyTargeted(raw) {
		if sel, ok := patchSelectors(kust, files, dir); ok {
			targeted, rest = partition(objs, sel)
		}
	}
	base, err := YAML(targeted)
	if err != nil {
		return nil, err
	}
	raw["resources"] = append([]any{baseFile}, asList(raw["resources"])...)
	kustYAML, err := yaml.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("overlay %s: %w", dir, err)
	}
	files["/overlay/"+baseFile] = base
	files["/overlay/kustomization.yaml"] = kustYAML
	out, err := kustomizeBuild(files, "/overlay", true)
	if err != nil {
		return nil, &OverlayError{Environment: env.Metadata.Name, Dir: dir, File: kustomizationFile(fsys, dir), Err: err}
	}
	for _, o := range out {
		if _, ok := o.GetAnnotations()[AnnotationSource]; !ok {
			annotate(o, AnnotationSource, dir)
			for k, v := range policies(nil, env) {
				annotate(o, k, v)
			}
			o.SetLabels(mergeLabels(o.GetLabels(), map[string]string{LabelManagedBy: ManagedByValue, LabelEnvironment: env.Metadata.Name}))
		}
	}
	return append(rest, out...), nil
}

// readOverlay reads the overlay folder, refusing what kustomize must not
// see (readOverlayTree), into an in-memory file map under /overlay, and
// parses its kustomization, both as typed and as raw fields.
func readOverlay(fsys fs.FS, dir string, lim schema.Limits) (map[string][]byte, *types.Kustomization, map[string]any, error) {
	tree, err := readOverlayTree(fsys, dir, lim)
	if err != nil {
		return nil, nil, nil, err
	}
	var kustName string
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if _, ok := tree.files[name]; !ok {
			continue
		}
		if kustName != "" {
			return nil, nil, nil, fmt.Errorf("both %s and %s: keep one kustomization", kustName, name)
		}
		kustName = name
	}
	if kustName == "" {
		return nil, nil, nil, fmt.Errorf("no kustomization.yaml")
	}
	files := make(map[string][]byte, len(tree.files))
	for rel, data := range tree.files {
		files["/overlay/"+rel] = data
	}
	data := files["/overlay/"+kustName]
	delete(files, "/overlay/"+kustName)
	kust := &types.Kustomization{}
	if err := yaml.UnmarshalStrict(data, kust); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", kustName, err)
	}
	raw := map[string]any{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", kustName, err)
	}
	return files, kust, raw, nil
}

func onlyTargeted(raw map[string]any) bool {
	for k := range raw {
		if !slices.Contains(targetedFields, k) {
			return false
		}
	}
	return true
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// selector matches the objects one patch may change.
type selector func(*unstructured.Unstructured) bool

// patchSelectors returns one selector per patch, or false when a patch's
// targets cannot be told without running kustomize on everything.
func patchSelectors(k *types.Kustomization, files map[string][]byte, dir string) ([]selector, bool) {
	var sels []selector
	for _, p := range k.Patches {
		if p.Target != nil {
			s, ok := targetSelector(p.Target)
			if !ok {
				return nil, false
			}
			sels = append(sels, s)
			continue
		}
		s, ok := patchContentSelector(p.Patch, p.Path, files)
		if !ok {
			return nil, false
		}
		sels = append(sels, s)
	}
	for _, p := range k.PatchesStrategicMerge {
		s, ok := patchContentSelector(string(p), "", files)
		if !ok {
			s, ok = patchContentSelector("", string(p), files)
		}
		if !ok {
			return nil, false
		}
		sels = append(sels, s)
	}
	for _, p := range k.PatchesJson6902 {
		s, ok := targetSelector(p.Target)
		if !ok {
			return nil, false
		}
		sels = append(sels, s)
	}
	return sels, true
}

// targetSelector mirrors kustomize's patch target: gvk, name and namespace
// as anchored regular expressions, label and annotation selectors. The
// expressions are compiled once, not per object.
func targetSelector(t *types.Selector) (selector, bool) {
	if t == nil {
		return nil, false
	}
	ls, err1 := labels.Parse(t.LabelSelector)
	as, err2 := labels.Parse(t.AnnotationSelector)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	patterns := []string{t.Group, t.Version, t.Kind, t.Name, t.Namespace}
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		if p == "" {
			continue
		}
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, false
		}
		res[i] = re
	}
	return func(o *unstructured.Unstructured) bool {
		gvk := o.GroupVersionKind()
		values := []string{gvk.Group, gvk.Version, gvk.Kind, o.GetName(), o.GetNamespace()}
		for i, re := range res {
			if re != nil && !re.MatchString(values[i]) {
				return false
			}
		}
		return ls.Matches(labels.Set(o.GetLabels())) && as.Matches(labels.Set(o.GetAnnotations()))
	}, true
}

// patchContentSelector reads a strategic-merge patch (inline or from a file)
// and matches the objects named by its documents' kind and name.
func patchContentSelector(inline, file string, files map[string][]byte) (selector, bool) {
	data := []byte(inline)
	if file != "" {
		var ok bool
		if data, ok = files["/overlay/"+path.Clean(file)]; !ok {
			return nil, false
		}
	}
	type id struct{ kind, name, namespace string }
	var ids []id
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, false
		}
		if meta.Kind == "" && meta.Metadata.Name == "" {
			continue
		}
		if meta.Kind == "" || meta.Metadata.Name == "" {
			return nil, false // a JSON6902 list or something else: be safe
		}
		ids = append(ids, id{meta.Kind, meta.Metadata.Name, meta.Metadata.Namespace})
	}
	if len(ids) == 0 {
		return nil, false
	}
	return func(o *unstructured.Unstructured) bool {
		return slices.ContainsFunc(ids, func(i id) bool {
			return i.kind == o.GetKind() && i.name == o.GetName() && (i.namespace == "" || i.namespace == o.GetNamespace())
		})
	}, true
}

func partition(objs []*unstructured.Unstructured, sels []selector) (in, out []*unstructured.Unstructured) {
	for _, o := range objs {
		if slices.ContainsFunc(sels, func(s selector) bool { return s(o) }) {
			in = append(in, o)
		} else {
			out = append(out, o)
		}
	}
	return in, out
}

func mergeLabels(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// OverlayError is an Environment overlay that kustomize could not build.
// File is the overlay's kustomization file, so validate and previews can
// put the error where the author has to look.
type OverlayError struct {
	Environment string
	Dir, File   string // repository paths
	Err         error  // kustomize's error
}

func (e *OverlayError) Error() string {
	return fmt.Sprintf("overlay %s of Environment %s: kustomize: %s", e.Dir, e.Environment, e.Message())
}

func (e *OverlayError) Unwrap() error { return e.Err }

// Message is kustomize's error with its in-memory paths (/overlay/...)
// given as the repository's.
func (e *OverlayError) Message() string {
	return strings.ReplaceAll(e.Err.Error(), "/overlay/", e.Dir+"/")
}

// kustomizationFile is the kustomization file of the overlay folder dir.
func kustomizationFile(fsys fs.FS, dir string) string {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := fs.Stat(fsys, path.Join(dir, name)); err == nil {
			return path.Join(dir, name)
		}
	}
	return path.Join(dir, "kustomization.yaml")
}
