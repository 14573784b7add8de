// Package awsconfig loads the AWS configuration of the loop's AWS side.
// It reads the default credential chain — IRSA web identity in a cluster, environment variables or
// a shared profile locally; gitplane never takes static keys — and tells a
// missing-credentials condition apart so callers can skip AWS checks with a
// notice instead of failing.
package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Retry settings: AWS throttles Describe* and iam:GetRole per account, and a
// sync of many Models may burst; the SDK's standard retryer backs off with
// jitter on Throttling, RequestLimitExceeded and 429/5xx answers.
const (
	MaxAttempts = 8
	MaxBackoff  = 20 * time.Second
)

// Options select a region and profile; empty fields fall back to the
// environment (AWS_REGION, AWS_PROFILE) and shared config.
type Options struct {
	Region  string
	Profile string
}

// Load reads the default AWS configuration with gitplane's retryer.
func Load(ctx context.Context, opts Options) (aws.Config, error) {
	loadOpts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return NewRetryer(MaxBackoff) }),
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	if opts.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(opts.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return cfg, nil
}

// NewRetryer returns the SDK's standard retryer with gitplane's attempt
// count and the given maximum backoff.
func NewRetryer(maxBackoff time.Duration) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.MaxBackoff = maxBackoff
		o.Backoff = retry.NewExponentialJitterBackoff(maxBackoff)
	})
}

// ErrNoCredentials is returned by CheckCredentials when the chain found none.
var ErrNoCredentials = errors.New("no AWS credentials")

// CheckCredentials retrieves credentials once, so callers can decide up front
// to skip AWS checks. The error wraps ErrNoCredentials and the chain's reason.
func CheckCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return ErrNoCredentials
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoCredentials, err)
	}
	if !creds.HasKeys() {
		return ErrNoCredentials
	}
	return nil
}
