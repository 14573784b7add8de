package preview

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const badService = `apiVersion: v1
kind: Service
metadata: {name: bad-port, namespace: ai-gateway}
spec:
  ports: [{name: http, port: 70000}]
`

// TestPlannedPreview applies the examples' prod Environment (with a Secret
// from its overlay) to the local control plane, then previews a head that
// changes Llama's image and the Secret, deletes the Whisper Model and adds
// a Service the API server rejects. The preview must show all of it, write
// nothing, and quote no Secret value.
func TestPlannedPreview(t *testing.T) {
	cfg := testenv.Config(t)
	ctx := context.Background()
	createNamespace(t, "istio-ingress") // the Istio install owns it
	eng, err := engine.New(cfg, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	own := testenv.ExampleSpecs(t, t.TempDir()) // Environments and namespaces of this test's own
	env, gw := own.Env("prod"), own.Namespace("ai-gateway")
	inGateway := func(yaml string) string { return strings.ReplaceAll(yaml, "namespace: ai-gateway", "namespace: "+gw) }
	addSecret := edit{"overlays/prod/kustomization.yaml", "- priorityclass.yaml\n", "- priorityclass.yaml\n- secret.yaml\n- bad.yaml\n"}
	base := apply(t, readSpecs(t, own.Dir), addSecret,
		edit{file: "overlays/prod/secret.yaml", new: inGateway(secretFile("sk-live-base-a-1234", "sk-live-base-b-5678"))},
		edit{file: "overlays/prod/bad.yaml", new: inGateway(strings.Replace(badService, "70000", "8080", 1))})
	applySpecs(t, eng, env, base)

	head := apply(t, base,
		edit{"models/llama.yaml", "vllm-openai:v0.6.3", "vllm-openai:v0.7.0"},
		edit{file: "models/whisper.yaml"},
		edit{file: "overlays/prod/secret.yaml", new: inGateway(secretFile("sk-live-head-a-4321", "sk-live-base-b-5678"))},
		edit{file: "overlays/prod/bad.yaml", new: inGateway(badService)},
		// The Gateway's Service asks for another cluster IP: immutable.
		edit{"overlays/prod/kustomization.yaml", "patches:\n", "patches:\n- target: {kind: Service, name: ai}\n  patch: |-\n    - op: add\n      path: /spec/clusterIP\n      value: 10.0.0.123\n"},
	)
	p, err := Environment(ctx, Input{Env: env, Base: base, Head: head, HeadSHA: headSHA, Engines: engine.Fixed(eng),
		FileURL: fileURL, PlanOptions: engine.PlanOptions{Prune: true, ConfirmPrune: true}})
	if err != nil {
		t.Fatal(err)
	}
	md := Markdown([]*EnvPreview{p}, MarkdownOptions{})
	if s := p.Plan.Summary(); s.Configure < 2 || s.Delete < 5 || s.Create != 0 || p.Offline {
		t.Errorf("summary %s, offline %v; want the Deployment and the Secret configured, Whisper's objects deleted", s, p.Offline)
	}
	if errs := strings.Join(p.ServerErrors, "\n"); !p.Failed || len(p.ServerErrors) != 2 || !strings.Contains(errs, "Service "+gw+"/bad-port") || !strings.Contains(errs, "70000") {
		t.Errorf("server errors %q (failed %v); want the Service's port rejected and the cluster IP immutable", p.ServerErrors, p.Failed)
	}
	for _, want := range []string{
		"planned against the live cluster",
		"❌ 2 rejected by the API server",
		"**image vllm/vllm-openai**: `v0.6.3` → `v0.7.0`",
		"🗑️ **Model** `" + own.Namespace("speech") + "/whisper-large` (removed)",
		"⚠️ `karpenter.sh/NodePool " + own.Namespace("speech") + "-whisper-large-spot` deleted: deletes a Karpenter NodePool",
		"⚠️ `ServiceAccount " + own.Namespace("speech") + "/whisper-large` deleted",
		"<code>Secret " + gw + "/ai-gateway-api-keys</code> configured",
		"+        image: vllm/vllm-openai:v0.7.0",
		"#### Estimated GPU cost: " + env,
		"- `Service " + gw + "/ai: immutable field(s) spec.clusterIPs[0] cannot change",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	for _, v := range []string{"sk-live-base-a-1234", "sk-live-base-b-5678", "sk-live-head-a-4321"} {
		if strings.Contains(md, v) || strings.Contains(md, base64.StdEncoding.EncodeToString([]byte(v))) {
			t.Errorf("the preview shows the Secret value %s:\n%s", v, md)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("preview:\n%s", md)
	}
	// Nothing was written: the cluster still matches the base.
	if again := planSpecs(t, eng, env, base); again.HasChanges() {
		t.Errorf("after the preview the base plans changes: %s", again.Summary())
	}
}

func planSpecs(t *testing.T, eng *engine.Engine, env string, specs fstest.MapFS) *engine.Plan {
	t.Helper()
	repo, err := schema.Load(specs)
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.NewRenderer().Render(context.Background(), repo, specs, env)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := eng.Plan(context.Background(), engine.PlanRequest{Environment: env, Objects: res.Objects, PlanOptions: engine.PlanOptions{Prune: true}})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func applySpecs(t *testing.T, eng *engine.Engine, env string, specs fstest.MapFS) {
	t.Helper()
	if _, err := eng.Apply(context.Background(), planSpecs(t, eng, env, specs), engine.ApplyOptions{}); err != nil {
		t.Fatalf("applying the base: %v", err)
	}
}

func createNamespace(t *testing.T, name string) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(testenv.Config(t))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
