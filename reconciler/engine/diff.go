package engine

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

// unifiedDiff is the diff of a live object against the desired one.
func unifiedDiff(ref Ref, before, after *unstructured.Unstructured) (string, error) {
	return UnifiedDiff(ref, before, after, "live", "desired")
}

// UnifiedDiff renders the change from before to after (either may be nil)
// as a unified diff whose file names are the two labels and the object's
// Ref ("live/apps/Deployment models/llama"). Server-maintained metadata,
// status and gitplane's hash annotation are left out; Secret values are
// redacted first.
func UnifiedDiff(ref Ref, before, after *unstructured.Unstructured, beforeLabel, afterLabel string) (string, error) {
	before, after = redactPair(ref, before, after)
	a, err := yamlLines(forDiff(before))
	if err != nil {
		return "", fmt.Errorf("diffing %s: %w", ref, err)
	}
	b, err := yamlLines(forDiff(after))
	if err != nil {
		return "", fmt.Errorf("diffing %s: %w", ref, err)
	}
	from, to := beforeLabel+"/"+ref.String(), afterLabel+"/"+ref.String()
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
