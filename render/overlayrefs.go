package render

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/gitplane/gitplane/schema"
)

// An overlay is pull-request content, and kustomize, given a kustomization
// that names a URL, fetches it; given a remote base (github.com/org/repo,
// git@host:repo, ssh://, https://…//path, file:///), it runs git; given a
// Helm chart or an exec plugin, it runs a program. krusty takes no loader
// that could refuse, so checkOverlayRefs reads every kustomization of the
// overlay folder before kustomize does and refuses each reference that is
// not a relative path to a file or folder of the overlay itself.

// overlayRule is the one rule of an overlay, in every refusal.
const overlayRule = "an overlay may only read files of the repository"

// refusedFields are kustomization fields gitplane refuses outright, with why.
var refusedFields = []struct{ name, why string }{
	{"helmCharts", "Helm charts are not supported in an overlay: kustomize would run the helm program"},
	{"helmGlobals", "Helm charts are not supported in an overlay: kustomize would run the helm program"},
	{"helmChartInflationGenerator", "Helm charts are not supported in an overlay: kustomize would run the helm program"},
	{"generators", "kustomize plugins are not supported in an overlay: their configurations name files in fields of their own"},
	{"transformers", "kustomize plugins are not supported in an overlay: their configurations name files in fields of their own"},
	{"validators", "kustomize plugins are not supported in an overlay: their configurations name files in fields of their own"},
}

// ref is one string of a kustomization that kustomize may read as a path.
type ref struct {
	field string // field path, like patches[1].path
	value string
	noun  string // what kustomize reads there: "resource" or "file"
}

// kustomizationRefs lists every reference of a kustomization: the fields
// of kustomize api v0.21.2's types.Kustomization that kustomize hands to
// its loader (TestKustomizationFieldsAreClassified fails when a new
// version adds a field), and the inline patches, which kustomize parses.
func kustomizationRefs(k *types.Kustomization) (refs []ref, inline []ref) {
	list := func(field, noun string, values []string) {
		for i, v := range values {
			refs = append(refs, ref{fmt.Sprintf("%s[%d]", field, i), v, noun})
		}
	}
	list("resources", "resource", k.Resources)
	list("bases", "resource", k.Bases)
	list("components", "resource", k.Components)
	list("crds", "file", k.Crds)
	list("configurations", "file", k.Configurations)
	for i, p := range k.PatchesStrategicMerge {
		field := fmt.Sprintf("patchesStrategicMerge[%d]", i)
		// kustomize reads an entry as a patch first, then as a path; a
		// path has one line (url.Parse refuses a newline).
		if strings.ContainsAny(string(p), "\r\n") {
			inline = append(inline, ref{field, string(p), "patch"})
		} else {
			refs = append(refs, ref{field, string(p), "file"})
		}
	}
	patches := func(field string, ps []types.Patch) {
		for i, p := range ps {
			if p.Path != "" {
				refs = append(refs, ref{fmt.Sprintf("%s[%d].path", field, i), p.Path, "file"})
			}
			if p.Patch != "" {
				inline = append(inline, ref{fmt.Sprintf("%s[%d].patch", field, i), p.Patch, "patch"})
			}
		}
	}
	patches("patches", k.Patches)
	patches("patchesJson6902", k.PatchesJson6902)
	for i, r := range k.Replacements {
		if r.Path != "" {
			refs = append(refs, ref{fmt.Sprintf("replacements[%d].path", i), r.Path, "file"})
		}
	}
	if p, ok := k.OpenAPI["path"]; ok {
		refs = append(refs, ref{"openapi.path", p, "file"})
	}
	generator := func(field string, i int, kv types.KvPairSources) {
		for j, f := range kv.FileSources {
			if _, p, ok := strings.Cut(f, "="); ok { // key=path
				f = p
			}
			refs = append(refs, ref{fmt.Sprintf("%s[%d].files[%d]", field, i, j), f, "file"})
		}
		list(fmt.Sprintf("%s[%d].envs", field, i), "file", kv.EnvSources)
		if kv.EnvSource != "" {
			refs = append(refs, ref{fmt.Sprintf("%s[%d].env", field, i), kv.EnvSource, "file"})
		}
	}
	for i, g := range k.ConfigMapGenerator {
		generator("configMapGenerator", i, g.KvPairSources)
	}
	for i, g := range k.SecretGenerator {
		generator("secretGenerator", i, g.KvPairSources)
	}
	return refs, inline
}

