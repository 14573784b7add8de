package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/engine"
)

func cmRef(name string) engine.Ref {
	return engine.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: name}
}

// TestPrintText: the CLI words the engine's typed guards and errors as
// its flags, and prints take-overs, diffs (coloured on request) and the
// summary.
func TestPrintText(t *testing.T) {
	share := engine.Block{Guard: engine.GuardPruneShare, Reason: "prune would delete 2 of 4 inventory objects (more than 25%)", Allow: engine.AllowLargePrune}
	empty := engine.Block{Guard: engine.GuardEmptyRender, Reason: "the render is empty; an empty render never prunes", Allow: engine.AllowEmptyRender}
	tests := []struct {
		name string
		plan engine.Plan
		opts printOptions
		want []string
	}{
		{"take-over with its diff", engine.Plan{Environment: "prod", Changes: []engine.Change{{
			Ref: cmRef("by-hand"), Action: engine.ActionTakeOver, Diff: "-  k: old\n+  k: new\n",
			Risks: []string{engine.TakeOverRisk + " (its fields are managed by kubectl-create)"},
		}}}, printOptions{diffs: true}, []string{
			"ConfigMap ns/by-hand taken over (an object not managed by this Environment (its fields are managed by kubectl-create))\n",
			"  -  k: old\n  +  k: new\n",
			"prod: 0 to create, 1 to take over, 0 to update, 0 to delete, 0 unchanged\n",
		}},
		{"coloured diff", engine.Plan{Environment: "prod", Changes: []engine.Change{{
			Ref: cmRef("x"), Action: engine.ActionConfigure, Diff: "@@ -1 +1 @@\n-a\n+b\n",
		}}}, printOptions{diffs: true, color: true}, []string{ansiCyan + "@@ -1 +1 @@" + ansiReset, ansiRed + "-a" + ansiReset, ansiGreen + "+b" + ansiReset}},
		{"large prune", engine.Plan{Environment: "prod", Changes: []engine.Change{
			{Ref: cmRef("a"), Action: engine.ActionDelete, Block: share},
		}, PruneGuard: &engine.PruneGuard{Block: share, Deletions: 2, Inventory: 4}}, printOptions{}, []string{
			"ConfigMap ns/a deleted (blocked: prune would delete 2 of 4 inventory objects (more than 25%); pass --confirm-prune)\n",
			"warning: prune blocked: prune would delete 2 of 4 inventory objects (more than 25%); pass --confirm-prune\n",
			"prod: 0 to create, 0 to update, 0 to delete, 0 unchanged, 1 blocked\n",
		}},
		{"empty render", engine.Plan{Environment: "prod", Changes: []engine.Change{
			{Ref: cmRef("a"), Action: engine.ActionDelete, Block: empty},
		}, PruneGuard: &engine.PruneGuard{Block: empty, Deletions: 1, Inventory: 1}}, printOptions{}, []string{
			"warning: prune blocked: the render is empty; an empty render never prunes (pass --allow-empty to delete everything gitplane applied)\n",
		}},
		{"a guard no flag lifts", engine.Plan{Environment: "prod", Changes: []engine.Change{
			{Ref: cmRef("kept"), Action: engine.ActionDelete, Block: engine.Block{Guard: engine.GuardPruneDisabled, Reason: "annotated gitplane.dev/prune: disabled"}},
		}}, printOptions{}, []string{"ConfigMap ns/kept deleted (blocked: annotated gitplane.dev/prune: disabled)\n"}},
		{"not pruned", engine.Plan{Environment: "prod", Unpruned: 3}, printOptions{}, []string{
			"warning: 3 object(s) left Git and are still in the cluster; apply with --prune to delete them\n",
		}},
		{"conflict", engine.Plan{Environment: "prod", Changes: []engine.Change{{
			Ref: cmRef("shared"), Action: engine.ActionConfigure,
			Error:     `ConfigMap ns/shared: conflict with another field manager: .data.owner is managed by "other-gitops"`,
			Conflicts: []engine.FieldConflict{{Manager: "other-gitops", Field: ".data.owner"}},
		}}}, printOptions{}, []string{`(error: ConfigMap ns/shared: conflict with another field manager: .data.owner is managed by "other-gitops"; apply with --force-conflicts to take ownership)`}},
		{"immutable", engine.Plan{Environment: "prod", Changes: []engine.Change{{
			Ref: cmRef("x"), Action: engine.ActionConfigure, Immutable: []string{"spec.selector"},
			Error: "ConfigMap ns/x: field(s) spec.selector cannot change in place",
		}}}, printOptions{}, []string{`(immutable spec.selector; error: ConfigMap ns/x: field(s) spec.selector cannot change in place; annotate the spec or its Environment with gitplane.dev/force: "true" to let gitplane delete and recreate it)`}},
		{"applied", engine.Plan{Environment: "prod", Changes: []engine.Change{{Ref: cmRef("x"), Action: engine.ActionCreate}}}, printOptions{applied: true},
			[]string{"ConfigMap ns/x created\n", "prod: 1 created, 0 updated, 0 deleted, 0 unchanged\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := printText(&b, &tt.plan, tt.opts); err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.want {
				if !strings.Contains(b.String(), want) {
					t.Errorf("printed plan lacks %q:\n%s", want, b.String())
				}
			}
			if !tt.opts.color && strings.Contains(b.String(), "\x1b[") {
				t.Errorf("colours without asking:\n%q", b.String())
			}
		})
	}
}

// TestPrintJSON: the JSON form has the summary, the changes with their
// typed guard, the prune guard, and the warnings as the text words them.
func TestPrintJSON(t *testing.T) {
	share := engine.Block{Guard: engine.GuardPruneShare, Reason: "prune would delete 2 of 4 inventory objects (more than 25%)", Allow: engine.AllowLargePrune}
	p := &engine.Plan{Environment: "prod", Changes: []engine.Change{
		{Ref: cmRef("a"), Action: engine.ActionDelete, Block: share},
	}, PruneGuard: &engine.PruneGuard{Block: share, Deletions: 2, Inventory: 4}}
	var b strings.Builder
	if err := printJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Summary engine.Summary `json:"summary"`
		Changes []struct {
			Guard   engine.Guard `json:"guard"`
			Blocked string       `json:"blocked"`
			Allow   engine.Allow `json:"allow"`
		} `json:"changes"`
		PruneGuard engine.PruneGuard `json:"pruneGuard"`
		Warnings   []string          `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	c := got.Changes[0]
	if got.Summary.Blocked != 1 || c.Guard != share.Guard || c.Blocked != share.Reason || c.Allow != share.Allow {
		t.Errorf("JSON change = %+v, summary %+v; want the share guard", c, got.Summary)
	}
	if got.PruneGuard.Deletions != 2 || got.PruneGuard.Inventory != 4 || got.PruneGuard.Allow != engine.AllowLargePrune {
		t.Errorf("JSON prune guard = %+v", got.PruneGuard)
	}
	if len(got.Warnings) != 1 || !strings.HasSuffix(got.Warnings[0], "; pass --confirm-prune") {
		t.Errorf("JSON warnings = %q", got.Warnings)
	}
}
