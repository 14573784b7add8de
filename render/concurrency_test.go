package render_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"sync"
	"testing"

	"github.com/gitplane/gitplane/render"
)

// TestConcurrentRenders renders repositories with and without overlays from
// several goroutines at once, each with its own Renderer, and compares with
// renders one at a time. Run it alone under -race
// (go test -race -run TestConcurrentRenders ./render/) so that kustomize's
// OpenAPI schema is first parsed while unit builds run in parallel.
func TestConcurrentRenders(t *testing.T) {
	type job struct {
		fsys fs.FS
		env  string
	}
	jobs := []job{{os.DirFS(examples), "prod"}, {generatedRepo(40), "bench"}, {os.DirFS(examples), "staging"}}
	render := func(j job) ([]byte, error) {
		res, err := render.Render(context.Background(), j.fsys, j.env)
		if err != nil {
			return nil, err
		}
		return render.YAML(res.Objects)
	}
	const rounds = 3
	got := make([][]byte, rounds*len(jobs))
	errs := make([]error, len(got))
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], errs[i] = render(jobs[i%len(jobs)]) })
	}
	wg.Wait()
	for i := range got {
		j := jobs[i%len(jobs)]
		if errs[i] != nil {
			t.Fatalf("concurrent render of %s: %v", j.env, errs[i])
		}
		want, err := render(j)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[i], want) {
			t.Errorf("concurrent render %d of %s differs:\n%s", i, j.env, firstDiff(want, got[i]))
		}
	}
}
