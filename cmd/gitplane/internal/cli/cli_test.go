package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "m.yaml"), []byte("apiVersion: gitplane.dev/v1alpha1\nkind: Model\nmetadata: {name: m}\nspec: {imag: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args       []string
		code       int
		wantStdout string
		wantStderr string
	}{
		{[]string{"version"}, ExitOK, "gitplane ", ""},
		{[]string{"validate", "../../../../examples/specs"}, ExitOK, "2 Environments, 2 Models, 1 Gateways: valid", ""},
		{[]string{"validate", broken}, ExitFound, "", `m.yaml:4:8: spec.imag: unknown field "imag"`},
		{[]string{"render", "../../../../examples/specs", "--env", "staging"}, ExitOK, "kind: NodePool", ""},
		{[]string{"render", "../../../../examples/specs"}, ExitFailure, "", `required flag(s) "env" not set`},
		{[]string{"render", broken, "--env", "x"}, ExitFound, "", "spec.image: required field is missing"},
		{[]string{"schema"}, ExitOK, `"$schema": "https://json-schema.org/draft/2020-12/schema"`, ""},
		{[]string{"--no-such-flag"}, ExitFailure, "", "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tt.wantStdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantStderr, stderr.String())
			}
		})
	}
}
