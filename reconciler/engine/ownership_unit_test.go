package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestNotOwnedReason(t *testing.T) {
	applied := []metav1.ManagedFieldsEntry{{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationApply}}
	live := func(env string, mf []metav1.ManagedFieldsEntry, hash bool) *unstructured.Unstructured {
		o := cm("ns", "x", nil)
		o.SetLabels(nil)
		if env != "" {
			o.SetLabels(map[string]string{LabelEnvironment: env})
		}
		o.SetManagedFields(mf)
		if hash {
			o.SetAnnotations(map[string]string{AnnotationAppliedHash: "abc"})
		}
		return o
	}
	tests := []struct {
		name string
		live *unstructured.Unstructured
		want string // substring; "" means owned
	}{
		{"labelled, applied by gitplane, hashed", live("prod", applied, true), ""},
		{"no label", live("", applied, true), "not labelled gitplane.dev/environment=prod"},
		{"another Environment's", live("dev", applied, true), "belongs to Environment dev"},
		{"updated by gitplane, never applied", live("prod", []metav1.ManagedFieldsEntry{{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationUpdate}}, true), `not applied by field manager "gitplane"`},
		{"applied by another manager", live("prod", []metav1.ManagedFieldsEntry{{Manager: "helm", Operation: metav1.ManagedFieldsOperationApply}}, true), "not applied by field manager"},
		{"no hash: no apply succeeded", live("prod", applied, false), "no gitplane.dev/applied-hash annotation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := notOwnedReason(tt.live, "prod")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("notOwnedReason = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReservedReason(t *testing.T) {
	tests := []struct {
		ref  Ref
		want bool
	}{
		{Ref{Version: "v1", Kind: "ConfigMap", Namespace: InventoryNamespace, Name: "anything"}, true},
		{Ref{Version: "v1", Kind: "Namespace", Name: InventoryNamespace}, true},
		{Ref{Version: "v1", Kind: "ConfigMap", Namespace: "models", Name: "gitplane-inventory-prod"}, true},
		{Ref{Group: "coordination.k8s.io", Version: "v1", Kind: "Lease", Namespace: "models", Name: "x"}, true},
		{Ref{Version: "v1", Kind: "ConfigMap", Namespace: "models", Name: "gitplane-settings"}, false},
		{Ref{Version: "v1", Kind: "Namespace", Name: "models"}, false},
	}
	for _, tt := range tests {
		if got := reservedReason(tt.ref) != ""; got != tt.want {
			t.Errorf("reservedReason(%s) reserved = %v, want %v", tt.ref, got, tt.want)
		}
	}
}

// TestFinalEdit: what a sync leaves in the inventory.
func TestFinalEdit(t *testing.T) {
	ref := func(name string) Ref { return Ref{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: name} }
	ownedLive := cm("ns", "owned", nil)
	ownedLive.SetLabels(map[string]string{LabelEnvironment: "test"})
	ownedLive.SetAnnotations(map[string]string{AnnotationAppliedHash: "abc"})
	plan := &Plan{Environment: "test", Changes: []Change{
		{Ref: ref("applied"), Action: ActionCreate},
		{Ref: ref("unchanged"), Action: ActionUnchanged},
		{Ref: ref("refused-new"), Action: ActionCreate, Error: "conflict"},
		{Ref: ref("refused-taken"), Action: ActionTakeOver, Error: "conflict", Live: cm("ns", "refused-taken", nil)},
		{Ref: ref("refused-recorded"), Action: ActionConfigure, Error: "invalid"},
		{Ref: ref("owned"), Action: ActionConfigure, Error: "invalid", Live: ownedLive},
		{Ref: ref("cut-off"), Action: ActionCreate, Error: "connection reset"},
		{Ref: ref("pruned"), Action: ActionDelete},
		{Ref: ref("not-owned"), Action: ActionDelete, Block: Block{Guard: GuardNotOwned, Reason: "not labelled"}},
		{Ref: ref("kept"), Action: ActionDelete, Block: Block{Guard: GuardPruneDisabled, Reason: "annotated"}},
	}}
	base := NewInventory(ref("refused-recorded"), ref("pruned"), ref("not-owned"), ref("kept"))
	done := newResults()
	done.observed[ref("applied").ID()] = Observed{ResourceVersion: "7"}
	for _, name := range []string{"refused-new", "refused-taken", "refused-recorded", "owned"} {
		done.refused[ref(name).ID()] = true
	}
	done.deleted = []Ref{ref("pruned")}
	got := finalEdit(plan, base, done).on(base)
	var names []string
	for _, r := range got.Refs() {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	want := []string{"applied", "cut-off", "kept", "owned", "refused-recorded", "unchanged"}
	if !slices.Equal(names, want) {
		t.Errorf("inventory after the sync = %v, want %v", names, want)
	}
	if obs, _ := got.Observed(ref("applied")); obs.ResourceVersion != "7" {
		t.Errorf("observation of the applied object = %+v", obs)
	}
}

func TestHeldBy(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	lease := func(holder string, renewed time.Time) *coordinationv1.Lease {
		acquired, renew := metav1.NewMicroTime(renewed.Add(-time.Minute)), metav1.NewMicroTime(renewed)
		return &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: new(int32(60)), AcquireTime: &acquired, RenewTime: &renew}}
	}
	if h, since, ok := heldBy(lease("ci", now.Add(-59*time.Second)), now); !ok || h != "ci" || !since.Equal(now.Add(-119*time.Second)) {
		t.Errorf("renewed 59s ago: %q %v %v, want held by ci since its acquisition", h, since, ok)
	}
	if _, _, ok := heldBy(lease("ci", now.Add(-61*time.Second)), now); ok {
		t.Error("renewed 61s ago with a 60s duration: still held")
	}
	if _, _, ok := heldBy(lease("", now), now); ok {
		t.Error("a released Lease is held")
	}
}

func TestSecretsCompareValues(t *testing.T) {
	secret := func(value string) *unstructured.Unstructured {
		return hashed(t, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": "s", "namespace": "ns"}, "stringData": map[string]any{"k": value}}})
	}
	a, b := secret("one"), secret("two")
	if a.GetAnnotations()[AnnotationAppliedHash] != b.GetAnnotations()[AnnotationAppliedHash] {
		t.Error("a Secret's hash depends on its values")
	}
	live := liveOf(a, func(l *unstructured.Unstructured) {
		delete(l.Object, "stringData")
		l.Object["data"] = map[string]any{"k": "b25l"} // "one"
	})
	obs := Observed{ResourceVersion: "42"}
	if c := compareObject(RefOf(a), a, live, false, obs); c.Action != ActionUnchanged {
		t.Errorf("same value: %s", c.Action)
	}
	if c := compareObject(RefOf(b), b, live, false, obs); c.Action != ActionConfigure || c.Drift {
		t.Errorf("value changed in Git: %s drift %v, want configured without drift", c.Action, c.Drift)
	}
	if c := compareObject(RefOf(b), b, live, false, Observed{ResourceVersion: "41"}); !c.Drift {
		t.Error("value differs in a Secret changed since gitplane applied it: not drift")
	}
	if c := compareObject(RefOf(a), a, live, true, obs); !c.needsBody {
		t.Error("a metadata-only Secret was decided without its values")
	}
}

func TestStaleDiscoveryIsRetriable(t *testing.T) {
	noMatch := &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "karpenter.sh", Kind: "NodePool"}}
	if retriable(noMatch) {
		t.Error("a kind nothing defines is retriable")
	}
	stale := error(&staleDiscoveryError{noMatch})
	if !retriable(stale) || !meta.IsNoMatchError(stale) || !errors.Is(stale, noMatch) {
		t.Error("stale discovery: not retriable, or no longer a no-match error")
	}
}
