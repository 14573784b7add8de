package eksauth

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"k8s.io/utils/clock"
)

// Token format, as aws-iam-authenticator pkg/token defines it.
const (
	// TokenPrefix starts every EKS bearer token.
	TokenPrefix = "k8s-aws-v1."
	// ClusterIDHeader carries the cluster name; it is signed into the URL so a
	// token for one cluster is rejected by every other.
	ClusterIDHeader = "x-k8s-aws-id"
	// presignSeconds is the X-Amz-Expires of the presigned URL. EKS accepts
	// the URL for 15 minutes from X-Amz-Date regardless.
	presignSeconds = "60"
	// TokenLifetime is how long EKS accepts a token after signing.
	TokenLifetime = 15 * time.Minute
	// reportedLifetime is the expiry reported to clients: a minute short of
	// the real one, as aws-iam-authenticator and `aws eks get-token` report it.
	reportedLifetime = TokenLifetime - time.Minute
)

// Token is an EKS bearer token and the time after which it must not be used.
type Token struct {
	Value      string
	Expiration time.Time
}

// Generator signs EKS tokens with the credentials of an STS client.
type Generator struct {
	presign *sts.PresignClient
	clock   clock.PassiveClock
}

// NewGenerator returns a Generator that presigns with client's credentials
// and region, taking the signing time from clk.
func NewGenerator(client *sts.Client, clk clock.PassiveClock) *Generator {
	g := &Generator{clock: clk}
	g.presign = sts.NewPresignClient(client, func(o *sts.PresignOptions) {
		o.Presigner = clockedPresigner{signer: v4.NewSigner(), clock: clk}
	})
	return g
}

// Token signs a new token for cluster.
func (g *Generator) Token(ctx context.Context, cluster string) (Token, error) {
	if cluster == "" {
		return Token{}, fmt.Errorf("signing EKS token: cluster name is empty")
	}
	req, err := g.presign.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(so *sts.Options) {
			so.APIOptions = append(so.APIOptions,
				smithyhttp.SetHeaderValue(ClusterIDHeader, cluster),
				smithyhttp.SetHeaderValue("X-Amz-Expires", presignSeconds))
		})
	})
	if err != nil {
		return Token{}, fmt.Errorf("presigning sts:GetCallerIdentity for cluster %s: %w", cluster, err)
	}
	signed, err := signingTime(req.URL)
	if err != nil {
		return Token{}, err
	}
	return Token{
		Value:      TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)),
		Expiration: signed.Add(reportedLifetime),
	}, nil
}

// clockedPresigner signs at the injected clock's time instead of the SDK's,
// so tests get deterministic tokens and expiries.
type clockedPresigner struct {
	signer *v4.Signer
	clock  clock.PassiveClock
}

// PresignHTTP implements sts.HTTPPresignerV4, replacing the signing time.
func (p clockedPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request,
	payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions),
) (string, http.Header, error) {
	return p.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.clock.Now(), optFns...)
}
