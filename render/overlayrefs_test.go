package render

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/kustomize/api/types"

	"github.com/gitplane/gitplane/schema"
)

// renderOverlay renders the examples' prod Environment with files as its
// overlay folder.
func renderOverlay(t *testing.T, files map[string]string) error {
	t.Helper()
	_, err := Render(context.Background(), examplesWithOverlay(t, files), "prod")
	return err
}

// TestOverlayFetchesNothing points an overlay's fields at a local HTTP
// server: each is refused, and the server gets no request at all.
func TestOverlayFetchesNothing(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Write([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched, namespace: models}\n"))
	}))
	defer srv.Close()
	url := srv.URL + "/x.yaml"
	tests := []struct{ name, kustomization, want string }{
		{"resource", "resources:\n- " + url + "\n",
			`overlays/prod/kustomization.yaml:4:3: resources[0]: remote resource "` + url + `" is not allowed: an overlay may only read files of the repository`},
		{"patch path", "patches:\n- path: " + url + "\n",
			`overlays/prod/kustomization.yaml:4:9: patches[0].path: remote file "` + url + `" is not allowed`},
		{"configMapGenerator file with a key", "configMapGenerator:\n- name: c\n  namespace: models\n  files: [passwd=" + url + "]\n",
			`overlays/prod/kustomization.yaml:6:11: configMapGenerator[0].files[0]: remote file "` + url + `" is not allowed`},
		{"secretGenerator envs", "secretGenerator:\n- name: s\n  namespace: models\n  envs: [" + url + "]\n",
			`overlays/prod/kustomization.yaml:6:10: secretGenerator[0].envs[0]: remote file "` + url + `" is not allowed`},
		{"openapi path", "openapi:\n  path: " + url + "\n",
			`overlays/prod/kustomization.yaml:4:9: openapi.path: remote file "` + url + `" is not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requests.Store(0)
			err := renderOverlay(t, map[string]string{"kustomization.yaml": tt.kustomization})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %s", err, tt.want)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("the overlay made %d request(s) to %s", n, srv.URL)
			}
		})
	}
}

// TestOverlayRunsNoGit renders overlays with remote bases, with a git on
// PATH that records its calls: each is refused, git is never run, and no
// kustomize clone folder is made.
func TestOverlayRunsNoGit(t *testing.T) {
	bin, tmp := t.TempDir(), t.TempDir()
	calls := filepath.Join(t.TempDir(), "git-calls")
	script := "#!/bin/sh\necho \"$@\" >> " + calls + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("TMPDIR", tmp)
	for _, base := range []string{
		"github.com/org/repo//p?ref=x",
		"https://example.com/org/repo//p?ref=x",
		"ssh://git@example.com/org/repo",
		"git@github.com:org/repo",
		"git::https://example.com/org/repo",
		"file:///srv/repo",
	} {
		t.Run(base, func(t *testing.T) {
			err := renderOverlay(t, map[string]string{"kustomization.yaml": "resources:\n- " + base + "\n"})
			want := `resources[0]: remote resource "` + base + `" is not allowed`
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v\nwant it to contain %s", err, want)
			}
			if data, err := os.ReadFile(calls); err == nil {
				t.Errorf("git was run:\n%s", data)
			}
			if clones, _ := filepath.Glob(filepath.Join(tmp, "kustomize-*")); len(clones) > 0 {
				t.Errorf("kustomize made clone folders: %v", clones)
			}
		})
	}
}

// TestOverlayReferences checks every field of a kustomization that names
// a file, in the overlay's own kustomization and in one it includes.
func TestOverlayReferences(t *testing.T) {
	const k = "overlays/prod/kustomization.yaml:"
	tests := []struct {
		name  string
		files map[string]string
		want  string // "" for an overlay that renders
	}{
		{"local files and folders are fine", map[string]string{
			"kustomization.yaml":     "resources: [cm.yaml, sub]\nconfigMapGenerator:\n- {name: g, namespace: models, files: [key=data/a.txt, data/a.txt], envs: [data/.env]}\n",
			"cm.yaml":                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: models}\n",
			"sub/kustomization.yaml": "resources: [cm2.yaml]\n", "sub/cm2.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm2, namespace: models}\n",
			"data/a.txt": "a", "data/.env": "A=b\n"}, ""},
		{"resources", map[string]string{"kustomization.yaml": "resources: [x.yaml, https://e.com/x.yaml]\n"},
			k + `3:21: resources[1]: remote resource "https://e.com/x.yaml" is not allowed`},
		{"field names match without regard to case", map[string]string{"kustomization.yaml": "Resources: [https://e.com/x.yaml]\n"},
			k + `3:13: resources[0]: remote resource "https://e.com/x.yaml" is not allowed`},
		{"bases", map[string]string{"kustomization.yaml": "bases: [github.com/org/repo]\n"},
			k + `3:9: bases[0]: remote resource "github.com/org/repo" is not allowed`},
		{"components", map[string]string{"kustomization.yaml": "components: [git@example.com:org/repo]\n"},
			k + `3:14: components[0]: remote resource "git@example.com:org/repo" is not allowed`},
		{"crds", map[string]string{"kustomization.yaml": "crds: [/etc/crd.yaml]\n"},
			k + `3:8: crds[0]: absolute path "/etc/crd.yaml" is not allowed: an overlay may only read files of the repository`},
		{"configurations", map[string]string{"kustomization.yaml": "configurations: [../../models/llama.yaml]\n"},
			k + `3:18: configurations[0]: "../../models/llama.yaml" leaves the overlay folder overlays/prod: an overlay may only read files of the repository`},
		{"patchesStrategicMerge", map[string]string{"kustomization.yaml": "patchesStrategicMerge: [missing.yaml]\n"},
			k + `3:25: patchesStrategicMerge[0]: "missing.yaml" is not a file or folder of the overlay folder overlays/prod`},
		{"patchesJson6902", map[string]string{"kustomization.yaml": "patchesJson6902:\n- {target: {kind: X, name: z}, path: 'https://e.com/p'}\n"},
			k + `4:38: patchesJson6902[0].path: remote file "https://e.com/p" is not allowed`},
		{"replacements", map[string]string{"kustomization.yaml": "replacements:\n- path: HTTP://e.com/r.yaml\n"},
			k + `4:9: replacements[0].path: remote file "HTTP://e.com/r.yaml" is not allowed`},
		{"configMapGenerator env", map[string]string{"kustomization.yaml": "configMapGenerator:\n- {name: g, env: /proc/self/environ}\n"},
			k + `4:18: configMapGenerator[0].env: absolute path "/proc/self/environ" is not allowed`},
		{"secretGenerator files", map[string]string{"kustomization.yaml": "secretGenerator:\n- {name: g, files: [../../../etc/passwd]}\n"},
			k + `4:21: secretGenerator[0].files[0]: "../../../etc/passwd" leaves the overlay folder`},
		{"openapi", map[string]string{"kustomization.yaml": "openapi: {path: file:///etc/schema.json}\n"},
			k + `3:17: openapi.path: remote file "file:///etc/schema.json" is not allowed`},
		{"helmCharts", map[string]string{"kustomization.yaml": "helmCharts:\n- {name: x, repo: https://charts.example.com}\n"},
			k + `4:1: helmCharts: Helm charts are not supported in an overlay: kustomize would run the helm program`},
		{"helmGlobals", map[string]string{"kustomization.yaml": "helmGlobals: {chartHome: charts}\n"},
			k + `3:14: helmGlobals: Helm charts are not supported in an overlay`},
		{"helmChartInflationGenerator", map[string]string{"kustomization.yaml": "helmChartInflationGenerator:\n- {chartName: x}\n"},
			k + `4:1: helmChartInflationGenerator: Helm charts are not supported in an overlay`},
		{"generators", map[string]string{"kustomization.yaml": "generators: [gen.yaml]\n", "gen.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\nfiles: [https://e.com/x]\n"},
			k + `3:13: generators: kustomize plugins are not supported in an overlay`},
		{"transformers", map[string]string{"kustomization.yaml": "transformers:\n- |\n  apiVersion: builtin\n  kind: PatchTransformer\n  metadata: {name: p}\n  path: https://e.com/p\n"},
			k + `4:1: transformers: kustomize plugins are not supported in an overlay`},
		{"validators", map[string]string{"kustomization.yaml": "validators: [v.yaml]\n", "v.yaml": "a: b\n"},
			k + `3:13: validators: kustomize plugins are not supported in an overlay`},
		{"an included kustomization", map[string]string{"kustomization.yaml": "resources: [sub]\n", "sub/kustomization.yaml": "resources:\n- https://e.com/x.yaml\n"},
			`overlays/prod/sub/kustomization.yaml:2:3: resources[0]: remote resource "https://e.com/x.yaml" is not allowed`},
		{"a kustomization no one includes", map[string]string{"kustomization.yaml": "resources: []\n", "unused/Kustomization": "resources: [ssh://e.com/r]\n"},
			`overlays/prod/unused/Kustomization:1:13: resources[0]: remote resource "ssh://e.com/r" is not allowed`},
		{"empty path", map[string]string{"kustomization.yaml": "resources: ['']\n"}, k + `3:13: resources[0]: empty path`},
		{"not a kustomization", map[string]string{"kustomization.yaml": "resources: {a: b}\n"},
			k + `1:1: invalid Kustomization: json: cannot unmarshal object into Go struct field Kustomization.resources of type []string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := renderOverlay(t, tt.files)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var list schema.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want an ErrorList, got %v", err)
			}
			if !strings.Contains(list.Error(), tt.want) {
				t.Errorf("errors:\n  %s\nwant one to contain\n  %s", strings.ReplaceAll(list.Error(), "\n", "\n  "), tt.want)
			}
		})
	}
}

