package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
)

// Route names are model names clients send; caller names are Secret keys
// (file names in the mounted directory).
var (
	routeName  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$`)
	callerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`)
)

func validate(d *decoder, c *Config) {
	if c.APIVersion != APIVersion {
		d.errAt("apiVersion", "must be %q, got %q", APIVersion, c.APIVersion)
	}
	if c.Kind != Kind {
		d.errAt("kind", "must be %q, got %q", Kind, c.Kind)
	}
	checkAddr(d, "listen", c.Listen)
	checkAddr(d, "metricsListen", c.MetricsListen)
	if c.KeysDir == "" {
		d.errAt("keysDir", "required: the directory of mounted API keys")
	}
	routes := validateRoutes(d, c)
	validatePolicy(d, "defaults", c.Defaults.Routes, c.Defaults.RateLimit, routes)
	if c.Defaults.AllRoutes && len(c.Defaults.Routes) > 0 {
		d.errAt("defaults.routes", "give allRoutes or routes, not both")
	}
	seen := map[string]bool{}
	for i, cl := range c.Callers {
		p := fmt.Sprintf("callers[%d]", i)
		switch {
		case cl.Name == "":
			d.errAt(p+".name", "required")
		case !callerName.MatchString(cl.Name):
			d.errAt(p+".name", "%q is not a Secret key name (letters, digits, '.', '_', '-')", cl.Name)
		case seen[cl.Name]:
			d.errAt(p+".name", "caller %q is listed twice", cl.Name)
		}
		seen[cl.Name] = true
		validatePolicy(d, p, cl.Routes, cl.RateLimit, routes)
	}
	if r := c.RateLimit.Redis; r != nil {
		if _, _, err := net.SplitHostPort(r.Address); err != nil {
			d.errAt("rateLimit.redis.address", "want host:port, got %q", r.Address)
		}
		if r.Username != "" && r.PasswordFile == "" {
			d.errAt("rateLimit.redis.username", "a Redis ACL user needs a passwordFile")
		}
	}
	if c.RateLimit.Replicas < 0 {
		d.errAt("rateLimit.replicas", "must not be negative")
	}
	l := c.Limits
	nonNegative(d, "limits.maxBodyBytes", l.MaxBodyBytes)
	nonNegative(d, "limits.headerReadTimeout", int64(l.HeaderReadTimeout))
	nonNegative(d, "limits.maxConcurrentStreams", int64(l.MaxConcurrentStreams))
	nonNegative(d, "limits.shutdownTimeout", int64(l.ShutdownTimeout))
}

func validateRoutes(d *decoder, c *Config) map[string]bool {
	names := map[string]bool{}
	if len(c.Routes) == 0 {
		d.errAt("routes", "required: at least one route")
	}
	for i, r := range c.Routes {
		p := fmt.Sprintf("routes[%d]", i)
		switch {
		case r.Name == "":
			d.errAt(p+".name", "required")
		case !routeName.MatchString(r.Name):
			d.errAt(p+".name", "%q is not a model name (letters, digits and . _ : / @ + -)", r.Name)
		case names[r.Name]:
			d.errAt(p+".name", "route %q is defined twice", r.Name)
		}
		names[r.Name] = true
		validateBackend(d, p, c.Region, r)
		nonNegative(d, p+".timeout", int64(r.Timeout))
	}
	for i, r := range c.Routes {
		for j, f := range r.Fallbacks {
			fp := fmt.Sprintf("routes[%d].fallbacks[%d]", i, j)
			switch {
			case !names[f]:
				d.errAt(fp, "no route is named %q", f)
			case f == r.Name:
				d.errAt(fp, "a route cannot fall back to itself")
			case slices.Index(r.Fallbacks, f) < j:
				d.errAt(fp, "route %q is listed twice", f)
			}
		}
	}
	return names
}

func validateBackend(d *decoder, p, region string, r Route) {
	n := 0
	if b := r.Bedrock; b != nil {
		n++
		if b.ModelID == "" {
			d.errAt(p+".bedrock.modelId", "required")
		}
		if b.Region == "" && region == "" {
			d.errAt(p+".bedrock.region", "required when the config has no region")
		}
		checkURL(d, p+".bedrock.endpoint", b.Endpoint, false)
	}
	if s := r.SageMaker; s != nil {
		n++
		if s.EndpointName == "" {
			d.errAt(p+".sagemaker.endpointName", "required")
		}
		if s.Region == "" && region == "" {
			d.errAt(p+".sagemaker.region", "required when the config has no region")
		}
		checkURL(d, p+".sagemaker.endpoint", s.Endpoint, false)
	}
	if m := r.Model; m != nil {
		n++
		checkURL(d, p+".model.url", m.URL, true)
	}
	if n != 1 {
		d.errAt(p, "give exactly one of bedrock, sagemaker, model (got %d)", n)
	}
}

func validatePolicy(d *decoder, p string, routes []string, rl *RateLimit, names map[string]bool) {
	for j, r := range routes {
		if !names[r] {
			d.errAt(fmt.Sprintf("%s.routes[%d]", p, j), "no route is named %q", r)
		}
	}
	if rl == nil {
		return
	}
	nonNegative(d, p+".rateLimit.requestsPerMinute", int64(rl.RequestsPerMinute))
	nonNegative(d, p+".rateLimit.tokensPerMinute", int64(rl.TokensPerMinute))
	nonNegative(d, p+".rateLimit.burst", int64(rl.Burst))
	if rl.Burst > 0 && rl.RequestsPerMinute == 0 {
		d.errAt(p+".rateLimit.burst", "needs requestsPerMinute")
	}
}

func nonNegative(d *decoder, path string, v int64) {
	if v < 0 {
		d.errAt(path, "must not be negative")
	}
}

func checkAddr(d *decoder, path, addr string) {
	if addr == "" {
		return
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		d.errAt(path, "want host:port or :port, got %q", addr)
	}
}

func checkURL(d *decoder, path, s string, required bool) {
	if s == "" {
		if required {
			d.errAt(path, "required")
		}
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.errAt(path, "want an http(s) URL with a host, got %q", s)
	}
}
