package engine

import (
	"encoding/base64"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func secret(data map[string]any, stringData map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "keys", "namespace": "ai", "annotations": map[string]any{
			"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"key":"c2VjcmV0LXZhbHVlLTE="}}`,
		}},
	}}
	if data != nil {
		o.Object["data"] = data
	}
	if stringData != nil {
		o.Object["stringData"] = stringData
	}
	return o
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestSecretDiffsAreRedacted(t *testing.T) {
	live := secret(map[string]any{"key": b64("secret-value-1"), "same": b64("unchanged-value")}, nil)
	desired := secret(map[string]any{"key": b64("secret-value-2"), "same": b64("unchanged-value")}, map[string]any{"extra": "plain-secret"})
	diff, err := unifiedDiff(RefOf(desired), live, desired)
	if err != nil {
		t.Fatal(err)
	}
	for _, value := range []string{"secret-value-1", "secret-value-2", "unchanged-value", "plain-secret", b64("secret-value-1"), b64("secret-value-2"), b64("unchanged-value")} {
		if strings.Contains(diff, value) {
			t.Errorf("diff shows secret value %q:\n%s", value, diff)
		}
	}
	if !strings.Contains(diff, "+  key: '"+RedactedChanged+"'") {
		t.Errorf("diff does not say the key changed:\n%s", diff)
	}
	if strings.Contains(diff, "+  same:") || strings.Contains(diff, "-  same:") {
		t.Errorf("unchanged key appears as changed:\n%s", diff)
	}
}

func TestRedactTextRemovesSecretValues(t *testing.T) {
	s := secret(map[string]any{"key": b64("hunter2-long")}, nil)
	msg := `Secret "keys" is invalid: data[key]: Invalid value: "hunter2-long" (` + b64("hunter2-long") + `)`
	got := RedactText(msg, s)
	if strings.Contains(got, "hunter2") || strings.Contains(got, b64("hunter2-long")) {
		t.Errorf("RedactText left the value in: %s", got)
	}
	if other := cm("ns", "x", map[string]any{"k": "hunter2-long"}); RedactText("hunter2-long", other) != "hunter2-long" {
		t.Error("ConfigMap values must not be redacted")
	}
}

// TestTextRedactorLongestFirst: a value that contains another Secret's
// value is removed whole, whichever object comes first.
func TestTextRedactorLongestFirst(t *testing.T) {
	short := secret(nil, map[string]any{"a": "tok1"})
	long := secret(nil, map[string]any{"b": "tok1-and-more"})
	for _, objs := range [][]*unstructured.Unstructured{{short, long}, {long, short}} {
		redact := TextRedactor(objs...)
		got := redact(`value "tok1-and-more", then "tok1"`)
		if want := `value "` + Redacted + `", then "` + Redacted + `"`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	if got := TextRedactor(cm("ns", "x", map[string]any{"k": "tok1-and-more"}))("tok1-and-more"); got != "tok1-and-more" {
		t.Errorf("ConfigMap values must not be redacted: %s", got)
	}
}
