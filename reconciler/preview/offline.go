package preview

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/gitplane/gitplane/reconciler"
)

// offlinePlan compares the head render with the base render as if the base
// were what the cluster holds and gitplane's inventory: the same actions,
// ordering, prune guards and deletion risks as a plan against a cluster
// synced to the base, with diffs of the rendered objects (Secret values
// redacted).
func offlinePlan(env string, base, head []*unstructured.Unstructured, opts reconciler.PlanOptions) (*reconciler.Plan, error) {
	live := reconciler.Live{Objects: map[reconciler.ID]*unstructured.Unstructured{}}
	refs := make([]reconciler.Ref, 0, len(base))
	for _, o := range base {
		ref := reconciler.RefOf(o)
		live.Objects[ref.ID()] = o
		refs = append(refs, ref)
	}
	plan := reconciler.Reconcile(env, head, live, reconciler.NewInventory(refs...), opts)
	for i := range plan.Changes {
		c := &plan.Changes[i]
		c.Drift = false // nothing was changed in a cluster: there is none
		if c.Action != reconciler.ActionCreate && c.Action != reconciler.ActionDelete {
			c.Action = reconciler.ActionUnchanged
			if !reflect.DeepEqual(forDiff(c.Live), forDiff(c.Desired)) {
				c.Action = reconciler.ActionConfigure
			}
		}
		if c.Action == reconciler.ActionUnchanged {
			continue
		}
		d, err := unifiedDiff(c.Ref, c.Live, c.Desired)
		if err != nil {
			return nil, err
		}
		c.Diff = d
	}
	return plan, nil
}

// forDiff is the object as a diff shows it: without status and the
// server-maintained metadata a render never has.
func forDiff(o *unstructured.Unstructured) map[string]any {
	if o == nil {
		return nil
	}
	c := o.DeepCopy()
	for _, f := range []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp"} {
		unstructured.RemoveNestedField(c.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(c.Object, "status")
	return c.Object
}

// unifiedDiff is the change from before to after (either may be nil), with
// Secret values redacted, named base/<ref> and head/<ref>.
func unifiedDiff(ref reconciler.Ref, before, after *unstructured.Unstructured) (string, error) {
	before, after = redactPair(ref, before, after)
	a, err := yamlLines(forDiff(before))
	if err != nil {
		return "", fmt.Errorf("diffing %s: %w", ref, err)
	}
	b, err := yamlLines(forDiff(after))
	if err != nil {
		return "", fmt.Errorf("diffing %s: %w", ref, err)
	}
	from, to := "base/"+ref.String(), "head/"+ref.String()
	if before == nil {
		from = "/dev/null"
	}
	if after == nil {
		to = "/dev/null"
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: a, B: b, FromFile: from, ToFile: to, Context: 3})
}

func yamlLines(obj map[string]any) ([]string, error) {
	if obj == nil {
		return nil, nil
	}
	b, err := yaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return difflib.SplitLines(strings.TrimSuffix(string(b), "\n")), nil
}
