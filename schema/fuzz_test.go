package schema_test

import (
	"errors"
	"testing"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/schematest"
)

// FuzzParse feeds arbitrary bytes to the spec parser as one file of a
// repository with valid neighbours: it must never panic, and whatever it
// rejects it rejects with an ErrorList.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{envYAML, modelYAML, gatewayYAML, "", "---\n---", "a: [", "kind: Model\napiVersion: gitplane.dev/v1alpha1\nspec: {resources: {gpu: {memory: 1e30}}}"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		files := baseFiles()
		files["fuzz.yaml"] = data
		_, err := schematest.Parse(files)
		var list schema.ErrorList
		if err != nil && !errors.As(err, &list) {
			t.Fatalf("error is not an ErrorList: %v", err)
		}
	})
}
