package config

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Load reads and validates the config file at path and applies defaults.
// Every problem is reported at once, as an ErrorList of
// file:line:col: field.path: message.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading gateway config: %w", err)
	}
	return Parse(path, data)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse decodes and validates a config document; file names it in errors.
func Parse(file string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line, msg := 1, err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return nil, ErrorList{{File: file, Line: line, Col: 1, Message: msg}}
	}
	if len(root.Content) == 0 {
		return nil, ErrorList{{File: file, Line: 1, Col: 1, Message: "empty document"}}
	}
	if n := root.Content[0]; n.Kind != yaml.MappingNode {
		return nil, ErrorList{{File: file, Line: n.Line, Col: n.Column, Message: "expected a mapping, got " + describe(n)}}
	}
	d := &decoder{file: file, pos: map[string][2]int{}}
	var c Config
	d.decode(root.Content[0], reflect.ValueOf(&c).Elem(), "")
	d.decodeErrs = len(d.errs)
	validate(d, &c)
	if len(d.errs) > 0 {
		slices.SortStableFunc(d.errs, func(a, b FieldError) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
		})
		return nil, d.errs
	}
	c.applyDefaults()
	return &c, nil
}

// IsInvalid reports whether err lists problems in the config file.
func IsInvalid(err error) bool {
	var l ErrorList
	return errors.As(err, &l)
}

func (c *Config) applyDefaults() {
	set := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	set(&c.Listen, DefaultListen)
	set(&c.MetricsListen, DefaultMetricsListen)
	if c.RateLimit.Replicas == 0 {
		c.RateLimit.Replicas = 1
	}
	l := &c.Limits
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.HeaderReadTimeout == 0 {
		l.HeaderReadTimeout = Duration(DefaultHeaderReadTimeout)
	}
	if l.MaxConcurrentStreams == 0 {
		l.MaxConcurrentStreams = DefaultMaxConcurrentStreams
	}
	if l.ShutdownTimeout == 0 {
		l.ShutdownTimeout = Duration(DefaultShutdownTimeout)
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Timeout == 0 {
			r.Timeout = Duration(DefaultRouteTimeout)
		}
		if r.Bedrock != nil && r.Bedrock.Region == "" {
			r.Bedrock.Region = c.Region
		}
		if r.SageMaker != nil && r.SageMaker.Region == "" {
			r.SageMaker.Region = c.Region
		}
	}
}

// RequestBurst returns the request burst: Burst, or RequestsPerMinute/10, at least 1.
func (l RateLimit) RequestBurst() int {
	if l.Burst > 0 {
		return l.Burst
	}
	return max(1, l.RequestsPerMinute/10)
}

// Policy returns the effective policy of the caller named name: its listed
// entry with empty fields taken from Defaults, or Defaults.
func (c *Config) Policy(name string) Policy {
	p := c.Defaults
	if cl := c.Caller(name); cl != nil {
		if cl.Routes != nil {
			p.AllRoutes, p.Routes = false, cl.Routes
		}
		if cl.RateLimit != nil {
			p.RateLimit = cl.RateLimit
		}
	}
	return p
}
