package engine

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Redacted replaces Secret values wherever gitplane prints objects.
const (
	Redacted        = "*** (redacted)"
	RedactedChanged = "*** (redacted, changed)"
)

func isSecret(r Ref) bool { return r.Group == "" && r.Kind == "Secret" }

// redactPair returns copies of a Secret's live and desired forms with every
// value in data and stringData replaced, marking values that differ, so a
// diff still shows which keys change. Other objects are returned as they are.
func redactPair(ref Ref, live, desired *unstructured.Unstructured) (*unstructured.Unstructured, *unstructured.Unstructured) {
	if !isSecret(ref) {
		return live, desired
	}
	old := secretValues(live)
	return maskSecret(live, nil), maskSecret(desired, func(key, value string) string {
		if v, ok := old[key]; ok && v != value {
			return RedactedChanged
		}
		return Redacted
	})
}

// secretValues returns a Secret's values by key, stringData decoded into the
// same form as data.
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
// mask is nil); last-applied annotations, which may hold the values, go too.
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
			if mask != nil {
				m[k] = mask(k, s)
			} else {
				m[k] = Redacted
			}
		}
		_ = unstructured.SetNestedMap(c.Object, m, field)
	}
	if a := c.GetAnnotations(); a != nil {
		delete(a, "kubectl.kubernetes.io/last-applied-configuration")
		c.SetAnnotations(a)
	}
	c.SetManagedFields(nil)
	return c
}

// RedactText removes the values of the Secrets among objs from text such as
// an API error, which may quote the object. Values are searched both
// base64-encoded and decoded; values shorter than 4 bytes are left alone.
func RedactText(text string, objs ...*unstructured.Unstructured) string {
	return TextRedactor(objs...)(text)
}

// TextRedactor is RedactText for many texts: it reads objs once and
// returns the function that redacts one text. Longer values are matched
// first, so a value that contains another is removed whole.
func TextRedactor(objs ...*unstructured.Unstructured) func(string) string {
	seen := map[string]bool{}
	var values []string
	add := func(v string) {
		if len(v) >= 4 && !seen[v] {
			seen[v] = true
			values = append(values, v)
		}
	}
	for _, o := range objs {
		if o == nil || !isSecret(RefOf(o)) {
			continue
		}
		for _, enc := range secretValues(o) {
			if len(enc) < 4 {
				continue
			}
			add(enc)
			if dec, err := base64.StdEncoding.DecodeString(enc); err == nil {
				add(string(dec))
			}
		}
	}
	if len(values) == 0 {
		return func(text string) string { return text }
	}
	slices.SortFunc(values, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, Redacted)
	}
	return strings.NewReplacer(pairs...).Replace
}
