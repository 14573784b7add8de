package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// watchedEngine is an Engine with Options.Watch whose watch streams are
// counted.
func watchedEngine(t *testing.T, opts engine.Options) (*engine.Engine, *testenv.WatchStreams) {
	t.Helper()
	cfg := testenv.Config(t)
	streams := &testenv.WatchStreams{}
	cfg.Wrap(streams.Wrap)
	opts.Watch = true
	e, err := engine.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e, streams
}

// serverWatches is how many WATCH requests of the resource the API server
// is serving now (its apiserver_longrunning_requests gauge).
func serverWatches(t *testing.T, cfg *rest.Config, group, resource string) int {
	t.Helper()
	dc := discovery.NewDiscoveryClientForConfigOrDie(cfg)
	body, err := dc.RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatalf("reading the API server's metrics: %v", err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_longrunning_requests{") || !strings.Contains(line, `verb="WATCH"`) ||
			!strings.Contains(line, fmt.Sprintf(`group=%q`, group)) || !strings.Contains(line, fmt.Sprintf(`resource=%q`, resource)) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		n += int(v)
	}
	return n
}

// testKind installs a cluster-scoped CRD of a group of the test's own, so
// that nothing else watches its kind; it returns the group.
func testKind(t *testing.T, kind, plural string) string {
	t.Helper()
	group := testenv.UniqueName("lifetime") + ".gitplane.test"
	installCRD(t, group, kind, plural)
	waitUntil(t, 30*time.Second, func() bool { return crdEstablished(t, plural+"."+group) })
	return group
}

func installCRD(t *testing.T, group, kind, plural string) {
	t.Helper()
	client := apiextclient.NewForConfigOrDie(testenv.Config(t))
	preserve := true
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group, Scope: apiextensionsv1.ClusterScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: strings.ToLower(kind)},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: &preserve}}}},
		},
	}
	if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(context.Background(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating CRD %s: %v", crd.Name, err)
	}
	t.Cleanup(func() {
		_ = client.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), crd.Name, metav1.DeleteOptions{})
	})
}

func crdEstablished(t *testing.T, name string) bool {
	t.Helper()
	client := apiextclient.NewForConfigOrDie(testenv.Config(t))
	crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(context.Background(), name, metav1.GetOptions{})
	return err == nil && testenv.Established(crd)
}

func object(apiVersion, kind, ns, name, env string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": name, "labels": map[string]any{engine.LabelEnvironment: env}}}}
	if ns != "" {
		o.SetNamespace(ns)
	}
	return o
}

// stepWhileWaiting steps clk by step whenever something waits on it,
// until the test ends: the engine's waits then pass in fake time.
func stepWhileWaiting(t *testing.T, clk *clocktesting.FakeClock, step time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if clk.HasWaiters() {
				clk.Step(step)
			}
			time.Sleep(time.Millisecond) // let the waiters run
		}
	}()
}
