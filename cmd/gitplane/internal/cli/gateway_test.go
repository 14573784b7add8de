package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGatewayCommandRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: gateway.gitplane.dev/v1\nkind: GatewayConfig\nkeysDir: "+dir+"\nroutes:\n  - name: a\n    modle: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Run([]string{"gateway", "--config", bad}, &stdout, &stderr)
	if code != ExitFound {
		t.Errorf("exit code %d, want %d", code, ExitFound)
	}
	for _, want := range []string{"bad.yaml:6:5: routes[0].modle: unknown field", "bad.yaml:5:5: routes[0]: give exactly one of bedrock, sagemaker, model"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}
