package aws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/gitplane/gitplane/reconciler/aws/awsconfig"
	"github.com/gitplane/gitplane/reconciler/aws/eksauth"
	"github.com/gitplane/gitplane/reconciler/aws/irsa"
	"github.com/gitplane/gitplane/reconciler/aws/pricing"
	"github.com/gitplane/gitplane/schema"
)

// Options configures a Client.
type Options struct {
	Skip    bool   // --skip-aws: no AWS calls at all
	Profile string // shared-config profile; empty: AWS_PROFILE or default
	// Region is the default region, used by credential providers that call
	// STS (web identity, SSO); calls for an Environment use its region.
	Region string
}

// Client is gitplane's AWS access for one run: it checks IRSA trust
// policies before apply, prices Models and connects to EKS clusters by name
// (RESTConfig). A disabled Client does no AWS calls: preflight is off and
// prices come from the embedded catalog.
type Client struct {
	cfg     sdkaws.Config
	enabled bool
	notice  string
	set     settings
}

type settings struct {
	log     *slog.Logger
	clock   clock.PassiveClock
	iamOpts []func(*iam.Options)
	ec2Opts []func(*ec2.Options)
	eksOpts []eksauth.Option
}

// Option sets an optional dependency of a Client.
type Option func(*settings)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.log = l } }

// WithClock sets the clock spot prices are read at.
func WithClock(c clock.PassiveClock) Option { return func(s *settings) { s.clock = c } }

// WithIAMOptions adjusts the IAM client (tests: BaseEndpoint).
func WithIAMOptions(fns ...func(*iam.Options)) Option {
	return func(s *settings) { s.iamOpts = append(s.iamOpts, fns...) }
}

// WithEC2Options adjusts the EC2 client (tests: BaseEndpoint).
func WithEC2Options(fns ...func(*ec2.Options)) Option {
	return func(s *settings) { s.ec2Opts = append(s.ec2Opts, fns...) }
}

// WithEKSOptions passes options to eksauth.
func WithEKSOptions(opts ...eksauth.Option) Option {
	return func(s *settings) { s.eksOpts = append(s.eksOpts, opts...) }
}

// New loads the default AWS configuration. It never fails: with Skip, or
// when the chain finds no credentials, the Client is disabled and Notice
// says why.
func New(ctx context.Context, opts Options, extra ...Option) *Client {
	if opts.Skip {
		return disabled("AWS checks skipped (--skip-aws): no IRSA preflight; costs from the embedded catalog", extra)
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Profile: opts.Profile, Region: opts.Region})
	if err == nil {
		err = awsconfig.CheckCredentials(ctx, cfg)
	}
	if err != nil {
		return disabled(fmt.Sprintf("AWS checks off: %v; no IRSA preflight; costs from the embedded catalog", err), extra)
	}
	return NewWithConfig(cfg, extra...)
}

// NewWithConfig returns an enabled Client using cfg's credentials.
func NewWithConfig(cfg sdkaws.Config, extra ...Option) *Client {
	return &Client{cfg: cfg, enabled: true, set: resolve(extra)}
}

func disabled(notice string, extra []Option) *Client {
	return &Client{notice: notice, set: resolve(extra)}
}

func resolve(opts []Option) settings {
	s := settings{log: slog.New(slog.DiscardHandler), clock: clock.RealClock{}}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// Enabled reports whether the Client calls AWS.
func (c *Client) Enabled() bool { return c.enabled }

// Notice explains why a Client is disabled; empty when enabled.
func (c *Client) Notice() string { return c.notice }

// regional returns the configuration for env's region.
func (c *Client) regional(env *schema.Environment) sdkaws.Config {
	cfg := c.cfg.Copy()
	cfg.Region = env.Spec.Cluster.Region
	return cfg
}

// Preflight checks the trust policy of every role the rendered
// ServiceAccounts among objs use; nil when disabled.
func (c *Client) Preflight(ctx context.Context, env *schema.Environment, objs []*unstructured.Unstructured) []irsa.Finding {
	if !c.enabled {
		return nil
	}
	uses := irsa.RoleUses(objs)
	client := iam.NewFromConfig(c.regional(env), c.set.iamOpts...)
	findings := irsa.Preflight(ctx, client, uses, Provider(env))
	c.set.log.Info("IRSA preflight", "environment", env.Metadata.Name, "roles", len(uses), "findings", len(findings))
	return findings
}

// Prices returns live prices for env's region when enabled, else the
// embedded catalog. A failed live read falls back to the catalog; the
// second value then says why.
func (c *Client) Prices(ctx context.Context, env *schema.Environment) (*pricing.Prices, string) {
	if !c.enabled {
		return pricing.Offline(), ""
	}
	client := ec2.NewFromConfig(c.regional(env), c.set.ec2Opts...)
	p, err := pricing.Live(ctx, client, pricing.LiveOptions{Clock: c.set.clock})
	if err != nil {
		c.set.log.Warn("live prices unavailable", "environment", env.Metadata.Name, "error", err)
		return pricing.Offline(), fmt.Sprintf("live prices unavailable (%v); using the embedded catalog", err)
	}
	return p, ""
}

// ErrDisabled is returned by RESTConfig on a disabled Client.
var ErrDisabled = errors.New("AWS access is off")

// RESTConfig connects to env's EKS cluster by name (eks:DescribeCluster and
// a refreshed STS token), for when no kubeconfig or context is given.
func (c *Client) RESTConfig(ctx context.Context, env *schema.Environment) (*rest.Config, error) {
	if !c.enabled {
		return nil, fmt.Errorf("connecting to EKS cluster %s: %w (%s)", env.Spec.Cluster.Name, ErrDisabled, c.notice)
	}
	opts := append([]eksauth.Option{eksauth.WithLogger(c.set.log)}, c.set.eksOpts...)
	return eksauth.RESTConfig(ctx, c.cfg, env.Spec.Cluster.Name, env.Spec.Cluster.Region, opts...)
}

// Provider is env's IAM OIDC provider.
func Provider(env *schema.Environment) irsa.Provider {
	return irsa.Provider{AccountID: env.Spec.Cluster.AccountID, Issuer: env.Spec.Cluster.OIDCIssuer}
}
