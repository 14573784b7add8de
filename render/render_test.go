package render_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestMain(m *testing.M) { testenv.Main(m) }

const examples = "../examples/specs"

func renderExamples(t *testing.T, env string) *render.Result {
	t.Helper()
	res, err := render.Render(context.Background(), os.DirFS(examples), env)
	if err != nil {
		t.Fatalf("rendering %s: %v", env, err)
	}
	return res
}

// TestGolden compares the examples' rendering with testdata/<env>.yaml.
// Run `go test ./render -run TestGolden -update` after an intended change.
func TestGolden(t *testing.T) {
	for _, env := range []string{"staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			got, err := render.YAML(renderExamples(t, env).Objects)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", env+".yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("rendering of %s differs from %s; run with -update if intended.\n%s", env, golden, firstDiff(want, got))
			}
		})
	}
}

// TestDeterministic renders twice, with fresh renderers, and compares bytes.
func TestDeterministic(t *testing.T) {
	a, err := render.YAML(renderExamples(t, "prod").Objects)
	if err != nil {
		t.Fatal(err)
	}
	b, err := render.YAML(renderExamples(t, "prod").Objects)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("two renders differ:\n%s", firstDiff(a, b))
	}
}

func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range max(len(al), len(bl)) {
		var x, y []byte
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if !bytes.Equal(x, y) {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}
