package engine_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// counter counts the requests a client sends, by method. Writes are every
// request that is not a GET (list, get and watch are GETs).
type counter struct {
	mu      sync.Mutex
	methods map[string]int
	next    http.RoundTripper
	// before, when set, runs first and may answer the request itself.
	before func(*http.Request) (*http.Response, error)
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.methods[r.Method]++
	before := c.before
	c.mu.Unlock()
	if before != nil {
		if resp, err := before(r); resp != nil || err != nil {
			return resp, err
		}
	}
	return c.next.RoundTrip(r)
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.methods = map[string]int{}
}

func (c *counter) writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for m, k := range c.methods {
		if m != http.MethodGet {
			n += k
		}
	}
	return n
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.methods {
		n += k
	}
	return n
}

// harness is an Engine on the test control plane whose requests are counted,
// and a plain client to look at (and tamper with) the cluster.
type harness struct {
	t      testing.TB
	engine *engine.Engine
	count  *counter
	dyn    dynamic.Interface
	cfg    *rest.Config
}

func newHarness(t testing.TB, opts engine.Options) *harness {
	t.Helper()
	cfg := testenv.Config(t)
	h := &harness{t: t, count: &counter{methods: map[string]int{}}, dyn: dynamic.NewForConfigOrDie(cfg), cfg: cfg}
	counted := rest.CopyConfig(cfg)
	counted.Wrap(func(rt http.RoundTripper) http.RoundTripper { h.count.next = rt; return h.count })
	e, err := engine.New(counted, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.engine = e
	h.ensureNamespace("istio-system")
	return h
}

func (h *harness) ensureNamespace(name string) {
	h.t.Helper()
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	if _, err := h.dyn.Resource(gvr).Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		h.t.Fatalf("creating namespace %s: %v", name, err)
	}
}

// plan plans objs for env.
func (h *harness) plan(env string, objs []*unstructured.Unstructured, opts engine.PlanOptions) *engine.Plan {
	h.t.Helper()
	p, err := h.engine.Plan(context.Background(), engine.PlanRequest{Environment: env, Objects: objs, PlanOptions: opts, Diffs: true})
	if err != nil {
		h.t.Fatalf("planning %s: %v", env, err)
	}
	return p
}

// sync plans and applies, failing the test on any error.
func (h *harness) sync(env string, objs []*unstructured.Unstructured, opts engine.PlanOptions) *engine.Plan {
	h.t.Helper()
	p := h.plan(env, objs, opts)
	out, err := h.engine.Apply(context.Background(), p, engine.ApplyOptions{})
	if err != nil {
		h.t.Fatalf("applying %s: %v", env, err)
	}
	return out
}

func (h *harness) get(gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	h.t.Helper()
	o, err := h.dyn.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("getting %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return o
}

func (h *harness) exists(gvr schema.GroupVersionResource, ns, name string) bool {
	h.t.Helper()
	_, err := h.dyn.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return true
}

var (
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	configmaps  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	secrets     = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	namespaces  = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	nodepools   = schema.GroupVersionResource{Group: "karpenter.sh", Version: "v1", Resource: "nodepools"}
)

// model is one generated Model spec.
type model struct {
	name, image string
}

// specRepo is an Environment named env with the given Models in namespace
// <env>-models, so tests sharing the control plane do not meet.
func specRepo(env string, models ...model) fstest.MapFS {
	fsys := fstest.MapFS{"env.yaml": {Data: fmt.Appendf(nil, envSpec, env, env)}}
	for _, m := range models {
		fsys["models/"+m.name+".yaml"] = &fstest.MapFile{Data: fmt.Appendf(nil, modelSpec, m.name, env, m.image, m.name)}
	}
	return fsys
}

const envSpec = `apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata: {name: %s}
spec:
  cluster: {name: %s, region: us-east-1, accountId: "111122223333", oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/TEST"}
  ingress: {certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/test", domain: test.example.com}
  nodes: {role: NodeRole, subnetSelector: {a: b}, securityGroupSelector: {a: b}}
`

const modelSpec = `apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: %s, namespace: %s-models}
spec:
  image: %s
  resources: {gpu: {memory: 24Gi}, cpu: "2", memory: 8Gi}
  replicas: {min: 1, max: 3}
  iam: {roleArn: "arn:aws:iam::111122223333:role/%s"}
`

// rendered renders env from the spec repository.
func rendered(t testing.TB, fsys fstest.MapFS, env string) []*unstructured.Unstructured {
	t.Helper()
	res, err := render.Render(context.Background(), fsys, env)
	if err != nil {
		t.Fatalf("rendering %s: %v", env, err)
	}
	return res.Objects
}

// actions maps "Kind name" to the plan's action, for compact assertions.
func actions(p *engine.Plan) map[string]engine.Action {
	out := map[string]engine.Action{}
	for _, c := range p.Changes {
		out[c.Ref.Kind+" "+c.Ref.Name] = c.Action
	}
	return out
}

func changed(p *engine.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		if c.Action != engine.ActionUnchanged {
			out = append(out, fmt.Sprintf("%s %s", c.Ref, c.Action))
		}
	}
	return out
}

// failAfter makes every write after the first n fail as if the process had
// been killed: the request never reaches the server.
func failAfter(n int64) func(*http.Request) (*http.Response, error) {
	var writes atomic.Int64
	return func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet {
			return nil, nil
		}
		if writes.Add(1) > n {
			return nil, context.Canceled
		}
		return nil, nil
	}
}

func fastBackoff(steps int) wait.Backoff {
	return wait.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Steps: steps}
}

// failFirst answers the first n requests with the given status codes in turn,
// as an overloaded or restarting API server would.
func failFirst(n int64, codes ...int) func(*http.Request) (*http.Response, error) {
	var seen atomic.Int64
	return func(r *http.Request) (*http.Response, error) {
		i := seen.Add(1)
		if i > n {
			return nil, nil
		}
		code := codes[int(i-1)%len(codes)]
		body := fmt.Sprintf(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected %d","code":%d}`, code, code)
		h := http.Header{"Content-Type": {"application/json"}}
		if code == http.StatusTooManyRequests {
			h.Set("Retry-After", "0")
		}
		return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// diffHas reports whether a unified diff has a line added ('+') or removed
// ('-') that contains text.
func diffHas(diff string, sign byte, text string) bool {
	for line := range strings.SplitSeq(diff, "\n") {
		if len(line) > 0 && line[0] == sign && !strings.HasPrefix(line, "+++") && !strings.HasPrefix(line, "---") && strings.Contains(line, text) {
			return true
		}
	}
	return false
}

// inventory reads env's inventory; a failed read fails the test.
func (h *harness) inventory(env string) engine.Inventory {
	h.t.Helper()
	inv, err := h.engine.ReadInventory(context.Background(), env)
	if err != nil {
		h.t.Fatalf("reading the inventory of %s: %v", env, err)
	}
	return inv
}