// refusedFieldsOf names the refused fields a kustomization sets.
func refusedFieldsOf(k *types.Kustomization) []string {
	set := map[string]bool{
		"helmCharts": len(k.HelmCharts) > 0, "helmGlobals": k.HelmGlobals != nil,
		"helmChartInflationGenerator": len(k.HelmChartInflationGenerator) > 0,
		"generators":                  len(k.Generators) > 0, "transformers": len(k.Transformers) > 0,
		"validators": len(k.Validators) > 0,
	}
	var out []string
	for _, f := range refusedFields {
		if set[f.name] {
			out = append(out, f.name)
		}
	}
	return out
}

// overlayTree is an overlay folder's files, as checkOverlayRefs sees them.
type overlayTree struct {
	dir   string            // the folder in the repository
	files map[string][]byte // path inside the folder → content
	dirs  map[string]bool   // the folders holding them, made by has
}

// has says whether p, inside the folder, is a file or a folder of it.
func (t *overlayTree) has(p string) bool {
	if t.dirs == nil {
		t.dirs = map[string]bool{".": true}
		for name := range t.files {
			for d := path.Dir(name); !t.dirs[d]; d = path.Dir(d) {
				t.dirs[d] = true
			}
		}
	}
	_, ok := t.files[p]
	return ok || t.dirs[p]
}

// checkOverlayRefs checks every kustomization of the overlay folder. The
// errors name the kustomization's file in the repository and the field.
func checkOverlayRefs(t *overlayTree, lim schema.Limits, nodes *int) schema.ErrorList {
	var errs schema.ErrorList
	names := make([]string, 0, len(t.files))
	for name := range t.files {
		if slices.Contains(konfig.RecognizedKustomizationFileNames(), path.Base(name)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		errs = append(errs, checkKustomization(t, name, lim, nodes)...)
	}
	return errs
}

// checkKustomization checks one kustomization, decoded as kustomize
// decodes it (field names match without regard to case, as in
// encoding/json), so that what is checked is what kustomize would read.
func checkKustomization(t *overlayTree, name string, lim schema.Limits, nodes *int) schema.ErrorList {
	file := path.Join(t.dir, name)
	data := t.files[name]
	pos := newPositions(data)
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		line, col := pos.of("")
		return schema.ErrorList{{File: file, Line: line, Col: col, Message: err.Error()}}
	}
	var errs schema.ErrorList
	fail := func(field, format string, args ...any) {
		line, col := pos.of(field)
		errs = append(errs, schema.FieldError{File: file, Line: line, Col: col, Path: field, Message: fmt.Sprintf(format, args...)})
	}
	for _, f := range refusedFieldsOf(&k) {
		i := slices.IndexFunc(refusedFields, func(r struct{ name, why string }) bool { return r.name == f })
		fail(f, "%s", refusedFields[i].why)
	}
	refs, inline := kustomizationRefs(&k)
	base := path.Dir(name)
	for _, r := range refs {
		if msg := t.checkRef(base, r); msg != "" {
			fail(r.field, "%s", msg)
		}
	}
	for _, r := range inline {
		n, err := lim.CheckYAML(file, []byte(r.value))
		*nodes += n
		if err != nil {
			fail(r.field, "inline %s: %s", r.noun, err.Message)
		}
	}
	return errs
}

// checkRef returns why kustomize must not read r, or "".
func (t *overlayTree) checkRef(base string, r ref) string {
	v := r.value
	switch {
	case v == "":
		return "empty path"
	case looksRemote(v):
		return fmt.Sprintf("remote %s %q is not allowed: %s", r.noun, v, overlayRule)
	case path.IsAbs(v):
		return fmt.Sprintf("absolute path %q is not allowed: %s", v, overlayRule)
	}
	p := path.Join(base, v)
	if p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Sprintf("%q leaves the overlay folder %s: %s", v, t.dir, overlayRule)
	}
	if !t.has(p) {
		return fmt.Sprintf("%q is not a file or folder of the overlay folder %s", v, t.dir)
	}
	return ""
}

// gitUser is the user@ that makes kustomize read a path as an scp-style
// git URL (user@host:repo).
var gitUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// looksRemote says whether kustomize could read v as a URL or a git
// repository (its fileloader's IsRemoteFile and git.NewRepoSpecFromURL): v
// has a scheme (https:, ssh:, file:, git::, or anything else before a
// colon in its first element), starts with github.com or a git user@, or
// has the // of a repository's subfolder. It errs on the side of remote:
// such names are no overlay's file names.
func looksRemote(v string) bool {
	first, _, _ := strings.Cut(v, "/")
	return strings.Contains(first, ":") || strings.Contains(v, "//") ||
		strings.HasPrefix(strings.ToLower(v), "github.com") || gitUser.MatchString(v)
}
