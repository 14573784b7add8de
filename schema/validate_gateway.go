package schema

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// maxRouteTimeout bounds routes[].timeout: a longer upstream request is a
// mistake, not a model.
const maxRouteTimeout = time.Hour

func validateGateway(g *Gateway, envs map[string]*Environment, models map[string]*Model, unreadable bool, errs *ErrorList) {
	validateMeta(g, errs)
	src, s := &g.Source, &g.Spec
	targets := targetEnvironments(src, s.Environments, envs, errs)
	validateHost(src, "spec.host", s.Host, targets, errs)
	validatePort(src, "spec.port", s.Port, errs)
	validateUnreservedPort(src, "spec.port", s.Port, errs)
	if s.IAM.RoleARN != "" {
		checkRoleARN(src, "spec.iam.roleArn", s.IAM.RoleARN, targets, errs)
	} else if i := slices.IndexFunc(s.Routes, func(r Route) bool { return r.Bedrock != nil || r.SageMaker != nil }); i >= 0 {
		errs.errAt(src, "spec.iam.roleArn", "route %q calls AWS (Bedrock or SageMaker): the gateway needs an IAM role to sign its requests with", s.Routes[i].Name)
	}
	if s.Image != "" && strings.ContainsAny(s.Image, " \t") {
		errs.errAt(src, "spec.image", "%q is not an image reference", s.Image)
	}
	validateReplicas(src, "spec.replicas", *s.Replicas, errs)
	if s.Routes != nil && len(s.Routes) == 0 {
		errs.errAt(src, "spec.routes", "must have at least one route")
	}
	routes := map[string]int{}
	for i, r := range s.Routes {
		p := fmt.Sprintf("spec.routes[%d]", i)
		if _, dup := routes[r.Name]; dup {
			errs.errAt(src, p+".name", "duplicate route %q", r.Name)
		} else {
			routes[r.Name] = i
		}
		validateRoute(src, p, r, targets, models, unreadable, errs)
	}
	validateFallbacks(src, s.Routes, routes, errs)
	validateAuth(src, s.Auth, routes, errs)
	if rl := s.RateLimit; rl != nil {
		validateLimits(src, "spec.rateLimit", rl.CallerLimits, errs)
		if rl.Redis != nil {
			validateRedis(src, "spec.rateLimit.redis", *rl.Redis, errs)
		}
	}
}

func validateRoute(src *Source, p string, r Route, targets []*Environment, models map[string]*Model, unreadable bool, errs *ErrorList) {
	backends := 0
	if r.Bedrock != nil {
		backends++
		if r.Bedrock.ModelID != "" && !modelIDRE.MatchString(r.Bedrock.ModelID) {
			errs.errAt(src, p+".bedrock.modelId", "%q is not a Bedrock model ID", r.Bedrock.ModelID)
		}
		checkRegion(src, p+".bedrock.region", r.Bedrock.Region, errs)
	}
	if r.SageMaker != nil {
		backends++
		if n := r.SageMaker.EndpointName; n != "" && len(validation.IsDNS1123Label(strings.ToLower(n))) > 0 {
			errs.errAt(src, p+".sagemaker.endpointName", "%q is not a SageMaker endpoint name", n)
		}
		checkRegion(src, p+".sagemaker.region", r.SageMaker.Region, errs)
	}
	if r.Model != nil {
		backends++
		validateModelRef(src, p+".model", *r.Model, targets, models, unreadable, errs)
	}
	if backends != 1 {
		errs.errAt(src, p, "set exactly one of bedrock, sagemaker, model (got %d)", backends)
	}
	if r.Timeout != "" {
		validateTimeout(src, p+".timeout", r.Timeout, errs)
	}
}

func validateTimeout(src *Source, p, value string, errs *ErrorList) {
	d, err := time.ParseDuration(value)
	switch {
	case err != nil:
		errs.errAt(src, p, "%q is not a duration (like 30s or 2m)", value)
	case d <= 0:
		errs.errAt(src, p, "must be greater than zero")
	case d > maxRouteTimeout:
		errs.errAt(src, p, "must be at most %s", maxRouteTimeout)
	}
}

func checkRegion(src *Source, p, region string, errs *ErrorList) {
	if region != "" && !regionRE.MatchString(region) {
		errs.errAt(src, p, "%q is not an AWS region (like us-east-1)", region)
	}
}

