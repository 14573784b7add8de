package preview

import (
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// cliFlags are the CLI's flags that must never appear in a preview: the
// pull request's reader has Git, not the command line.
var cliFlags = []string{"--confirm-prune", "--allow-empty", "--force-conflicts", "--prune", "pass --", "apply with --"}

// TestConfirmationInTheChange: a change that deletes most of what an
// Environment has is blocked, and the preview says how to confirm it in
// Git for the commit it merges onto; the same change carrying that
// confirmation is planned with the deletions, with a note; one naming
// another commit confirms nothing and says so.
func TestConfirmationInTheChange(t *testing.T) {
	base := exampleSpecs(t)
	removeAll := []edit{{file: "models/llama.yaml"}, {file: "models/whisper.yaml"}, {file: "gateways/ai-gateway.yaml"}}
	confirm := func(sha string) edit {
		return edit{"environments/staging.yaml", "  name: staging\n", "  name: staging\n  annotations:\n    gitplane.dev/confirm-prune: \"" + sha + "\"\n"}
	}
	tests := []struct {
		name        string
		edits       []edit
		wantBlocked bool
		want        []string
	}{
		{"unconfirmed", removeAll, true, []string{
			`prune blocked: prune would delete`,
			`to let it happen, annotate the Environment gitplane.dev/confirm-prune: "fedcba9" in this change`,
		}},
		{"confirmed for the base", append(removeAll, confirm(baseSHA[:12])), false, []string{
			"staging: gitplane.dev/confirm-prune confirms a prune of more than a quarter of the inventory for this change on top of fedcba9",
		}},
		{"confirmed for another commit", append(removeAll, confirm(headSHA[:7])), true, []string{
			"staging: gitplane.dev/confirm-prune names 0123456, not fedcba9: it confirms nothing for this change",
			`to let it happen, annotate the Environment gitplane.dev/confirm-prune: "fedcba9" in this change`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Base: base, Head: apply(t, base, tt.edits...), HeadSHA: headSHA, Onto: baseSHA, PlanOptions: engine.PlanOptions{Prune: true}}
			p := previewAll(t, in, "staging")[0]
			if p.Plan == nil {
				t.Fatalf("not planned: %+v", p)
			}
			if blocked := p.Plan.PruneGuard != nil; blocked != tt.wantBlocked || (!blocked && p.Plan.Summary().Delete == 0) {
				t.Errorf("prune guard %+v, %s; want blocked %v", p.Plan.PruneGuard, p.Plan.Summary(), tt.wantBlocked)
			}
			md := Markdown([]*EnvPreview{p}, MarkdownOptions{})
			plain := strings.ReplaceAll(md, `\`, "") // markdown escapes
			for _, want := range tt.want {
				if !strings.Contains(plain, want) {
					t.Errorf("preview lacks %q:\n%s", want, md)
				}
			}
			for _, flag := range cliFlags {
				if strings.Contains(md, flag) {
					t.Errorf("preview speaks of the CLI's %q:\n%s", flag, md)
				}
			}
		})
	}
}
