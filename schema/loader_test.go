package schema_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/schematest"
)

// TestLoaderReload loads a changing repository with one Loader and checks,
// after every step, that the result equals a fresh Load and that only the
// specs of changed files were decoded again.
func TestLoaderReload(t *testing.T) {
	steps := []struct {
		name     string
		edits    []edit // applied to the files of the previous step
		remove   []string
		reparsed []string // files whose specs must be new objects
	}{
		{"first load", nil, nil, []string{"envs/staging.yaml", "models/llama.yaml", "gateways/ai.yaml"}},
		{"nothing changed", nil, nil, nil},
		{"one Model changed", []edit{{"models/llama.yaml", "cpu: \"3\"", "cpu: \"4\""}}, nil, []string{"models/llama.yaml"}},
		{"file added", []edit{{"models/mistral.yaml", "", strings.Replace(modelYAML, "name: llama", "name: mistral", 1)}}, nil, []string{"models/mistral.yaml"}},
		{"syntax error", []edit{{"models/mistral.yaml", "  image: vllm", "  image: [vllm"}}, nil, []string{"models/mistral.yaml"}},
		{"file removed", nil, []string{"models/mistral.yaml"}, nil},
		{"reference broken", []edit{{"gateways/ai.yaml", "{name: llama}", "{name: mistral}"}}, nil, []string{"gateways/ai.yaml"}},
	}
	fsys := fstest.MapFS{}
	for name, data := range baseFiles() {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	loader := schema.NewLoader()
	var prev *schema.Repo
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			applyEdits(t, fsys, step.edits)
			for _, f := range step.remove {
				delete(fsys, f)
			}
			got, gotErr := loader.Load(fsys)
			want, wantErr := schema.Load(fsys)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("errors differ from a fresh Load:\n got: %v\nwant: %v", gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("repository differs from a fresh Load:\n got: %+v\nwant: %+v", got, want)
			}
			for _, s := range specs(got) {
				file := s.GetSource().File
				reused := prev != nil && slices.Contains(specs(prev), s)
				if wantNew := slices.Contains(step.reparsed, file); reused == wantNew {
					t.Errorf("%s %s: reused = %v, want %v", s.GetKind(), file, reused, !wantNew)
				}
			}
			prev = got
		})
	}
}

func applyEdits(t *testing.T, fsys fstest.MapFS, edits []edit) {
	t.Helper()
	for _, e := range edits {
		if e.old == "" {
			fsys[e.file] = &fstest.MapFile{Data: []byte(e.new)}
			continue
		}
		data := string(fsys[e.file].Data)
		if !strings.Contains(data, e.old) {
			t.Fatalf("edit: %q not in %s", e.old, e.file)
		}
		fsys[e.file] = &fstest.MapFile{Data: []byte(strings.Replace(data, e.old, e.new, 1))}
	}
}

func specs(r *schema.Repo) []schema.Spec {
	var out []schema.Spec
	for _, e := range r.Environments {
		out = append(out, e)
	}
	for _, m := range r.Models {
		out = append(out, m)
	}
	for _, g := range r.Gateways {
		out = append(out, g)
	}
	return out
}

// TestDigest checks that equal documents have equal digests and that any
// change to a file changes the digests of its specs.
func TestDigest(t *testing.T) {
	load := func(files map[string][]byte) *schema.Repo {
		t.Helper()
		repo, err := schematest.Parse(files)
		if err != nil {
			t.Fatal(err)
		}
		return repo
	}
	a, b := load(baseFiles()), load(baseFiles())
	if d := a.Models[0].Source.Digest; d == "" || d != b.Models[0].Source.Digest {
		t.Fatalf("digests of one file: %q and %q", d, b.Models[0].Source.Digest)
	}
	files := baseFiles()
	files["models/llama.yaml"] = []byte(strings.Replace(modelYAML, "cpu: \"3\"", "cpu: \"4\"", 1))
	if c := load(files); c.Models[0].Source.Digest == a.Models[0].Source.Digest {
		t.Errorf("changed Model kept its digest %q", a.Models[0].Source.Digest)
	}
	if c := load(files); c.Environments[0].Source.Digest != a.Environments[0].Source.Digest {
		t.Errorf("unchanged Environment's digest changed")
	}
}
