package preview

import (
	"encoding/base64"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/engine"
)

const secretYAML = `apiVersion: v1
kind: Secret
metadata:
  name: ai-gateway-api-keys
  namespace: ai-gateway
type: Opaque
data:
  team-a: %s
stringData:
  team-b: %s
`

func secretFile(a, b string) string {
	return strings.Replace(strings.Replace(secretYAML, "%s", base64.StdEncoding.EncodeToString([]byte(a)), 1), "%s", b, 1)
}

// TestSecretsRedacted adds a Secret through the prod overlay and changes its
// values: the preview shows which keys change and none of the values.
func TestSecretsRedacted(t *testing.T) {
	values := []string{"sk-base-alpha-1234567890", "sk-base-bravo-0987654321", "sk-head-alpha-1234567890", "sk-head-bravo-0987654321"}
	addSecret := edit{"overlays/prod/kustomization.yaml", "- priorityclass.yaml\n", "- priorityclass.yaml\n- secret.yaml\n"}
	base := apply(t, exampleSpecs(t), addSecret, edit{file: "overlays/prod/secret.yaml", new: secretFile(values[0], values[1])})
	head := apply(t, base, edit{file: "overlays/prod/secret.yaml", new: secretFile(values[2], values[1])})
	newRepo := apply(t, head)
	for _, tt := range []struct {
		name       string
		base       Input
		wantAction string
	}{
		{"changed values", Input{Base: base, Head: head}, "configured"},
		{"new Secret", Input{Base: nil, Head: newRepo}, "created"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.base
			in.Env, in.PlanOptions = "prod", engine.PlanOptions{Prune: true}
			md := Markdown(previewAll(t, in, "prod"), MarkdownOptions{})
			for _, v := range values {
				for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
					if strings.Contains(md, form) {
						t.Errorf("the preview shows a Secret value %q", form)
					}
				}
			}
			if !strings.Contains(md, "<code>Secret ai-gateway/ai-gateway-api-keys</code> "+tt.wantAction) {
				t.Errorf("the Secret is not %s in the preview", tt.wantAction)
			}
			if tt.wantAction == "configured" && !strings.Contains(md, "team-a: '"+engine.RedactedChanged+"'") {
				t.Errorf("the diff does not mark the changed key:\n%s", md)
			}
		})
	}
}

// TestScrubPlan removes Secret values, encoded and decoded, from text that
// quotes them, such as an API server's objection.
func TestScrubPlan(t *testing.T) {
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s", "namespace": "n"},
		"data":       map[string]any{"a": base64.StdEncoding.EncodeToString([]byte("sk-quoted-value-42"))},
		"stringData": map[string]any{"b": "plain-quoted-value-43", "short": "abc"},
	}}
	quote := "invalid: sk-quoted-value-42, " + base64.StdEncoding.EncodeToString([]byte("plain-quoted-value-43")) + ", abc"
	block := engine.Block{Guard: engine.GuardNamespaceInUse, Reason: quote}
	plan := &engine.Plan{Changes: []engine.Change{{Error: quote, Diff: quote, Block: block}}, PruneGuard: &engine.PruneGuard{Block: block}}
	scrubPlan(plan, []*unstructured.Unstructured{secret})
	want := "invalid: " + engine.Redacted + ", " + engine.Redacted + ", abc"
	for _, got := range []string{plan.Changes[0].Error, plan.Changes[0].Diff, plan.Changes[0].Reason, plan.PruneGuard.Reason} {
		if got != want {
			t.Errorf("scrubbed %q, want %q", got, want)
		}
	}
}
