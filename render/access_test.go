package render_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/render"
)

// examplesWith is the examples in memory with files rewritten by
// replacing old with new once.
func examplesWith(t *testing.T, edits map[string][2]string) fstest.MapFS {
	t.Helper()
	fsys := examplesFS(t)
	for p, e := range edits {
		data := string(fsys[p].Data)
		if !strings.Contains(data, e[0]) {
			t.Fatalf("%q not in %s", e[0], p)
		}
		fsys[p] = &fstest.MapFile{Data: []byte(strings.Replace(data, e[0], e[1], 1))}
	}
	return fsys
}

func find(t *testing.T, objs []*unstructured.Unstructured, kind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s/%s rendered", kind, namespace, name)
	return nil
}

// allows evaluates an Istio ALLOW AuthorizationPolicy's rules as Istio
// does for a caller with a mesh identity: allowed when some rule's from
// has a source whose principals or namespaces include the caller; a policy
// without rules allows nothing.
func allows(t *testing.T, ap *unstructured.Unstructured, namespace, serviceAccount string) bool {
	t.Helper()
	if action, _, _ := unstructured.NestedString(ap.Object, "spec", "action"); action != "ALLOW" {
		t.Fatalf("policy action %q", action)
	}
	rules, _, _ := unstructured.NestedSlice(ap.Object, "spec", "rules")
	for _, r := range rules {
		from, _, _ := unstructured.NestedSlice(r.(map[string]any), "from")
		for _, f := range from {
			src := f.(map[string]any)["source"].(map[string]any)
			principals, _, _ := unstructured.NestedStringSlice(src, "principals")
			namespaces, _, _ := unstructured.NestedStringSlice(src, "namespaces")
			if slices.Contains(principals, "cluster.local/ns/"+namespace+"/sa/"+serviceAccount) || slices.Contains(namespaces, namespace) {
				return true
			}
		}
	}
	return false
}

// TestInternalModelCallers: an internal Model admits the callers its spec
// names, the Gateways routing to it, and nobody else; the ingress gateway
// gets in only where an ingress route exists; in-mesh callers reach an
// internal Model by its Service name.
func TestInternalModelCallers(t *testing.T) {
	fsys := examplesWith(t, map[string][2]string{
		"models/whisper.yaml": {"    namespaces: [transcription]", "    namespaces: [transcribe]\n    serviceAccounts: [support/ticket-bot]"},
	})
	res, err := render.Render(context.Background(), fsys, "staging")
	if err != nil {
		t.Fatal(err)
	}
	whisper := find(t, res.Objects, "AuthorizationPolicy", "speech", "whisper-large")
	llama := find(t, res.Objects, "AuthorizationPolicy", "models", "llama-3-8b")
	for _, c := range []struct {
		what       string
		policy     *unstructured.Unstructured
		ns, sa     string
		wantAllows bool
	}{
		{"a workload in a listed namespace", whisper, "transcribe", "default", true},
		{"a listed service account", whisper, "support", "ticket-bot", true},
		{"another service account of that namespace", whisper, "support", "default", false},
		{"a workload in another namespace", whisper, "search", "default", false},
		{"the ingress gateway, no ingress route to an internal Model", whisper, "istio-system", "istio-ingressgateway-service-account", false},
		{"the ingress gateway, public Model", llama, "istio-system", "istio-ingressgateway-service-account", true},
		{"the Gateway routing to the Model", llama, "ai-gateway", "ai", true},
		{"a workload the public Model's spec does not name", llama, "transcribe", "default", false},
	} {
		if got := allows(t, c.policy, c.ns, c.sa); got != c.wantAllows {
			t.Errorf("%s (%s/%s) on %s: allowed = %v, want %v", c.what, c.ns, c.sa, c.policy.GetName(), got, c.wantAllows)
		}
	}
	vs := find(t, res.Objects, "VirtualService", "speech", "whisper-large")
	hosts, _, _ := unstructured.NestedStringSlice(vs.Object, "spec", "hosts")
	if !slices.Contains(hosts, "whisper-large.speech.svc.cluster.local") {
		t.Errorf("the internal Model's mesh route has hosts %v, not its Service name", hosts)
	}
}

// TestModelSecurityContext: every Model container drops privileges by
// default; the spec adds what the image allows, and a read-only root gets
// writable cache and /tmp volumes.
func TestModelSecurityContext(t *testing.T) {
	fsys := examplesWith(t, map[string][2]string{
		"models/whisper.yaml": {"  expose:", "  security: {runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true, cachePath: /models}\n  expose:"},
	})
	res, err := render.Render(context.Background(), fsys, "staging")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ns, name string
		want     map[string]any
	}{
		{"models", "llama-3-8b", map[string]any{"allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}}, "seccompProfile": map[string]any{"type": "RuntimeDefault"}}},
		{"speech", "whisper-large", map[string]any{"allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}}, "seccompProfile": map[string]any{"type": "RuntimeDefault"},
			"runAsNonRoot": true, "runAsUser": int64(1000), "readOnlyRootFilesystem": true}},
	} {
		d := find(t, res.Objects, "Deployment", c.ns, c.name)
		containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		got := containers[0].(map[string]any)["securityContext"]
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s securityContext = %v, want %v", c.name, got, c.want)
		}
	}
	d := find(t, res.Objects, "Deployment", "speech", "whisper-large")
	volumes, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "volumes")
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	mounts, _, _ := unstructured.NestedSlice(containers[0].(map[string]any), "volumeMounts")
	env, _, _ := unstructured.NestedSlice(containers[0].(map[string]any), "env")
	if len(volumes) != 2 || len(mounts) != 2 || !slices.ContainsFunc(env, func(e any) bool {
		return e.(map[string]any)["name"] == "HF_HOME" && e.(map[string]any)["value"] == "/models"
	}) {
		t.Errorf("read-only root: volumes %v, mounts %v, env %v", volumes, mounts, env)
	}
	for _, o := range res.Objects {
		if o.GetKind() == "PodDisruptionBudget" {
			if p, _, _ := unstructured.NestedString(o.Object, "spec", "unhealthyPodEvictionPolicy"); p != "AlwaysAllow" {
				t.Errorf("PodDisruptionBudget %s/%s: unhealthyPodEvictionPolicy %q, want AlwaysAllow", o.GetNamespace(), o.GetName(), p)
			}
		}
	}
}
