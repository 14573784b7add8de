package engine

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func cm(ns, name string, data map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{LabelEnvironment: "test"}},
		"data":     data,
	}}
	return o
}

func hashed(t *testing.T, o *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	h, err := withHash(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// liveOf is what the server would hold after applying o: o plus server
// fields.
func liveOf(o *unstructured.Unstructured, edit func(*unstructured.Unstructured)) *unstructured.Unstructured {
	l := o.DeepCopy()
	l.SetResourceVersion("42")
	l.SetUID("uid")
	if edit != nil {
		edit(l)
	}
	return l
}

func TestReconcileActions(t *testing.T) {
	a := hashed(t, cm("ns", "a", map[string]any{"k": "v"}))
	changedInGit := hashed(t, cm("ns", "a", map[string]any{"k": "new"}))
	tests := []struct {
		name          string
		desired       *unstructured.Unstructured
		live          *unstructured.Unstructured
		want          Action
		wantDrift     bool
		wantUndecided bool
	}{
		{"missing is created", a, nil, ActionCreate, false, false},
		{"same hash and fields is unchanged", a, liveOf(a, nil), ActionUnchanged, false, false},
		{"server defaults do not matter", a, liveOf(a, func(l *unstructured.Unstructured) {
			l.Object["immutable"] = false
		}), ActionUnchanged, false, false},
		{"changed in Git is configured", changedInGit, liveOf(a, nil), ActionConfigure, false, false},
		{"edited in the cluster is drift, settled by the server", a, liveOf(a, func(l *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(l.Object, "edited", "data", "k")
		}), ActionConfigure, true, true},
		{"adopted object without hash is configured", a, liveOf(a, func(l *unstructured.Unstructured) {
			l.SetAnnotations(nil)
		}), ActionConfigure, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := map[ID]*unstructured.Unstructured{}
			if tt.live != nil {
				live[RefOf(tt.live).ID()] = tt.live
			}
			plan := Reconcile("test", []*unstructured.Unstructured{tt.desired}, Live{Objects: live}, NewInventory(), PlanOptions{})
			if len(plan.Changes) != 1 {
				t.Fatalf("changes = %d, want 1", len(plan.Changes))
			}
			c := plan.Changes[0]
			if c.Action != tt.want || c.Drift != tt.wantDrift || c.undecided != tt.wantUndecided {
				t.Errorf("action %s drift %v undecided %v; want %s %v %v", c.Action, c.Drift, c.undecided, tt.want, tt.wantDrift, tt.wantUndecided)
			}
		})
	}
}

// TestReconcileFromMetadata: a metadata-only object proves "unchanged" only
// when it is as gitplane's last apply left it; otherwise the engine must
// read its body.
func TestReconcileFromMetadata(t *testing.T) {
	a := hashed(t, cm("ns", "a", map[string]any{"k": "v"}))
	meta := func(rv string, gen int64, edit func(*unstructured.Unstructured)) *unstructured.Unstructured {
		l := liveOf(a, edit)
		l.SetResourceVersion(rv)
		l.SetGeneration(gen)
		delete(l.Object, "data")
		return l
	}
	tests := []struct {
		name          string
		live          *unstructured.Unstructured
		obs           Observed
		want          Action
		wantNeedsBody bool
	}{
		{"same resourceVersion", meta("42", 0, nil), Observed{"42", 0}, ActionUnchanged, false},
		{"same generation, status moved on", meta("99", 3, nil), Observed{"42", 3}, ActionUnchanged, false},
		{"resourceVersion moved, no generation", meta("99", 0, nil), Observed{"42", 0}, ActionUnchanged, true},
		{"generation moved", meta("99", 4, nil), Observed{"42", 3}, ActionUnchanged, true},
		{"nothing observed yet", meta("42", 0, nil), Observed{}, ActionUnchanged, true},
		{"label removed in the cluster", meta("42", 0, func(l *unstructured.Unstructured) { l.SetLabels(nil) }), Observed{"42", 0}, ActionUnchanged, true},
		{"hash differs", meta("42", 0, func(l *unstructured.Unstructured) { l.SetAnnotations(nil) }), Observed{"42", 0}, ActionConfigure, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := RefOf(a).ID()
			inv := NewInventory(RefOf(a)).WithObserved(map[ID]Observed{id: tt.obs})
			if tt.obs == (Observed{}) {
				inv = NewInventory(RefOf(a))
			}
			live := Live{Objects: map[ID]*unstructured.Unstructured{id: tt.live}, MetadataOnly: map[ID]bool{id: true}}
			c := Reconcile("test", []*unstructured.Unstructured{a}, live, inv, PlanOptions{}).Changes[0]
			if c.Action != tt.want || c.needsBody != tt.wantNeedsBody {
				t.Errorf("action %s needsBody %v; want %s %v", c.Action, c.needsBody, tt.want, tt.wantNeedsBody)
			}
		})
	}
}

