package render_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/render/version"
	"github.com/gitplane/gitplane/schema"
)

// gatewayObjects are a rendered Gateway's Deployment and runtime config.
type gatewayObjects struct {
	deploy    *unstructured.Unstructured
	container map[string]any
	configMap *unstructured.Unstructured
	entries   []*unstructured.Unstructured // ServiceEntries
}

func findGateway(t *testing.T, res *render.Result, namespace, name string) gatewayObjects {
	t.Helper()
	var g gatewayObjects
	for _, o := range res.Objects {
		if o.GetNamespace() != namespace {
			continue
		}
		switch {
		case o.GetKind() == "Deployment" && o.GetName() == name:
			g.deploy = o
			cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
			g.container = cs[0].(map[string]any)
		case o.GetKind() == "ConfigMap" && o.GetName() == name+"-config":
			g.configMap = o
		case o.GetKind() == "ServiceEntry":
			g.entries = append(g.entries, o)
		}
	}
	if g.deploy == nil || g.configMap == nil {
		t.Fatalf("no Deployment and ConfigMap %s/%s-config rendered", namespace, name)
	}
	return g
}

// mountedFiles lays the Deployment's ConfigMap and Secret volumes out under
// root as the kubelet would (the ConfigMap's data as it is, Secrets as
// placeholder files, each key or item at its path) and returns root+path
// for a path inside the container.
func (g gatewayObjects) mountedFiles(t *testing.T, root string) func(string) string {
	t.Helper()
	vols, _, _ := unstructured.NestedSlice(g.deploy.Object, "spec", "template", "spec", "volumes")
	byName := map[string]map[string]any{}
	for _, v := range vols {
		byName[v.(map[string]any)["name"].(string)] = v.(map[string]any)
	}
	data, _, _ := unstructured.NestedStringMap(g.configMap.Object, "data")
	for _, m := range g.container["volumeMounts"].([]any) {
		mount := m.(map[string]any)
		vol := byName[mount["name"].(string)]
		dir := filepath.Join(root, mount["mountPath"].(string))
		files := map[string]string{}
		switch {
		case vol["configMap"] != nil:
			if got := vol["configMap"].(map[string]any)["name"]; got != g.configMap.GetName() {
				t.Fatalf("volume %s mounts ConfigMap %v, not the rendered %s", mount["name"], got, g.configMap.GetName())
			}
			files = data
		case vol["secret"] != nil:
			items, _ := vol["secret"].(map[string]any)["items"].([]any)
			for _, it := range items {
				files[it.(map[string]any)["path"].(string)] = "secret"
			}
			if len(items) == 0 {
				files["team-search"] = "sk-test-key" // the API keys Secret: one file per caller
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return func(p string) string { return filepath.Join(root, p) }
}

// loadRuntimeConfig loads the ConfigMap with gateway/config.Load from where
// the container's args say, in the rendered volume layout.
func loadRuntimeConfig(t *testing.T, g gatewayObjects) (*config.Config, func(string) string) {
	t.Helper()
	args := g.container["args"].([]any)
	if len(args) != 3 || args[0] != "gateway" || args[1] != "--config" {
		t.Fatalf("container args = %v, want [gateway --config <file>]", args)
	}
	at := g.mountedFiles(t, t.TempDir())
	cfg, err := config.Load(at(args[2].(string)))
	if err != nil {
		t.Fatalf("gateway/config.Load rejects the rendered config:\n%v", err)
	}
	return cfg, at
}

func namedPort(t *testing.T, c map[string]any, name string) int64 {
	t.Helper()
	for _, p := range c["ports"].([]any) {
		if p := p.(map[string]any); p["name"] == name {
			return p["containerPort"].(int64)
		}
	}
	t.Fatalf("container has no port %q", name)
	return 0
}

// TestGatewayConfigContract renders examples/specs and loads each
// Environment's gateway config the way the runtime does: from the path in
// the container's args, in the volumes the Deployment mounts. What the
// runtime is told (ports, keys, Redis password) must be where the
// Deployment puts it, and the routes and callers must be the spec's.
func TestGatewayConfigContract(t *testing.T) {
	repo, err := schema.Load(os.DirFS(examples))
	if err != nil {
		t.Fatal(err)
	}
	spec := repo.Gateways[0]
	for _, env := range []string{"staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			g := findGateway(t, renderExamples(t, env), spec.Metadata.Namespace, spec.Metadata.Name)
			cfg, at := loadRuntimeConfig(t, g)
			if want := fmt.Sprintf(":%d", namedPort(t, g.container, "http")); cfg.Listen != want {
				t.Errorf("listen = %q, the container's http port is %s", cfg.Listen, want)
			}
			if want := fmt.Sprintf(":%d", namedPort(t, g.container, "http-metrics")); cfg.MetricsListen != want {
				t.Errorf("metricsListen = %q, the container's http-metrics port is %s", cfg.MetricsListen, want)
			}
			for _, probe := range []string{"readinessProbe", "livenessProbe"} {
				if port, _, _ := unstructured.NestedString(g.container, probe, "httpGet", "port"); port != "http-metrics" {
					t.Errorf("%s probes port %q, want http-metrics (where /healthz and /readyz are)", probe, port)
				}
			}
			if _, err := os.Stat(at(path.Join(cfg.KeysDir, "team-search"))); err != nil {
				t.Errorf("keysDir %s is not where the API keys Secret is mounted: %v", cfg.KeysDir, err)
			}
			if r := cfg.RateLimit.Redis; r == nil {
				t.Error("the example's Redis is not in the config")
			} else if _, err := os.Stat(at(r.PasswordFile)); err != nil {
				t.Errorf("redis passwordFile %s is not mounted: %v", r.PasswordFile, err)
			}
			var routes []string
			for _, r := range cfg.Routes {
				routes = append(routes, r.Name)
			}
			var want []string
			for _, r := range spec.Spec.Routes {
				want = append(want, r.Name)
			}
			if !slices.Equal(routes, want) {
				t.Errorf("routes = %v, want the spec's %v", routes, want)
			}
			p := cfg.Policy("team-fraud")
			if p.AllRoutes || !slices.Equal(p.Routes, []string{"fraud-scorer"}) || p.RateLimit.RequestsPerMinute != 600 {
				t.Errorf("team-fraud's policy = %+v, want fraud-scorer only at the Gateway's 600 rpm", p)
			}
			if p := cfg.Policy("someone-else"); !p.AllRoutes || p.RateLimit.TokensPerMinute != 1000000 {
				t.Errorf("an unlisted caller's policy = %+v, want all routes at the Gateway's limits", p)
			}
		})
	}
}

const gwEnvYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata: {name: test}
spec:
  cluster: {name: t, region: eu-west-1, accountId: "111122223333", oidcIssuer: "https://oidc.eks.eu-west-1.amazonaws.com/id/X"}
  ingress: {certificateArn: "arn:aws:acm:eu-west-1:111122223333:certificate/x", domain: t.example.com}
  nodes: {role: NodeRole, subnetSelector: {a: b}, securityGroupSelector: {a: b}}
`

const gwModelYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: qwen, namespace: %[1]s}
spec:
  image: vllm/vllm-openai:v0.6.3
  args: [%[2]s]
  resources: {cpu: "2", memory: 8Gi}
  iam: {roleArn: "arn:aws:iam::111122223333:role/qwen"}
`

const gwGatewayYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Gateway
metadata: {name: gw, namespace: %[1]s}
spec:
  host: gw
  %[2]s
  replicas: {min: 2, max: 6}
  iam: {roleArn: "arn:aws:iam::111122223333:role/gw"}
  auth:
    apiKeysSecret: keys
    callers:
    - {name: team-a, routes: [qwen]}
  rateLimit:
    tokensPerMinute: 5000
    %[3]s
  routes:
  - {name: qwen, model: {name: qwen, namespace: %[1]s}, fallbacks: [nova], timeout: 45s}
  - {name: nova, bedrock: {modelId: "us.amazon.nova-pro-v1:0", region: us-west-2}}
`

// gatewayRepo is an Environment, a Model started with modelArgs and a
// Gateway in namespace ns with the image line and Redis lines given.
func gatewayRepo(ns, modelArgs, image, redis string) fstest.MapFS {
	return fstest.MapFS{
		"env.yaml":   {Data: []byte(gwEnvYAML)},
		"model.yaml": {Data: []byte(fmt.Sprintf(gwModelYAML, ns, modelArgs))},
		"gw.yaml":    {Data: []byte(fmt.Sprintf(gwGatewayYAML, ns, image, redis))},
	}
}

func renderGateway(t *testing.T, r *render.Renderer, fsys fstest.MapFS, ns string) (*render.Result, gatewayObjects) {
	t.Helper()
	repo, err := schema.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(context.Background(), repo, fsys, "test")
	if err != nil {
		t.Fatal(err)
	}
	return res, findGateway(t, res, ns, "gw")
}

func TestGatewayRender(t *testing.T) {
	const ns = "gw-render"
	// ElastiCache with in-transit encryption and an RBAC user.
	external := "redis: {address: \"my-redis.abc123.0001.euw1.cache.amazonaws.com:6380\", passwordSecret: {name: redis-auth, key: token}, username: gateway, tls: true, cluster: true}"
	tests := []struct {
		name, modelArgs, image, redis string
		wantImage, wantServed         string
		wantReplicas                  int
		wantRedis, wantPasswordFile   string
		wantEntries                   []string // ServiceEntry host:port/protocol
	}{
		{name: "defaults", modelArgs: `"--model", "Qwen/Qwen2.5-7B-Instruct"`,
			wantImage: "ghcr.io/gitplane/gitplane:dev", wantServed: "Qwen/Qwen2.5-7B-Instruct", wantReplicas: 6,
			wantEntries: []string{"bedrock-runtime.us-west-2.amazonaws.com:443/TLS"}},
		{name: "served model name wins", modelArgs: `"--model=/models/qwen", "--served-model-name", "qwen-7b"`,
			image: "image: registry.example.com/gitplane:pinned", wantImage: "registry.example.com/gitplane:pinned", wantServed: "qwen-7b", wantReplicas: 6,
			wantEntries: []string{"bedrock-runtime.us-west-2.amazonaws.com:443/TLS"}},
		{name: "no model flag", modelArgs: `"--port", "8000"`, wantImage: "ghcr.io/gitplane/gitplane:dev", wantServed: "", wantReplicas: 6,
			wantEntries: []string{"bedrock-runtime.us-west-2.amazonaws.com:443/TLS"}},
		{name: "in-cluster redis", modelArgs: `"--served-model-name=q"`, redis: "redis: {address: \"redis.gw-render.svc:6379\"}",
			wantImage: "ghcr.io/gitplane/gitplane:dev", wantServed: "q", wantRedis: "redis.gw-render.svc:6379",
			wantEntries: []string{"bedrock-runtime.us-west-2.amazonaws.com:443/TLS"}},
		{name: "external redis with password", modelArgs: `"--model", "m"`, redis: external,
			wantImage: "ghcr.io/gitplane/gitplane:dev", wantServed: "m",
			wantRedis: "my-redis.abc123.0001.euw1.cache.amazonaws.com:6380", wantPasswordFile: "/etc/gitplane/redis/token",
			wantEntries: []string{"bedrock-runtime.us-west-2.amazonaws.com:443/TLS", "my-redis.abc123.0001.euw1.cache.amazonaws.com:6380/TCP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, g := renderGateway(t, render.NewRenderer(), gatewayRepo(ns, tt.modelArgs, tt.image, tt.redis), ns)
			if got := g.container["image"]; got != tt.wantImage {
				t.Errorf("image = %v, want %s", got, tt.wantImage)
			}
			cfg, at := loadRuntimeConfig(t, g)
			if got := cfg.Routes[0].UpstreamModel(); got != tt.wantServed && !(tt.wantServed == "" && got == "qwen") {
				t.Errorf("qwen route's upstream model = %q, want %q", got, tt.wantServed)
			}
			if got := cfg.Routes[0].Timeout.D().String(); got != "45s" {
				t.Errorf("qwen route's timeout = %s, want 45s", got)
			}
			if got := cfg.Routes[0].Model.URL; got != "http://qwen."+ns+".svc.cluster.local" {
				t.Errorf("qwen route's URL = %s", got)
			}
			if got := cfg.RateLimit.Replicas; got != tt.wantReplicas && tt.wantRedis == "" {
				t.Errorf("rateLimit.replicas = %d, want %d (the HPA's max: the limit is never exceeded)", got, tt.wantReplicas)
			}
			switch r := cfg.RateLimit.Redis; {
			case tt.wantRedis == "" && r != nil:
				t.Errorf("redis = %+v, want none", r)
			case tt.wantRedis != "" && (r == nil || r.Address != tt.wantRedis || r.PasswordFile != tt.wantPasswordFile):
				t.Errorf("redis = %+v, want %s with password file %q", r, tt.wantRedis, tt.wantPasswordFile)
			case tt.wantPasswordFile != "" && (r.Username != "gateway" || !r.TLS || !r.Cluster):
				t.Errorf("redis = %+v, want user gateway over TLS to a cluster", r)
			case tt.wantPasswordFile != "":
				if _, err := os.Stat(at(tt.wantPasswordFile)); err != nil {
					t.Errorf("the Redis password is not mounted at %s: %v", tt.wantPasswordFile, err)
				}
			}
			var entries []string
			for _, se := range g.entries {
				hosts, _, _ := unstructured.NestedStringSlice(se.Object, "spec", "hosts")
				ports, _, _ := unstructured.NestedSlice(se.Object, "spec", "ports")
				p := ports[0].(map[string]any)
				entries = append(entries, fmt.Sprintf("%s:%d/%s", hosts[0], p["number"], p["protocol"]))
			}
			if !slices.Equal(entries, tt.wantEntries) {
				t.Errorf("ServiceEntries = %v, want %v", entries, tt.wantEntries)
			}
		})
	}
}

// TestGatewayImageVersion: without spec.image the Deployment runs the
// image of the gitplane that renders, tagged with its build version.
func TestGatewayImageVersion(t *testing.T) {
	defer func(v string) { version.Version = v }(version.Version)
	version.Version = "v1.2.3+dirty"
	_, g := renderGateway(t, render.NewRenderer(), gatewayRepo("gw-version", `"--model", "m"`, "", ""), "gw-version")
	if got, want := g.container["image"], "ghcr.io/gitplane/gitplane:v1.2.3-dirty"; got != want {
		t.Errorf("image = %v, want %s", got, want)
	}
}

// TestGatewayConfigHash: the pods roll when the runtime config changes,
// and only then.
func TestGatewayConfigHash(t *testing.T) {
	const ns = "gw-hash"
	hash := func(g gatewayObjects) string {
		h, _, _ := unstructured.NestedString(g.deploy.Object, "spec", "template", "metadata", "annotations", "gitplane.dev/config-hash")
		return h
	}
	r := render.NewRenderer()
	fsys := gatewayRepo(ns, `"--model", "m"`, "", "")
	_, base := renderGateway(t, r, fsys, ns)
	edit := func(file, old, new string) fstest.MapFS {
		out := fstest.MapFS{}
		for k, v := range fsys {
			out[k] = v
		}
		s := string(fsys[file].Data)
		if !strings.Contains(s, old) {
			t.Fatalf("%q not in %s", old, file)
		}
		out[file] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
		return out
	}
	for _, tt := range []struct {
		name   string
		fsys   fstest.MapFS
		change bool
	}{
		{"caller gains a route", edit("gw.yaml", "routes: [qwen]", "routes: [qwen, nova]"), true},
		{"fallback removed", edit("gw.yaml", "fallbacks: [nova], ", ""), true},
		{"served model renamed", edit("model.yaml", `"--model", "m"`, `"--model", "m2"`), true},
		{"model image changed", edit("model.yaml", "v0.6.3", "v0.6.4"), false},
		{"gateway host changed", edit("gw.yaml", "host: gw", "host: gw2"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, g := renderGateway(t, r, tt.fsys, ns)
			if changed := hash(g) != hash(base); changed != tt.change {
				t.Errorf("config hash changed = %v, want %v", changed, tt.change)
			}
		})
	}
}

// TestGatewayServerSideDryRun sends a Gateway with what the examples do not
// have (an external Redis with a password Secret, an autoscaled Deployment,
// a cross-region Bedrock route) to the real API server as a dry-run create.
func TestGatewayServerSideDryRun(t *testing.T) {
	cfg := testenv.Config(t)
	dyn := dynamic.NewForConfigOrDie(cfg)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(cfg)))
	ns := fmt.Sprintf("gw-dryrun-%x", rand.Uint32())
	redis := "redis: {address: \"my-redis.abc123.0001.euw1.cache.amazonaws.com:6380\", passwordSecret: {name: redis-auth, key: token}}"
	res, _ := renderGateway(t, render.NewRenderer(), gatewayRepo(ns, `"--model", "m"`, "", redis), ns)
	createNamespace(t, dyn, "istio-system")
	if got := dryRunCreate(t, dyn, mapper, res.Objects); got != len(res.Objects) {
		t.Errorf("%d of %d objects accepted", got, len(res.Objects))
	}
}

// TestGatewayReachableFromTheMesh: applications in the mesh are the
// gateway's callers, so its AuthorizationPolicy admits every mTLS peer, not
// only the ingress gateway.
func TestGatewayReachableFromTheMesh(t *testing.T) {
	const ns = "gw-mesh"
	res, _ := renderGateway(t, render.NewRenderer(), gatewayRepo(ns, `"--model", "m"`, "", ""), ns)
	for _, o := range res.Objects {
		if o.GetKind() != "AuthorizationPolicy" || o.GetNamespace() != ns || o.GetName() != "gw" {
			continue
		}
		rules, _, _ := unstructured.NestedSlice(o.Object, "spec", "rules")
		from := rules[0].(map[string]any)["from"].([]any)
		principals, _, _ := unstructured.NestedStringSlice(from[0].(map[string]any), "source", "principals")
		if !slices.Equal(principals, []string{"*"}) || len(rules) != 1 {
			t.Errorf("the gateway admits %v, want every mTLS peer (*)", principals)
		}
		return
	}
	t.Fatal("no AuthorizationPolicy for the gateway")
}
