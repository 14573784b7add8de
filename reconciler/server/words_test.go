package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// TestSyncWords: what serve says of a held-back or failed sync of commit
// sha names what to do in Git, for a commit on top of sha, first, and
// never a flag of the CLI.
func TestSyncWords(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	ref := engine.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "models", Name: "llama"}
	guard := func(b engine.Block) *engine.Plan {
		return &engine.Plan{Changes: []engine.Change{{Ref: ref, Action: engine.ActionDelete, Block: b}}, PruneGuard: &engine.PruneGuard{Block: b}}
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"large prune", blockedReason(guard(engine.Block{Guard: engine.GuardPruneShare, Reason: "prune would delete 2 of 4 inventory objects (more than 25%)", Allow: engine.AllowLargePrune}), sha),
			`prune blocked (to confirm, annotate the Environment gitplane.dev/confirm-prune: "0123456"): prune would delete 2 of 4 inventory objects (more than 25%)`},
		{"empty render", blockedReason(guard(engine.Block{Guard: engine.GuardEmptyRender, Reason: "the render is empty; an empty render never prunes", Allow: engine.AllowEmptyRender}), sha),
			`prune blocked (to confirm, annotate the Environment gitplane.dev/allow-empty: "0123456"): the render is empty; an empty render never prunes`},
		{"namespace in use", blockedReason(&engine.Plan{Changes: []engine.Change{{Ref: ref, Action: engine.ActionDelete,
			Block: engine.Block{Guard: engine.GuardNamespaceInUse, Reason: "namespace still holds objects gitplane does not own: configmaps/theirs"}}}}, sha),
			"apps/Deployment models/llama deleted blocked: namespace still holds objects gitplane does not own: configmaps/theirs"},
		{"kept on purpose", blockedReason(&engine.Plan{Changes: []engine.Change{{Ref: ref, Action: engine.ActionDelete,
			Block: engine.Block{Guard: engine.GuardPruneDisabled, Reason: "annotated gitplane.dev/prune: disabled"}}}}, sha), ""},
		{"conflict while planning", syncFailure(&planRefused{failed: []engine.Change{
			{Ref: ref, Error: "conflict", Conflicts: []engine.FieldConflict{{Manager: "helm", Field: ".spec.replicas"}, {Manager: "argo", Field: ".spec.paused"}}},
			{Ref: ref, Error: "invalid"},
		}}, sha),
			`apps/Deployment models/llama: conflict (to take over, annotate the Environment gitplane.dev/force-conflicts: "0123456"): .spec.replicas is managed by "helm", .spec.paused is managed by "argo" (and 1 more)`},
		{"immutable field when applying", syncFailure(fmt.Errorf("sync: %w", &engine.ApplyError{Failed: []engine.Change{
			{Ref: ref, Error: "apps/Deployment models/llama: field(s) spec.selector cannot change in place", Immutable: []string{"spec.selector"}},
		}}), sha),
			`apps/Deployment models/llama: field(s) spec.selector cannot change in place (annotate the spec or its Environment gitplane.dev/force: "true" to let gitplane delete and recreate it)`},
		{"another error", syncFailure(errors.New("listing deployments: forbidden\nmore"), sha), "listing deployments: forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %s\nwant %s", tt.got, tt.want)
			}
			for _, flag := range []string{"--confirm-prune", "--allow-empty", "--force-conflicts", "pass --", "apply with --"} {
				if strings.Contains(tt.got, flag) {
					t.Errorf("%q speaks of the CLI's %s", tt.got, flag)
				}
			}
		})
	}
}
