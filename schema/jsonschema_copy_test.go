package schema_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/gitplane/gitplane/schema"
)

// TestJSONSchemaDocCopy keeps docs/gitplane.schema.json, the copy editors
// point at, equal to what `gitplane schema` prints.
func TestJSONSchemaDocCopy(t *testing.T) {
	got, err := schema.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../docs/gitplane.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Error("docs/gitplane.schema.json is stale: run `go run ./cmd/gitplane schema > docs/gitplane.schema.json`")
	}
}
