package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsapi"
	"github.com/gitplane/gitplane/gateway/provider/bedrock"
	"github.com/gitplane/gitplane/gateway/provider/model"
	"github.com/gitplane/gitplane/gateway/provider/sagemaker"
)

// Backends says how the providers of routes are built from the config.
type Backends struct {
	// Credentials sign Bedrock and SageMaker requests. When nil and the
	// config has such routes, aws-sdk-go-v2's default chain is loaded (IRSA
	// web identity in the cluster), cached and refreshed by the SDK.
	Credentials aws.CredentialsProvider
	// Client sends upstream requests; awsapi.DefaultHTTPClient() if nil.
	Client *http.Client
}

// build returns each route's provider and, when there are AWS routes, a
// readiness check that the credentials resolve.
func (b Backends) build(ctx context.Context, cfg *config.Config) (map[string]provider.Provider, func(context.Context) error, error) {
	client := b.Client
	if client == nil {
		client = awsapi.DefaultHTTPClient()
	}
	creds := b.Credentials
	var ready func(context.Context) error
	out := map[string]provider.Provider{}
	for _, r := range cfg.Routes {
		if (r.Bedrock != nil || r.SageMaker != nil) && ready == nil {
			if creds == nil {
				ac, err := awsconfig.LoadDefaultConfig(ctx)
				if err != nil {
					return nil, nil, fmt.Errorf("loading AWS configuration: %w", err)
				}
				creds = ac.Credentials
			}
			if _, ok := creds.(*aws.CredentialsCache); !ok {
				creds = aws.NewCredentialsCache(creds)
			}
			ready = func(ctx context.Context) error {
				if _, err := creds.Retrieve(ctx); err != nil {
					return fmt.Errorf("AWS credentials: %w", err)
				}
				return nil
			}
		}
		var (
			p   provider.Provider
			err error
		)
		switch {
		case r.Model != nil:
			p, err = model.New(model.Options{URL: r.Model.URL, ServedModel: r.UpstreamModel(), HTTPClient: client})
		case r.Bedrock != nil:
			p, err = bedrock.New(bedrock.Options{ModelID: r.Bedrock.ModelID, Region: r.Bedrock.Region, Endpoint: r.Bedrock.Endpoint,
				HTTPClient: client, Credentials: creds})
		case r.SageMaker != nil:
			p, err = sagemaker.New(sagemaker.Options{EndpointName: r.SageMaker.EndpointName, Region: r.SageMaker.Region,
				Endpoint: r.SageMaker.Endpoint, HTTPClient: client, Credentials: creds})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("route %q: %w", r.Name, err)
		}
		out[r.Name] = p
	}
	return out, ready, nil
}
