package render

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gitplane/gitplane/schema"
)

// billionLaughs is a ConfigMap carrying the classic alias bomb: about 600
// bytes naming 9^9 (387 million) strings, gigabytes inside kustomize.
const billionLaughs = `apiVersion: v1
kind: ConfigMap
metadata: {name: lol, namespace: models}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// TestOverlayLimits renders overlays over each limit: every one is refused
// before kustomize runs, quickly and without expanding any alias.
func TestOverlayLimits(t *testing.T) {
	const bombError = "alias *e takes the document past 250000 YAML nodes, the limit per document"
	indent := func(s string) string {
		return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
	}
	tests := []struct {
		name   string
		limits schema.Limits
		files  map[string]string
		want   string
	}{
		{"billion laughs as a resource", schema.Limits{}, map[string]string{"kustomization.yaml": "resources: [lol.yaml]\n", "lol.yaml": billionLaughs},
			"overlays/prod/lol.yaml:9:14: " + bombError},
		{"billion laughs as a resource that is not named .yaml", schema.Limits{}, map[string]string{"kustomization.yaml": "resources: [lol.txt]\n", "lol.txt": billionLaughs},
			"overlays/prod/lol.txt:9:14: " + bombError},
		{"billion laughs as a patch file", schema.Limits{}, map[string]string{"kustomization.yaml": "patches: [{path: lol.yaml}]\n", "lol.yaml": billionLaughs},
			"overlays/prod/lol.yaml:9:14: " + bombError},
		{"billion laughs in the kustomization", schema.Limits{}, map[string]string{"kustomization.yaml": "resources: []\n" + strings.Join(strings.Split(billionLaughs, "\n")[3:], "\n")},
			"overlays/prod/kustomization.yaml:9:14: " + bombError},
		{"billion laughs in an inline patch", schema.Limits{}, map[string]string{"kustomization.yaml": "patches:\n- patch: |\n" + indent(billionLaughs)},
			"overlays/prod/kustomization.yaml:4:10: patches[0].patch: inline patch: " + bombError},
		{"file over the size limit", schema.Limits{MaxFileBytes: 1024}, map[string]string{"kustomization.yaml": "resources: []\n", "big.txt": strings.Repeat("x", 2000)},
			"overlays/prod/big.txt:1:1: file is 2000 bytes; the limit is 1024 bytes (1 KiB)"},
		{"files over the total size", schema.Limits{MaxTotalBytes: 3000}, map[string]string{"kustomization.yaml": "resources: []\n", "a.txt": strings.Repeat("x", 2000), "b.txt": strings.Repeat("x", 2000)},
			"overlays/prod/b.txt:1:1: the files of overlay overlays/prod come to more than 3000 bytes together, the limit"},
		{"files over the total nodes", schema.Limits{MaxTotalNodes: 40}, map[string]string{"kustomization.yaml": "resources: []\n", "a.yaml": "a: [" + strings.Repeat("1,", 30) + "]\n"},
			"overlays/prod/kustomization.yaml:1:1: the files of overlay overlays/prod come to more than 40 YAML nodes (aliases expanded) together, the limit"},
		{"too many objects", schema.Limits{MaxObjectsPerEnvironment: 30}, map[string]string{"kustomization.yaml": "resources: []\n"},
			"Environment prod renders 39 objects, more than the limit of 30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// the specs, loaded without the overlay's files: the loader
			// refuses YAML files over the limits wherever they are
			repo, err := schema.Load(examplesWithOverlay(t, map[string]string{"kustomization.yaml": "resources: []\n"}))
			if err != nil {
				t.Fatal(err)
			}
			fsys := examplesWithOverlay(t, tt.files)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err = NewRendererWithOptions(RendererOptions{Limits: tt.limits}).Render(context.Background(), repo, fsys, "prod")
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %s", err, tt.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestCheckOverlays reports what Render would refuse as validation errors,
// for gitplane validate.
func TestCheckOverlays(t *testing.T) {
	fsys := examplesWithOverlay(t, map[string]string{"kustomization.yaml": "resources: [https://e.com/x.yaml, lol.txt]\n", "lol.txt": billionLaughs})
	repo, err := schema.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckOverlays(fsys, repo, schema.Limits{}); err == nil || !strings.Contains(err.Error(), "overlays/prod/lol.txt:9:14: alias *e") {
		t.Errorf("CheckOverlays = %v, want the alias bomb", err)
	}
	delete(fsys, "overlays/prod/lol.txt")
	err = CheckOverlays(fsys, repo, schema.Limits{})
	var list schema.ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("CheckOverlays = %v, want two errors", err)
	}
	want := `overlays/prod/kustomization.yaml:3:13: resources[0]: remote resource "https://e.com/x.yaml" is not allowed: an overlay may only read files of the repository
overlays/prod/kustomization.yaml:3:35: resources[1]: "lol.txt" is not a file or folder of the overlay folder overlays/prod`
	if list.Error() != want {
		t.Errorf("errors:\n%s\nwant:\n%s", list.Error(), want)
	}
}