func TestReconcilePruneGuards(t *testing.T) {
	objs := func(names ...string) []*unstructured.Unstructured {
		var out []*unstructured.Unstructured
		for _, n := range names {
			out = append(out, hashed(t, cm("ns", n, map[string]any{"k": n})))
		}
		return out
	}
	all := objs("a", "b", "c", "d", "e", "f", "g", "h")
	inventory := func(os []*unstructured.Unstructured) Inventory {
		inv := NewInventory()
		for _, o := range os {
			inv.refs[RefOf(o).ID()] = RefOf(o)
		}
		return inv
	}
	liveAll := func(edit func(*unstructured.Unstructured)) map[ID]*unstructured.Unstructured {
		m := map[ID]*unstructured.Unstructured{}
		for _, o := range all {
			m[RefOf(o).ID()] = liveOf(o, edit)
		}
		return m
	}
	keepH := func(l *unstructured.Unstructured) {
		if l.GetName() == "h" {
			l.SetAnnotations(map[string]string{AnnotationPrune: "disabled"})
		}
	}
	tests := []struct {
		name         string
		desired      []*unstructured.Unstructured
		live         map[ID]*unstructured.Unstructured
		opts         PlanOptions
		wantDeletes  int
		wantGuard    Guard // the guard of every blocked change
		wantBlockN   int
		wantAllow    Allow // what the plan-wide guard asks for; "" none
		wantUnpruned int
	}{
		{"without prune nothing is deleted", all[:7], liveAll(nil), PlanOptions{}, 0, "", 0, "", 1},
		{"one of eight is pruned", all[:7], liveAll(nil), PlanOptions{Prune: true}, 1, "", 0, "", 0},
		{"annotated object is kept", all[:7], liveAll(keepH), PlanOptions{Prune: true}, 0, GuardPruneDisabled, 1, "", 0},
		{"three of eight needs confirmation", all[:5], liveAll(nil), PlanOptions{Prune: true}, 0, GuardPruneShare, 3, AllowLargePrune, 0},
		{"confirmed", all[:5], liveAll(nil), PlanOptions{Prune: true, ConfirmPrune: true}, 3, "", 0, "", 0},
		{"empty render never prunes", nil, liveAll(nil), PlanOptions{Prune: true, ConfirmPrune: true}, 0, GuardEmptyRender, 8, AllowEmptyRender, 0},
		{"empty render allowed", nil, liveAll(nil), PlanOptions{Prune: true, ConfirmPrune: true, AllowEmpty: true}, 8, "", 0, "", 0},
		{"objects already gone are not deleted", all[:7], map[ID]*unstructured.Unstructured{}, PlanOptions{Prune: true}, 0, "", 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := Reconcile("test", tt.desired, Live{Objects: tt.live}, inventory(all), tt.opts)
			s := plan.Summary()
			if s.Delete != tt.wantDeletes || s.Blocked != tt.wantBlockN {
				t.Errorf("summary %s; want %d deletes, %d blocked", s, tt.wantDeletes, tt.wantBlockN)
			}
			for _, c := range plan.Changes {
				if c.Blocked() && (c.Guard != tt.wantGuard || c.Reason == "") {
					t.Errorf("%s blocked by %q (%q), want %q with a reason", c.Ref, c.Guard, c.Reason, tt.wantGuard)
				}
			}
			var allow Allow
			if g := plan.PruneGuard; g != nil {
				allow = g.Allow
				if g.Deletions != tt.wantBlockN || g.Inventory != len(all) || g.Guard != tt.wantGuard {
					t.Errorf("prune guard %+v, want %s holding back %d of %d", *g, tt.wantGuard, tt.wantBlockN, len(all))
				}
			}
			if allow != tt.wantAllow || plan.Unpruned != tt.wantUnpruned {
				t.Errorf("prune guard asks for %q, %d unpruned; want %q, %d", allow, plan.Unpruned, tt.wantAllow, tt.wantUnpruned)
			}
			if last := plan.Changes[len(plan.Changes)-1]; tt.wantDeletes+tt.wantBlockN > 0 && last.Action != ActionDelete {
				t.Errorf("deletions must come last, got %s", last.Action)
			}
		})
	}
}

