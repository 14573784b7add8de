package preview

import (
	"strings"
	"testing"

	"github.com/gitplane/gitplane/schema"
)

func TestAffectedEnvironments(t *testing.T) {
	repo := func(files map[string]string) *schema.Repo { return parse(t, files) }
	staging := strings.Replace(testEnv, "name: dev", "name: staging", 1)
	prod := strings.Replace(testEnv, "name: dev", "name: prod", 1) + "  overlay: overlays/prod\n"
	onlyProd := strings.Replace(testModel, "spec:\n", "spec:\n  environments: [prod]\n", 1)
	base := repo(map[string]string{"envs/staging.yaml": staging, "envs/prod.yaml": prod, "models/llama.yaml": testModel,
		"models/prod-only.yaml": strings.Replace(onlyProd, "name: llama", "name: big", 1), "overlays/prod/kustomization.yaml": "resources: []\n"})
	// At the head the Gateway is new and llama moves to prod only.
	head := repo(map[string]string{"envs/staging.yaml": staging, "envs/prod.yaml": prod, "models/llama.yaml": onlyProd,
		"models/prod-only.yaml": strings.Replace(onlyProd, "name: llama", "name: big", 1), "gw.yaml": strings.Replace(testGateway, "spec:\n", "spec:\n  environments: [staging]\n", 1),
		"overlays/prod/kustomization.yaml": "resources: []\n"})
	tests := []struct {
		name    string
		base    *schema.Repo
		changed []string
		want    string
	}{
		{"environment file", base, []string{"envs/staging.yaml"}, "staging"},
		{"model in every environment at base, prod only at head", base, []string{"models/llama.yaml"}, "prod,staging"},
		{"prod-only model", base, []string{"models/prod-only.yaml"}, "prod"},
		{"new gateway file", base, []string{"gw.yaml"}, "staging"},
		{"overlay file", base, []string{"overlays/prod/patch.yaml"}, "prod"},
		{"docs only", base, []string{"README.md", "docs/x.png"}, ""},
		{"hidden folder", base, []string{".github/workflows/ci.yaml"}, ""},
		{"unknown YAML file: unsure", base, []string{"README.md", "misc/broken.yaml"}, "prod,staging"},
		{"leading slash", base, []string{"/models/prod-only.yaml"}, "prod"},
		{"no base: every Environment", nil, []string{"README.md"}, "prod,staging"},
		{"nothing changed", base, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(AffectedEnvironments(tt.base, head, tt.changed), ",")
			if got != tt.want {
				t.Errorf("AffectedEnvironments(%v) = %q, want %q", tt.changed, got, tt.want)
			}
		})
	}
}
