package source

import (
	"testing"

	"github.com/gitplane/gitplane/schema"
)

// treeFS names file contents by blob hash, so schema.Loader skips reading
// the specs of a new commit that did not change.
var _ schema.ContentIDFS = (*treeFS)(nil)

func TestContentIDIsTheBlobHash(t *testing.T) {
	fsys := treeOf(t, map[string]string{"a.yaml": "x: 1\n", "b.yaml": "x: 1\n", "c.yaml": "x: 2\n"}, nil)
	ids := fsys.(schema.ContentIDFS)
	a, err := ids.ContentID("a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ids.ContentID("b.yaml")
	c, _ := ids.ContentID("c.yaml")
	if a != b || a == c {
		t.Errorf("ids a=%s b=%s c=%s: equal content must share an ID, different content not", a, b, c)
	}
	if _, err := ids.ContentID("missing.yaml"); err == nil {
		t.Error("ContentID of a missing file succeeded")
	}
}