func TestHolds(t *testing.T) {
	tests := []struct {
		name          string
		desired, live any
		want          bool
	}{
		{"equal strings", "a", "a", true},
		{"different strings", "a", "b", false},
		{"quantity 1000m is 1", "1000m", "1", true},
		{"quantity 1Gi is 1024Mi", "1Gi", "1024Mi", true},
		{"different quantities", "1Gi", "1G", false},
		{"word that parses as nothing", "Ki", "Ki", true},
		{"int64 and float64", int64(3), float64(3), true},
		{"number and string", int64(3), "3", false},
		{"extra live keys", map[string]any{"a": "1"}, map[string]any{"a": "1", "b": "2"}, true},
		{"missing live key", map[string]any{"a": "1"}, map[string]any{"b": "2"}, false},
		{"empty desired map, absent live", map[string]any{"a": map[string]any{}}, map[string]any{}, true},
		{"lists compare by position", []any{"a", "b"}, []any{"b", "a"}, false},
		{"longer live list", []any{"a"}, []any{"a", "b"}, false},
		{"nested defaulted fields", []any{map[string]any{"name": "c", "image": "x"}}, []any{map[string]any{"name": "c", "image": "x", "imagePullPolicy": "IfNotPresent"}}, true},
		{"bools", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := holds(tt.desired, tt.live); got != tt.want {
				t.Errorf("holds(%v, %v) = %v, want %v", tt.desired, tt.live, got, tt.want)
			}
		})
	}
}

func TestSummaryString(t *testing.T) {
	p := &Plan{Changes: []Change{
		{Action: ActionCreate}, {Action: ActionConfigure}, {Action: ActionConfigure},
		{Action: ActionUnchanged}, {Action: ActionDelete}, {Action: ActionDelete, Block: Block{Guard: GuardPruneShare, Reason: "x"}},
	}}
	if got, want := p.Summary().String(), "1 to create, 2 to update, 1 to delete, 1 unchanged, 1 blocked"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	p.Changes = append(p.Changes, Change{Action: ActionTakeOver})
	if got, want := p.Summary().Past(), "1 created, 1 taken over, 2 updated, 1 deleted, 1 unchanged, 1 blocked"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !p.HasChanges() {
		t.Error("HasChanges = false")
	}
}

func TestDesiredHash(t *testing.T) {
	base := cm("ns", "a", map[string]any{"k": "v", "n": int64(1)})
	same := cm("ns", "a", map[string]any{"n": float64(1), "k": "v"})
	tests := []struct {
		name  string
		other *unstructured.Unstructured
		equal bool
	}{
		{"same content, other key order and number type", same, true},
		{"value changed", cm("ns", "a", map[string]any{"k": "w", "n": int64(1)}), false},
		{"value moved between keys", cm("ns", "a", map[string]any{"kv": "", "n": int64(1)}), false},
		{"string that looks like a number", cm("ns", "a", map[string]any{"k": "v", "n": "1"}), false},
		{"null vs missing", cm("ns", "a", map[string]any{"k": "v", "n": int64(1), "x": nil}), false},
	}
	h0, err := desiredHash(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := desiredHash(tt.other)
			if err != nil {
				t.Fatal(err)
			}
			if (h == h0) != tt.equal {
				t.Errorf("hash equal = %v, want %v", h == h0, tt.equal)
			}
		})
	}
	annotated, _ := withHash(base)
	if _, ok := base.GetAnnotations()[AnnotationAppliedHash]; ok {
		t.Error("withHash changed the rendered object")
	}
	if annotated.GetAnnotations()[AnnotationAppliedHash] != h0 {
		t.Error("withHash did not annotate the copy")
	}
}
