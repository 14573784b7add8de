package schema_test

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/gitplane/gitplane/schema"
)

// idFS is a ContentIDFS over a MapFS that counts the files read.
type idFS struct {
	fstest.MapFS
	reads *atomic.Int64
}

func (f idFS) ContentID(name string) (string, error) {
	data, err := fs.ReadFile(f.MapFS, name)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(data)), nil
}

func (f idFS) Open(name string) (fs.File, error) {
	f.reads.Add(1)
	return f.MapFS.Open(name)
}

// TestLoaderSkipsReadingKnownContent: given content IDs (Git blob hashes),
// a reload reads only the files whose ID changed.
func TestLoaderSkipsReadingKnownContent(t *testing.T) {
	repo := fstest.MapFS{"env.yaml": {Data: []byte(idEnvYAML)}}
	for i := range 20 {
		repo[fmt.Sprintf("models/m%02d.yaml", i)] = &fstest.MapFile{Data: fmt.Appendf(nil, idModelYAML, i)}
	}
	reads := &atomic.Int64{}
	l := schema.NewLoader()
	if _, err := l.Load(idFS{repo, reads}); err != nil {
		t.Fatal(err)
	}
	if n := reads.Load(); n != 21 {
		t.Fatalf("first load read %d files, want 21", n)
	}
	repo["models/m07.yaml"] = &fstest.MapFile{Data: []byte(fmt.Sprintf(idModelYAML, 7) + "  # changed\n")}
	reads.Store(0)
	r, err := l.Load(idFS{repo, reads})
	if err != nil {
		t.Fatal(err)
	}
	if n := reads.Load(); n != 1 {
		t.Errorf("reload read %d files, want only the changed one", n)
	}
	if len(r.Models) != 20 {
		t.Errorf("reload has %d Models, want 20", len(r.Models))
	}
}

const idEnvYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata: {name: e}
spec:
  cluster: {name: e, region: us-east-1, accountId: "111122223333", oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/X"}
  ingress: {certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/x", domain: e.example.com}
  nodes: {role: NodeRole, subnetSelector: {a: b}, securityGroupSelector: {a: b}}
`

const idModelYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: m%02d}
spec:
  image: registry.example.com/server:v1
  resources: {gpu: {memory: 24Gi}}
`
