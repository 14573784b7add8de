package install

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

const namespace = "gitplane-system"

// build runs kustomize on this directory, in process.
func build(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), ".")
	if err != nil {
		t.Fatalf("kustomize build examples/install: %v", err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range resMap.Resources() {
		m, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return objs
}

func find(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind {
			return o
		}
	}
	t.Fatalf("no %s in the kustomization", kind)
	return nil
}

func TestInstallObjects(t *testing.T) {
	objs := build(t)
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
	}
	slices.Sort(got)
	want := []string{
		"ClusterRole//gitplane", "ClusterRoleBinding//gitplane", "Deployment/gitplane-system/gitplane",
		"Namespace//gitplane-system", "Role/gitplane-system/gitplane", "RoleBinding/gitplane-system/gitplane",
		"Service/gitplane-system/gitplane", "ServiceAccount/gitplane-system/gitplane",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("objects = %v, want %v", got, want)
	}
	sa := find(t, objs, "ServiceAccount")
	if arn := sa.GetAnnotations()["eks.amazonaws.com/role-arn"]; !regexp.MustCompile(`^arn:aws:iam::111122223333:role/.+`).MatchString(arn) {
		t.Errorf("ServiceAccount IRSA annotation = %q", arn)
	}
}

func TestDeploymentIsHardened(t *testing.T) {
	dep := find(t, build(t), "Deployment")
	pod := nested[map[string]any](t, dep.Object, "spec", "template", "spec")
	ctrs := nested[[]any](t, pod, "containers")
	if len(ctrs) != 1 {
		t.Fatalf("%d containers, want 1", len(ctrs))
	}
	c := ctrs[0].(map[string]any)
	for _, tc := range []struct {
		what string
		obj  map[string]any
		path []string
		want any
	}{
		{"pod runAsNonRoot", pod, []string{"securityContext", "runAsNonRoot"}, true},
		{"pod seccomp", pod, []string{"securityContext", "seccompProfile", "type"}, "RuntimeDefault"},
		{"service account", pod, []string{"serviceAccountName"}, "gitplane"},
		{"read-only root fs", c, []string{"securityContext", "readOnlyRootFilesystem"}, true},
		{"no privilege escalation", c, []string{"securityContext", "allowPrivilegeEscalation"}, false},
		{"drops all capabilities", c, []string{"securityContext", "capabilities", "drop"}, []any{"ALL"}},
		{"memory limit", c, []string{"resources", "limits", "memory"}, "1Gi"},
		{"cpu request", c, []string{"resources", "requests", "cpu"}, "100m"},
	} {
		if got, _, _ := unstructured.NestedFieldNoCopy(tc.obj, tc.path...); !equal(got, tc.want) {
			t.Errorf("%s: %s = %v, want %v", tc.what, strings.Join(tc.path, "."), got, tc.want)
		}
	}
	args := strings.Join(toStrings(nested[[]any](t, c, "args")), " ")
	for _, want := range []string{"serve ", "--repo=", "--env=", "--data-dir=/var/lib/gitplane", "--webhook-secret-file=", "--listen=:8080"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if !mountsEmptyDir(pod, c, "/var/lib/gitplane") {
		t.Error("the --data-dir /var/lib/gitplane is not an emptyDir mount (the root filesystem is read-only)")
	}
	svcPorts := nested[[]any](t, find(t, build(t), "Service").Object, "spec", "ports")
	p := svcPorts[0].(map[string]any)
	cp := nested[[]any](t, c, "ports")[0].(map[string]any)
	if len(svcPorts) != 1 || !equal(p["port"], int64(80)) || p["targetPort"] != cp["name"] || !equal(cp["containerPort"], int64(8080)) {
		t.Errorf("Service ports %v do not send 80 to the container's 8080 (%v)", svcPorts, cp)
	}
}

func mountsEmptyDir(pod, c map[string]any, path string) bool {
	for _, m := range c["volumeMounts"].([]any) {
		mount := m.(map[string]any)
		if mount["mountPath"] != path {
			continue
		}
		for _, v := range pod["volumes"].([]any) {
			vol := v.(map[string]any)
			if vol["name"] == mount["name"] && vol["emptyDir"] != nil {
				return true
			}
		}
	}
	return false
}

func nested[T any](t *testing.T, obj map[string]any, path ...string) T {
	t.Helper()
	v, ok, _ := unstructured.NestedFieldNoCopy(obj, path...)
	out, isT := v.(T)
	if !ok || !isT {
		t.Fatalf("%s missing or of type %T", strings.Join(path, "."), v)
	}
	return out
}

func toStrings(in []any) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i], _ = v.(string)
	}
	return out
}

// equal compares YAML-decoded values, whose integers may be int or int64.
func equal(got, want any) bool {
	switch g := got.(type) {
	case int:
		got = int64(g)
	case float64:
		got = int64(g)
	case []any:
		w, ok := want.([]any)
		return ok && slices.EqualFunc(g, w, equal)
	}
	return got == want
}
