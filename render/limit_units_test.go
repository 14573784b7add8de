package render_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// TestObjectLimitBeforeRendering: an Environment whose specs are bound to
// render more objects than the limit is refused before anything is built,
// saying so; one under the limit renders.
func TestObjectLimitBeforeRendering(t *testing.T) {
	fsys := os.DirFS(examples)
	repo, err := schema.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	r := render.NewRendererWithOptions(render.RendererOptions{Limits: schema.Limits{MaxObjectsPerEnvironment: 20}})
	_, err = r.Render(context.Background(), repo, fsys, "staging")
	if err == nil || !strings.Contains(err.Error(), "Environment staging renders at least 21 objects (4 specs), more than the limit of 20") {
		t.Fatalf("err = %v", err)
	}
	r = render.NewRendererWithOptions(render.RendererOptions{Limits: schema.Limits{MaxObjectsPerEnvironment: 100}})
	if _, err := r.Render(context.Background(), repo, fsys, "staging"); err != nil {
		t.Fatalf("under the limit: %v", err)
	}
}
