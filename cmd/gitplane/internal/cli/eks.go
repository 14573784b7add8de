package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/gitplane/gitplane/reconciler/aws/awsconfig"
	"github.com/gitplane/gitplane/reconciler/aws/eksauth"
)

func newEKSCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "eks",
		Short: "EKS helpers: bearer tokens for clusters reached by name",
	}
	c.AddCommand(newEKSTokenCommand(), newEKSKubeconfigCommand())
	return c
}

type eksTokenOptions struct {
	cluster, region, profile string
}

func (o *eksTokenOptions) bind(c *cobra.Command) {
	c.Flags().StringVar(&o.cluster, "cluster", "", "EKS cluster name (required)")
	c.Flags().StringVar(&o.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	c.Flags().StringVar(&o.profile, "profile", "", "AWS shared-config profile")
	_ = c.MarkFlagRequired("cluster")
}

// awsConfig loads the AWS configuration the flags name; it must have a region.
func (o *eksTokenOptions) awsConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Region: o.region, Profile: o.profile})
	if err != nil {
		return cfg, err
	}
	if cfg.Region == "" {
		return cfg, fmt.Errorf("no AWS region: pass --region or set AWS_REGION")
	}
	return cfg, nil
}

func newEKSTokenCommand() *cobra.Command {
	o := &eksTokenOptions{}
	c := &cobra.Command{
		Use:   "token --cluster NAME [--region R]",
		Short: "Print an ExecCredential with an EKS bearer token (a kubectl exec plugin)",
		Long: `Token presigns sts:GetCallerIdentity with the cluster name in the
x-k8s-aws-id header, as aws-iam-authenticator and 'aws eks get-token' do, and
prints a client.authentication.k8s.io/v1beta1 ExecCredential with the token and
its expiry. Credentials come from the default AWS chain. Use it in a
kubeconfig user:

  exec:
    apiVersion: client.authentication.k8s.io/v1beta1
    command: gitplane
    args: [eks, token, --cluster, NAME, --region, REGION]
    interactiveMode: Never`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.awsConfig(cmd.Context())
			if err != nil {
				return err
			}
			tok, err := eksauth.NewGenerator(sts.NewFromConfig(cfg), clock.RealClock{}).Token(cmd.Context(), o.cluster)
			if err != nil {
				return err
			}
			out, err := eksauth.ExecCredential(tok)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	o.bind(c)
	return c
}

func newEKSKubeconfigCommand() *cobra.Command {
	o := &eksTokenOptions{}
	c := &cobra.Command{
		Use:   "kubeconfig --cluster NAME --region R",
		Short: "Print a kubeconfig for an EKS cluster that gets tokens from 'gitplane eks token'",
		Long: `Kubeconfig describes the cluster (eks:DescribeCluster) and prints a kubeconfig
with its endpoint and CA whose user runs 'gitplane eks token' as an exec
credential plugin, so kubectl gets a fresh token whenever it needs one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.awsConfig(cmd.Context())
			if err != nil {
				return err
			}
			cluster, err := eksauth.New(cfg).DescribeCluster(cmd.Context(), o.cluster)
			if err != nil {
				return err
			}
			args := []string{"eks", "token", "--cluster", o.cluster, "--region", cfg.Region}
			if o.profile != "" {
				args = append(args, "--profile", o.profile)
			}
			out, err := eksauth.KubeConfig(cluster, "gitplane", args...)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	o.bind(c)
	return c
}
