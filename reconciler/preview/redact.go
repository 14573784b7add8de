package preview

import (
	"encoding/base64"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler"
)

func isSecret(r reconciler.Ref) bool { return r.Group == "" && r.Kind == "Secret" }

// redactPair returns copies of a Secret's two sides with every value of
// data and stringData replaced, marking the values that change so the diff
// still shows which keys do. Other objects are returned as they are.
func redactPair(ref reconciler.Ref, before, after *unstructured.Unstructured) (*unstructured.Unstructured, *unstructured.Unstructured) {
	if !isSecret(ref) {
		return before, after
	}
	old := secretValues(before)
	return maskSecret(before, nil), maskSecret(after, func(key, value string) string {
		if v, ok := old[key]; ok && v != value {
			return reconciler.RedactedChanged
		}
		return reconciler.Redacted
	})
}

// secretValues returns a Secret's values by key, stringData encoded as data.
func secretValues(o *unstructured.Unstructured) map[string]string {
	out := map[string]string{}
	if o == nil {
		return out
	}
	data, _, _ := unstructured.NestedMap(o.Object, "data")
	for k, v := range data {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	sdata, _, _ := unstructured.NestedMap(o.Object, "stringData")
	for k, v := range sdata {
		if s, ok := v.(string); ok {
			out[k] = base64.StdEncoding.EncodeToString([]byte(s))
		}
	}
	return out
}

// maskSecret copies a Secret with its values replaced by mask (Redacted when
// mask is nil) and without the last-applied annotation, which may hold them.
func maskSecret(o *unstructured.Unstructured, mask func(key, value string) string) *unstructured.Unstructured {
	if o == nil {
		return nil
	}
	c := o.DeepCopy()
	for _, field := range []string{"data", "stringData"} {
		m, ok, _ := unstructured.NestedMap(c.Object, field)
		if !ok {
			continue
		}
		for k, v := range m {
			s, _ := v.(string)
			if field == "stringData" {
				s = base64.StdEncoding.EncodeToString([]byte(s))
			}
			m[k] = reconciler.Redacted
			if mask != nil {
				m[k] = mask(k, s)
			}
		}
		_ = unstructured.SetNestedMap(c.Object, m, field)
	}
	if a := c.GetAnnotations(); a != nil {
		delete(a, "kubectl.kubernetes.io/last-applied-configuration")
		c.SetAnnotations(a)
	}
	return c
}

// secretTexts lists every Secret value of the objects, base64-encoded and
// decoded, longest first; values shorter than 4 bytes are left alone.
func secretTexts(objs ...*unstructured.Unstructured) []string {
	seen := map[string]bool{}
	for _, o := range objs {
		if o == nil || !isSecret(reconciler.RefOf(o)) {
			continue
		}
		for _, enc := range secretValues(o) {
			seen[enc] = true
			if dec, err := base64.StdEncoding.DecodeString(enc); err == nil {
				seen[string(dec)] = true
			}
		}
	}
	var out []string
	for s := range seen {
		if len(strings.TrimSpace(s)) >= 4 {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) || len(out[i]) == len(out[j]) && out[i] < out[j] })
	return out
}

// scrubPlan removes every Secret value of the rendered and live objects
// from the plan's diffs, errors and warnings: a second line of defence
// behind the redaction of diffs, for text that quotes objects.
func scrubPlan(plan *reconciler.Plan, rendered []*unstructured.Unstructured) {
	objs := append([]*unstructured.Unstructured(nil), rendered...)
	for _, c := range plan.Changes {
		objs = append(objs, c.Live, c.Desired)
	}
	secrets := secretTexts(objs...)
	if len(secrets) == 0 {
		return
	}
	scrub := func(s string) string {
		for _, v := range secrets {
			s = strings.ReplaceAll(s, v, reconciler.Redacted)
		}
		return s
	}
	for i := range plan.Changes {
		plan.Changes[i].Diff = scrub(plan.Changes[i].Diff)
		plan.Changes[i].Error = scrub(plan.Changes[i].Error)
		plan.Changes[i].Blocked = scrub(plan.Changes[i].Blocked)
	}
	for i := range plan.Warnings {
		plan.Warnings[i] = scrub(plan.Warnings[i])
	}
}
