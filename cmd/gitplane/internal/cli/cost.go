package cli

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/gitplane/gitplane/reconciler/aws/pricing"
	"github.com/gitplane/gitplane/schema"
)

func newCostCommand() *cobra.Command {
	var env string
	var aws awsFlags
	c := &cobra.Command{
		Use:   "cost [DIR] --env ENV",
		Short: "Estimate each Model's GPU node cost: instance types cheapest first, $/hour and $/month",
		Long: `Cost lists, per Model of the Environment, the instance types one replica fits
on, cheapest first, and the estimated $/hour and $/month at the minimum and
maximum replicas for spot and on-demand capacity. With AWS credentials the
instance facts come from ec2:DescribeInstanceTypes and spot prices from
ec2:DescribeSpotPriceHistory in the Environment's region; otherwise (or with
--skip-aws) from the embedded catalog, on-demand only.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, err := loadRepo(dirArg(args))
			if err != nil {
				return err
			}
			i := slices.IndexFunc(repo.Environments, func(e *schema.Environment) bool { return e.Metadata.Name == env })
			if i < 0 {
				return fmt.Errorf("no Environment %q in %s", env, dirArg(args))
			}
			prices, note := aws.checker(cmd, repo.Environments[i]).Prices(cmd.Context(), repo.Environments[i])
			if note != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "notice:", note)
			}
			cost, err := pricing.Environment(repo, env, prices)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), cost.Text())
			return err
		},
	}
	c.Flags().StringVar(&env, "env", "", "Environment (required)")
	aws.bind(c)
	_ = c.MarkFlagRequired("env")
	return c
}
