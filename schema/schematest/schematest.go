// Package schematest loads gitplane specs from in-memory files, for tests
// and examples: a map of path → content instead of a repository on disk.
package schematest

import (
	"testing/fstest"

	"github.com/gitplane/gitplane/schema"
)

// Parse loads specs from in-memory files, keyed by slash-separated path,
// as schema.Load loads a repository.
func Parse(files map[string][]byte) (*schema.Repo, error) {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	return schema.Load(fsys)
}