func validateModelRef(src *Source, p string, ref ModelRef, targets []*Environment, models map[string]*Model, unreadable bool, errs *ErrorList) {
	if ref.Name == "" {
		return
	}
	m, ok := models[ref.Namespace+"/"+ref.Name]
	if !ok {
		if !unreadable {
			errs.errAt(src, p+".name", "no Model %q in namespace %q", ref.Name, ref.Namespace)
		}
		return
	}
	for _, env := range sortedEnvs(targets) {
		if !InEnvironment(m.Spec.Environments, env.Metadata.Name) {
			errs.errAt(src, p+".name", "Model %q is not deployed to Environment %q", ref.Name, env.Metadata.Name)
		}
	}
}

// validateAuth checks the callers: names that can be Secret keys, each once,
// and routes that exist.
func validateAuth(src *Source, a GatewayAuth, routes map[string]int, errs *ErrorList) {
	if k := a.APIKeysSecret; k != "" {
		for _, msg := range validation.IsDNS1123Subdomain(k) {
			errs.errAt(src, "spec.auth.apiKeysSecret", "%s", msg)
		}
	}
	seen := map[string]bool{}
	for i, c := range a.Callers {
		p := fmt.Sprintf("spec.auth.callers[%d]", i)
		if c.Name != "" {
			for _, msg := range validation.IsConfigMapKey(c.Name) {
				errs.errAt(src, p+".name", "%q is not a Secret key: %s", c.Name, msg)
			}
			if seen[c.Name] {
				errs.errAt(src, p+".name", "duplicate caller %q", c.Name)
			}
			seen[c.Name] = true
		}
		if c.Routes != nil && len(c.Routes) == 0 {
			errs.errAt(src, p+".routes", "must name at least one route (leave routes out for all routes)")
		}
		checkRouteNames(src, p+".routes", c.Routes, routes, errs)
		if c.RateLimit != nil {
			validateLimits(src, p+".rateLimit", *c.RateLimit, errs)
		}
	}
}

// checkRouteNames reports names in a list that are no route or repeat.
func checkRouteNames(src *Source, p string, names []string, routes map[string]int, errs *ErrorList) {
	seen := map[string]bool{}
	for j, n := range names {
		q := fmt.Sprintf("%s[%d]", p, j)
		if _, ok := routes[n]; !ok {
			errs.errAt(src, q, "no route named %q", n)
		} else if seen[n] {
			errs.errAt(src, q, "route %q is listed twice", n)
		}
		seen[n] = true
	}
}

func validateLimits(src *Source, p string, l CallerLimits, errs *ErrorList) {
	if l.RequestsPerMinute < 0 {
		errs.errAt(src, p+".requestsPerMinute", "must be at least 1")
	}
	if l.TokensPerMinute < 0 {
		errs.errAt(src, p+".tokensPerMinute", "must be at least 1")
	}
	if l.RequestsPerMinute == 0 && l.TokensPerMinute == 0 {
		errs.errAt(src, p, "set requestsPerMinute, tokensPerMinute or both")
	}
	switch {
	case l.Burst < 0:
		errs.errAt(src, p+".burst", "must not be negative")
	case l.Burst > 0 && l.RequestsPerMinute == 0:
		errs.errAt(src, p+".burst", "burst is a number of requests: set requestsPerMinute too")
	}
}

func validateRedis(src *Source, p string, r RedisSpec, errs *ErrorList) {
	if r.Address != "" && !isHostPort(r.Address) {
		errs.errAt(src, p+".address", "%q is not host:port (like redis.ai-gateway.svc.cluster.local:6379)", r.Address)
	}
	if r.Username != "" && r.PasswordSecret == nil {
		errs.errAt(src, p+".username", "a Redis ACL user needs its password: set passwordSecret too")
	}
	if ref := r.PasswordSecret; ref != nil {
		if ref.Name != "" {
			for _, msg := range validation.IsDNS1123Subdomain(ref.Name) {
				errs.errAt(src, p+".passwordSecret.name", "%s", msg)
			}
		}
		if ref.Key != "" {
			for _, msg := range validation.IsConfigMapKey(ref.Key) {
				errs.errAt(src, p+".passwordSecret.key", "%s", msg)
			}
		}
	}
}

func isHostPort(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || strings.ContainsAny(host, "/ ") {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}
