package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateBuildsOverlays: an Environment overlay that kustomize cannot
// build fails validate (exit 1) with kustomize's error at the overlay's
// kustomization file, as it would fail apply and serve; render fails too.
func TestValidateBuildsOverlays(t *testing.T) {
	for _, tt := range []struct{ name, patch, want string }{
		{"strategic merge of an object not rendered", "- path: ghost.yaml\n", "ghost"},
		{"JSON patch on a missing path", "- target: {kind: Deployment, name: llama-3-8b}\n  patch: |-\n    - op: replace\n      path: /spec/nothing/here\n      value: 1\n", "/spec/nothing/here"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySpecs(t)
			kust := filepath.Join(dir, "overlays", "prod", "kustomization.yaml")
			data, err := os.ReadFile(kust)
			if err != nil {
				t.Fatal(err)
			}
			ghost := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ghost, namespace: models}\nspec: {replicas: 3}\n"
			if err := os.WriteFile(filepath.Join(dir, "overlays", "prod", "ghost.yaml"), []byte(ghost), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(kust, append(data, "\n"+tt.patch...), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := run(t, "validate", dir)
			if code != ExitFound || !strings.Contains(stderr, "overlays/prod/kustomization.yaml:1:1: kustomize cannot build the overlay of Environment prod: ") ||
				!strings.Contains(stderr, tt.want) {
				t.Errorf("validate: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if code, _, _ := run(t, "render", dir, "--env", "prod"); code == ExitOK {
				t.Errorf("render of the broken overlay succeeded")
			}
		})
	}
}
