package reconciler

import (
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// noisyMetadata are fields the server maintains; they are left out of diffs.
var noisyMetadata = []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp"}

// forDiff returns the object as a diff shows it: without server-maintained
// metadata, status or gitplane's hash annotation.
func forDiff(o *unstructured.Unstructured) map[string]any {
	if o == nil {
		return nil
	}
	c := o.DeepCopy()
	for _, f := range noisyMetadata {
		unstructured.RemoveNestedField(c.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(c.Object, "status")
	if a := c.GetAnnotations(); a != nil {
		delete(a, AnnotationAppliedHash)
		if len(a) == 0 {
			unstructured.RemoveNestedField(c.Object, "metadata", "annotations")
		} else {
			c.SetAnnotations(a)
		}
	}
	return c.Object
}

// unifiedDiff renders the change from before to after (either may be nil)
// as a unified diff with the object's Ref as file names. Secret values are
// redacted first.
func unifiedDiff(ref Ref, before, after *unstructured.Unstructured) (string, error) {
	before, after = redactPair(ref, before, after)
	a, err := yamlLines(forDiff(before))
	if err != nil {
		return "", fmt.Errorf("diffing %s: %w", ref, err)
	}
	b, err := yamlLines(forDiff(after))
	if err != nil {
		return "", fmt.Errorf("diffing %s: %w", ref, err)
	}
	from, to := "live/"+ref.String(), "desired/"+ref.String()
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
