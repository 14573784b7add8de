package schema_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gitplane/gitplane/schema"
)

// billionLaughs is the classic alias bomb: 9 levels of 9 aliases to the
// level below, about 600 bytes naming 9^9 (387 million) strings.
const billionLaughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// TestLimits loads repositories over each limit: every one is an error at
// the file (and where it can, the line and column) that goes over, and the
// rest of the repository is still validated.
func TestLimits(t *testing.T) {
	small := schema.Limits{MaxFileBytes: 2048, MaxTotalBytes: 4096, MaxDocumentsPerFile: 3, MaxNodesPerDocument: 100, MaxTotalNodes: 150}
	many := func(n int, doc string) string { return strings.Repeat(doc+"\n---\n", n) }
	tests := []struct {
		name   string
		limits schema.Limits
		files  map[string]string
		want   string
	}{
		{"billion laughs as a Model", schema.Limits{}, map[string]string{"models/lol.yaml": modelYAML + billionLaughs},
			"models/lol.yaml:21:14: alias *e takes the document past 250000 YAML nodes, the limit per document (every use of an alias counts the nodes it names)"},
		{"billion laughs in an overlay folder", schema.Limits{}, map[string]string{
			"envs/staging.yaml":                   strings.Replace(envYAML, "  nodes:", "  overlay: overlays/staging\n  nodes:", 1),
			"overlays/staging/kustomization.yaml": "resources: [lol.yaml]\n",
			"overlays/staging/lol.yaml":           billionLaughs},
			"overlays/staging/lol.yaml:6:14: alias *e takes the document past 250000 YAML nodes, the limit per document (every use of an alias counts the nodes it names)"},
		{"anchor inside itself", schema.Limits{}, map[string]string{"x.yaml": "a: &a [b, *a]\n"},
			"x.yaml:1:11: alias *a takes the document past 250000 YAML nodes, the limit per document (every use of an alias counts the nodes it names)"},
		{"document with too many nodes", small, map[string]string{"x.yaml": "a: [" + strings.Repeat("1,", 200) + "]\n"},
			"x.yaml:1:1: document has more than 100 YAML nodes, the limit per document"},
		{"file over the size limit", small, map[string]string{"x.yaml": "a: " + strings.Repeat("x", 3000) + "\n"},
			"x.yaml:1:1: file is 3004 bytes; the limit is 2048 bytes (2 KiB)"},
		{"file over the default size limit", schema.Limits{}, map[string]string{"x.yaml": "a: " + strings.Repeat("x", 5<<20) + "\n"},
			"x.yaml:1:1: file is 5242884 bytes; the limit is 4194304 bytes (4 MiB)"},
		{"too many documents", small, map[string]string{"x.yaml": many(5, "a: b")},
			"x.yaml:6:1: file has more than 3 YAML documents, the limit per file"},
		{"files over the total size", small, map[string]string{"a.yaml": strings.Repeat("#", 2000), "b.yaml": strings.Repeat("#", 2000), "c.yaml": strings.Repeat("#", 2000)},
			"c.yaml:1:1: the spec files come to more than 4096 bytes (4 KiB) together, the limit; this file and the files after it are not read"},
		{"files over the total nodes", small, map[string]string{"a.yaml": many(2, "a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]"),
			"b.yaml": many(2, "a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]"),
			"c.yaml": many(2, "a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]")},
			"c.yaml:1:1: the spec files come to more than 150 YAML nodes together (aliases expanded), the limit; this file and the files after it are not read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			start := time.Now()
			_, err := schema.NewLoaderWithOptions(schema.LoaderOptions{Limits: tt.limits}).Load(fsys)
			var list schema.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want an ErrorList, got %v", err)
			}
			if !strings.Contains(list.Error(), tt.want) {
				t.Errorf("errors do not contain\n  %s\ngot:\n  %s", tt.want, strings.ReplaceAll(list.Error(), "\n", "\n  "))
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestBillionLaughsIsCheap loads the alias bomb and checks that it is
// rejected without expanding it: a few MiB allocated, not gigabytes.
func TestBillionLaughsIsCheap(t *testing.T) {
	fsys := fstest.MapFS{"models/lol.yaml": {Data: []byte(modelYAML + billionLaughs)}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := schema.Load(fsys)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "the limit per document") {
		t.Fatalf("the alias bomb was not refused for its size: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("loading the alias bomb allocated %d MiB", alloc>>20)
	}
}

// endless is a file system of one regular file that never ends, and
// says it is empty.
type endless struct{}

func (endless) Open(name string) (fs.File, error) {
	if name != "zero.yaml" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return endlessFile{}, nil
}

type endlessFile struct{}

func (endlessFile) Stat() (fs.FileInfo, error) {
	return fs.Stat(fstest.MapFS{"zero.yaml": {}}, "zero.yaml")
}
func (endlessFile) Close() error { return nil }
func (endlessFile) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

var _ io.Reader = endlessFile{}

// TestReadFileStopsAtTheLimit reads a file with no size that never ends:
// ReadFile stops one byte past the limit.
func TestReadFileStopsAtTheLimit(t *testing.T) {
	_, err := schema.Limits{MaxFileBytes: 1 << 20}.ReadFile(endless{}, "zero.yaml")
	var big *schema.FileTooLargeError
	if !errors.As(err, &big) {
		t.Fatalf("want a FileTooLargeError, got %v", err)
	}
	if got, want := fmt.Sprint(err), "zero.yaml: file is larger than 1048576 bytes (1 MiB), the limit"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}
