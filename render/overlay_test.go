package render

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/gitplane/gitplane/schema"
)

// overlayCases are overlays of the examples' prod Environment. partial says
// whether only the objects the patches target go through kustomize.
var overlayCases = []struct {
	name    string
	files   map[string]string // the overlay folder
	partial bool
	expect  string // a line of the patched output
}{
	{"patch targets kind and name", map[string]string{"kustomization.yaml": `
patches:
- target: {kind: Deployment, name: llama-3-8b}
  patch: |-
    - op: add
      path: /spec/template/spec/priorityClassName
      value: ml-serving
`}, true, `      priorityClassName: ml-serving`},
	{"patch targets a name pattern and namespace", map[string]string{"kustomization.yaml": `
patches:
- target: {group: apps, version: v1, kind: Deployment, name: "whisper-.*", namespace: speech}
  patch: |-
    - op: replace
      path: /spec/template/spec/terminationGracePeriodSeconds
      value: 60
`}, true, `      terminationGracePeriodSeconds: 60`},
	{"patch targets a label selector", map[string]string{"kustomization.yaml": `
patches:
- target: {labelSelector: "app.kubernetes.io/name=whisper-large,app.kubernetes.io/component=model"}
  patch: |-
    - op: add
      path: /metadata/annotations/team
      value: speech
`}, true, `    team: speech`},
	{"patch targets an annotation selector", map[string]string{"kustomization.yaml": `
patches:
- target: {kind: ServiceAccount, annotationSelector: "eks.amazonaws.com/sts-regional-endpoints=true"}
  patch: |-
    - op: add
      path: /metadata/labels/irsa
      value: "true"
`}, true, `    irsa: "true"`},
	{"strategic-merge patch file", map[string]string{
		"kustomization.yaml": "patchesStrategicMerge:\n- resources.yaml\n",
		"resources.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: ai, namespace: ai-gateway}
spec:
  template:
    spec:
      containers:
      - name: gateway
        resources:
          requests: {cpu: "1", memory: 1Gi}
`}, true, `            cpu: "1"`},
	{"strategic-merge patch by path with two documents", map[string]string{
		"kustomization.yaml": "patches:\n- path: patch.yaml\n",
		"patch.yaml": `apiVersion: v1
kind: Service
metadata:
  name: llama-3-8b
  namespace: models
  annotations: {a: b}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: llama-3-8b, namespace: models}
spec:
  replicas: 2
`}, true, `  replicas: 2`},
	{"extra resource and a patch", map[string]string{
		"kustomization.yaml": "resources:\n- priorityclass.yaml\npatches:\n- target: {kind: PriorityClass}\n  patch: '[{\"op\": \"replace\", \"path\": \"/value\", \"value\": 2000}]'\n",
		"priorityclass.yaml": "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: ml-serving}\nvalue: 1000\n",
	}, true, `value: 2000`},
	{"JSON 6902 patch file", map[string]string{
		"kustomization.yaml": "patchesJson6902:\n- target: {group: autoscaling, version: v2, kind: HorizontalPodAutoscaler, name: llama-3-8b, namespace: models}\n  path: hpa.yaml\n",
		"hpa.yaml":           "- op: replace\n  path: /spec/maxReplicas\n  value: 9\n",
	}, true, `  maxReplicas: 9`},
	{"images fall back to a full pass", map[string]string{"kustomization.yaml": `
images:
- name: vllm/vllm-openai
  newTag: v0.7.0
`}, false, `        image: vllm/vllm-openai:v0.7.0`},
	{"common annotations fall back to a full pass", map[string]string{"kustomization.yaml": `
commonAnnotations: {owner: ml-platform}
patches:
- target: {kind: Deployment, name: llama-3-8b}
  patch: '[{"op": "add", "path": "/spec/template/spec/priorityClassName", "value": "ml-serving"}]'
`}, false, `    owner: ml-platform`},
	{"name prefix falls back to a full pass", map[string]string{"kustomization.yaml": "namePrefix: prod-\nresources:\n- cm.yaml\n",
		"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: models}\ndata: {a: b}\n"}, false, `  name: prod-extra`},
}

// TestOverlay renders the examples' prod Environment with each overlay and
// compares with one full kustomize build over the overlay, whose base is
// every object gitplane renders.
func TestOverlay(t *testing.T) {
	for _, tc := range overlayCases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := examplesWithOverlay(t, tc.files)
			repo, err := schema.Load(fsys)
			if err != nil {
				t.Fatal(err)
			}
			env := findEnvironment(repo, "prod")
			files, kust, raw, err := readOverlay(fsys, env.Spec.Overlay, schema.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			_, selectable := patchSelectors(kust, files, env.Spec.Overlay)
			if partial := onlyTargeted(raw) && selectable; partial != tc.partial {
				t.Errorf("targets only the patched objects: %v, want %v", partial, tc.partial)
			}
			got, err := NewRenderer().Render(context.Background(), repo, fsys, "prod")
			if err != nil {
				t.Fatal(err)
			}
			want := fullOverlayBuild(t, repo, fsys, env)
			gotYAML, _ := YAML(got.Objects)
			wantYAML, _ := YAML(want)
			if !strings.Contains(string(gotYAML), "\n"+tc.expect+"\n") {
				t.Errorf("the overlay's change %q is not in the output", tc.expect)
			}
			if string(gotYAML) != string(wantYAML) {
				t.Errorf("render differs from a full kustomize build of the overlay:\n%s", lineDiff(string(wantYAML), string(gotYAML)))
			}
		})
	}
}

// examplesWithOverlay copies examples/specs into memory, with files as the
// prod overlay folder.
func examplesWithOverlay(t *testing.T, files map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	src := os.DirFS("../examples/specs")
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "overlays/prod/") {
			return err
		}
		data, err := fs.ReadFile(src, p)
		fsys[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if name == "kustomization.yaml" {
			data = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + strings.TrimPrefix(data, "\n")
		}
		fsys["overlays/prod/"+name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

// fullOverlayBuild is what `kustomize build` on the overlay gives with all
// of gitplane's objects as its first resource, with gitplane's annotation
// and labels on the objects the overlay adds.
func fullOverlayBuild(t *testing.T, repo *schema.Repo, fsys fs.FS, env *schema.Environment) []*unstructured.Unstructured {
	t.Helper()
	bare := *env
	bare.Spec.Overlay = ""
	base, err := NewRenderer().Render(context.Background(), &schema.Repo{
		Environments: []*schema.Environment{&bare}, Models: repo.Models, Gateways: repo.Gateways,
	}, fsys, "prod")
	if err != nil {
		t.Fatal(err)
	}
	baseYAML, err := YAML(base.Objects)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"/overlay/base.yaml": baseYAML}
	var kust map[string]any
	err = fs.WalkDir(fsys, env.Spec.Overlay, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if strings.HasSuffix(p, "/kustomization.yaml") {
			err = yaml.Unmarshal(data, &kust)
		}
		files["/overlay/"+strings.TrimPrefix(p, env.Spec.Overlay+"/")] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	kust["resources"] = append([]any{"base.yaml"}, asList(kust["resources"])...)
	if files["/overlay/kustomization.yaml"], err = yaml.Marshal(kust); err != nil {
		t.Fatal(err)
	}
	objs, err := kustomizeBuild(files, "/overlay", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if _, ok := o.GetAnnotations()[AnnotationSource]; !ok {
			annotate(o, AnnotationSource, env.Spec.Overlay)
			o.SetLabels(mergeLabels(o.GetLabels(), map[string]string{LabelManagedBy: ManagedByValue, LabelEnvironment: "prod"}))
		}
	}
	Sort(objs)
	return objs
}

// lineDiff shows the first line where two texts differ, with context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			lo := max(0, i-5)
			return "want:\n" + strings.Join(w[lo:min(len(w), i+3)], "\n") + "\ngot:\n" + strings.Join(g[lo:min(len(g), i+3)], "\n")
		}
	}
	return ""
}
