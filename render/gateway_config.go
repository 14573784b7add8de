package render

import (
	"cmp"
	"fmt"
	"net"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/schema"
)

// Where the gateway runtime finds its configuration, keys and Redis password.
const (
	gatewayConfigDir  = "/etc/gitplane/gateway"
	gatewayConfigFile = "config.yaml"
	gatewayKeysDir    = "/etc/gitplane/api-keys"
	gatewayRedisDir   = "/etc/gitplane/redis"
	gatewayMetrics    = 9090
	// gatewayDrain bounds the drain after SIGTERM: with the preStop sleep it
	// stays inside the termination grace period.
	gatewayDrain = time.Duration(terminationSeconds-preStopSeconds-15) * time.Second
)

// egressHost is an endpoint outside the mesh the gateway calls: one
// ServiceEntry each.
type egressHost struct {
	name, host string
	port       int64
	protocol   string // TLS or TCP
}

// runtimeConfig is the gateway/config document of a Gateway in an
// Environment, and the hosts outside the mesh it reaches, sorted.
func runtimeConfig(in gatewayInput) (*config.Config, []egressHost) {
	g, env := in.Gateway, in.Env
	s := &g.Spec
	cfg := &config.Config{
		APIVersion:    config.APIVersion,
		Kind:          config.Kind,
		Listen:        fmt.Sprintf(":%d", s.Port),
		MetricsListen: fmt.Sprintf(":%d", gatewayMetrics),
		Region:        env.Spec.Cluster.Region,
		KeysDir:       gatewayKeysDir,
		Defaults:      config.Policy{AllRoutes: true, RateLimit: limits(s.RateLimit)},
		Limits:        config.Limits{ShutdownTimeout: config.Duration(gatewayDrain)},
	}
	var hosts []egressHost
	addHost := func(h egressHost) {
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	for _, r := range s.Routes {
		rt := config.Route{Name: r.Name, Fallbacks: r.Fallbacks}
		if r.Timeout != "" {
			d, _ := time.ParseDuration(r.Timeout) // validated by schema
			rt.Timeout = config.Duration(d)
		}
		switch {
		case r.Bedrock != nil:
			region := cmp.Or(r.Bedrock.Region, env.Spec.Cluster.Region)
			rt.Bedrock = &config.BedrockRoute{ModelID: r.Bedrock.ModelID, Region: region}
			addHost(egressHost{name: "bedrock-" + region, host: "bedrock-runtime." + region + ".amazonaws.com", port: 443, protocol: "TLS"})
		case r.SageMaker != nil:
			region := cmp.Or(r.SageMaker.Region, env.Spec.Cluster.Region)
			rt.SageMaker = &config.SageMakerRoute{EndpointName: r.SageMaker.EndpointName, Region: region}
			addHost(egressHost{name: "sagemaker-" + region, host: "runtime.sagemaker." + region + ".amazonaws.com", port: 443, protocol: "TLS"})
		case r.Model != nil:
			rt.Model = &config.ModelRoute{URL: "http://" + svcHost(r.Model.Name, r.Model.Namespace),
				ServedModel: in.Served[r.Model.Namespace+"/"+r.Model.Name]}
		}
		cfg.Routes = append(cfg.Routes, rt)
	}
	for _, c := range s.Auth.Callers {
		cfg.Callers = append(cfg.Callers, config.Caller{Name: c.Name, Routes: c.Routes, RateLimit: callerLimits(c.RateLimit)})
	}
	if rl := s.RateLimit; rl != nil && rl.Redis != nil {
		cfg.RateLimit.Redis = &config.Redis{Address: rl.Redis.Address, Username: rl.Redis.Username, TLS: rl.Redis.TLS, Cluster: rl.Redis.Cluster}
		if p := rl.Redis.PasswordSecret; p != nil {
			cfg.RateLimit.Redis.PasswordFile = path.Join(gatewayRedisDir, p.Key)
		}
		if h, ok := outsideCluster(rl.Redis.Address); ok {
			addHost(h)
		}
	} else {
		// Each replica enforces its share; at most Max replicas run, so the
		// Gateway never admits more than the limit (docs/gateway.md).
		cfg.RateLimit.Replicas = int(s.Replicas.Max)
	}
	slices.SortFunc(hosts, func(a, b egressHost) int { return strings.Compare(a.name, b.name) })
	return cfg, hosts
}

func limits(rl *schema.RateLimit) *config.RateLimit {
	if rl == nil {
		return nil
	}
	return callerLimits(&rl.CallerLimits)
}

func callerLimits(l *schema.CallerLimits) *config.RateLimit {
	if l == nil {
		return nil
	}
	return &config.RateLimit{RequestsPerMinute: int(l.RequestsPerMinute), TokensPerMinute: int(l.TokensPerMinute), Burst: int(l.Burst)}
}

// outsideCluster returns the ServiceEntry host of a Redis address that is
// not a cluster Service (ElastiCache, say): the mesh only lets the gateway
// reach hosts it knows.
func outsideCluster(addr string) (egressHost, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) != nil || strings.HasSuffix(host, ".svc") || strings.HasSuffix(host, ".svc.cluster.local") || !strings.Contains(host, ".") {
		return egressHost{}, false
	}
	var n int64
	if _, err := fmt.Sscan(port, &n); err != nil {
		return egressHost{}, false
	}
	return egressHost{name: "redis", host: host, port: n, protocol: "TCP"}, true
}

// servedModelName is the model name an OpenAI-compatible server started
// with the Model's args answers to: vLLM's --served-model-name, else its
// --model; "" (the gateway then sends the route name) when neither is given.
func servedModelName(args []string) string {
	value := func(flag string) string {
		for i, a := range args {
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				return v
			}
			if a == flag && i+1 < len(args) {
				return args[i+1]
			}
		}
		return ""
	}
	return cmp.Or(value("--served-model-name"), value("--model"))
}
