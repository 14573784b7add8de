package eksauth

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
)

// DescribeClusterAPI is the part of the EKS client this package uses.
type DescribeClusterAPI interface {
	DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, optFns ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
}

// Client builds Kubernetes client configurations for EKS clusters.
type Client struct {
	eks           DescribeClusterAPI
	gen           *Generator
	clock         clock.PassiveClock
	refreshBefore time.Duration
	log           *slog.Logger
}

type settings struct {
	clock         clock.PassiveClock
	refreshBefore time.Duration
	log           *slog.Logger
	eksOpts       []func(*eks.Options)
	stsOpts       []func(*sts.Options)
}

// Option configures a Client.
type Option func(*settings)

// WithClock sets the clock tokens are signed and refreshed by (tests).
func WithClock(c clock.PassiveClock) Option { return func(s *settings) { s.clock = c } }

// WithRefreshBefore sets how long before expiry a cached token is replaced.
func WithRefreshBefore(d time.Duration) Option { return func(s *settings) { s.refreshBefore = d } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.log = l } }

// WithEKSOptions adjusts the EKS client, e.g. its BaseEndpoint.
func WithEKSOptions(fns ...func(*eks.Options)) Option {
	return func(s *settings) { s.eksOpts = append(s.eksOpts, fns...) }
}

// WithSTSOptions adjusts the STS client the tokens are presigned with.
func WithSTSOptions(fns ...func(*sts.Options)) Option {
	return func(s *settings) { s.stsOpts = append(s.stsOpts, fns...) }
}

// New returns a Client using cfg's credentials and region.
func New(cfg aws.Config, opts ...Option) *Client {
	s := settings{clock: clock.RealClock{}, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&s)
	}
	return &Client{
		eks:           eks.NewFromConfig(cfg, s.eksOpts...),
		gen:           NewGenerator(sts.NewFromConfig(cfg, s.stsOpts...), s.clock),
		clock:         s.clock,
		refreshBefore: s.refreshBefore,
		log:           s.log,
	}
}

// RESTConfig connects to an EKS cluster by name and region with the default
// AWS credential chain's credentials in cfg.
func RESTConfig(ctx context.Context, cfg aws.Config, cluster, region string, opts ...Option) (*rest.Config, error) {
	if region != "" {
		cfg = cfg.Copy()
		cfg.Region = region
	}
	return New(cfg, opts...).RESTConfig(ctx, cluster)
}

// RESTConfig describes the cluster and returns a rest.Config for its API
// server whose requests carry a cached, refreshed EKS token.
func (c *Client) RESTConfig(ctx context.Context, cluster string) (*rest.Config, error) {
	info, err := DescribeCluster(ctx, c.eks, cluster)
	if err != nil {
		return nil, err
	}
	src := c.TokenSource(cluster)
	if _, err := src.Token(ctx); err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:            info.Endpoint,
		TLSClientConfig: rest.TLSClientConfig{CAData: info.CAData},
		WrapTransport:   WrapTransport(src),
		UserAgent:       "gitplane",
	}, nil
}

// TokenSource returns a new caching token source for cluster.
func (c *Client) TokenSource(cluster string) *TokenSource {
	return NewTokenSource(c.gen, cluster, c.clock, c.refreshBefore, c.log)
}

// Cluster is what gitplane needs to know of an EKS cluster.
type Cluster struct {
	Name       string
	ARN        string
	Endpoint   string
	CAData     []byte // PEM
	OIDCIssuer string
	Status     string
	Version    string
}

// DescribeCluster reads a cluster's endpoint, CA and OIDC issuer.
func DescribeCluster(ctx context.Context, api DescribeClusterAPI, name string) (*Cluster, error) {
	out, err := api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("describing EKS cluster %s: %w", name, err)
	}
	cl := out.Cluster
	if cl == nil || aws.ToString(cl.Endpoint) == "" {
		return nil, fmt.Errorf("EKS cluster %s has no API endpoint yet (status %s)", name, statusOf(out))
	}
	c := &Cluster{
		Name:     aws.ToString(cl.Name),
		ARN:      aws.ToString(cl.Arn),
		Endpoint: aws.ToString(cl.Endpoint),
		Status:   string(cl.Status),
		Version:  aws.ToString(cl.Version),
	}
	if cl.CertificateAuthority == nil || aws.ToString(cl.CertificateAuthority.Data) == "" {
		return nil, fmt.Errorf("EKS cluster %s has no certificate authority data", name)
	}
	if c.CAData, err = base64.StdEncoding.DecodeString(aws.ToString(cl.CertificateAuthority.Data)); err != nil {
		return nil, fmt.Errorf("decoding certificate authority of EKS cluster %s: %w", name, err)
	}
	if cl.Identity != nil && cl.Identity.Oidc != nil {
		c.OIDCIssuer = aws.ToString(cl.Identity.Oidc.Issuer)
	}
	return c, nil
}

func statusOf(out *eks.DescribeClusterOutput) string {
	if out.Cluster == nil {
		return "unknown"
	}
	return string(out.Cluster.Status)
}