// TestKustomizationFieldsAreClassified lists the fields of kustomize's
// types: each is either checked by kustomizationRefs, refused, or names no
// file. A kustomize version that adds a field fails here until the field
// is classified, so that no new way to name a file goes unchecked.
func TestKustomizationFieldsAreClassified(t *testing.T) {
	tests := []struct {
		typ  reflect.Type
		want string // the fields, sorted
	}{
		// checked: bases components configMapGenerator configurations crds
		// openapi patches patchesJson6902 patchesStrategicMerge
		// replacements resources secretGenerator; refused: generators
		// helmChartInflationGenerator helmCharts helmGlobals transformers
		// validators; the others name no file
		{reflect.TypeFor[types.Kustomization](), "apiVersion bases buildMetadata commonAnnotations commonLabels components configMapGenerator configurations crds generatorOptions generators helmChartInflationGenerator helmCharts helmGlobals imageTags images kind labels metadata namePrefix nameSuffix namespace openapi patches patchesJson6902 patchesStrategicMerge replacements replicas resources secretGenerator sortOptions transformers validators vars"},
		// checked: path; bounded: patch
		{reflect.TypeFor[types.Patch](), "options patch path target"},
		// checked: path
		{reflect.TypeFor[types.ReplacementField](), "path source sourceValue targets"},
		// checked: env envs files
		{reflect.TypeFor[types.ConfigMapArgs](), "behavior env envs files literals name namespace options"},
		{reflect.TypeFor[types.SecretArgs](), "behavior env envs files literals name namespace options type"},
	}
	for _, tt := range tests {
		var names []string
		jsonFields(tt.typ, &names)
		slices.Sort(names)
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("%s has the fields\n  %s\nnot\n  %s\nclassify the new ones in overlayrefs.go", tt.typ, got, tt.want)
		}
	}
}

// jsonFields lists a struct's JSON field names, flattening inline structs.
func jsonFields(t reflect.Type, names *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" && f.Anonymous {
			jsonFields(f.Type, names)
			continue
		}
		*names = append(*names, name)
	}
}
