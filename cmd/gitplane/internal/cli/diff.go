package cli

import (
	"github.com/spf13/cobra"

	"github.com/gitplane/gitplane/reconciler/engine"
)

func newDiffCommand() *cobra.Command {
	f := &syncFlags{}
	c := &cobra.Command{
		Use:   "diff [DIR] --env ENV",
		Short: "Show what apply would change in the cluster (exit 1 when something would)",
		Long: `Diff renders the Environment, compares it with the cluster and prints a
unified diff per object that apply would change (server-side dry-run; nothing
is written), deletions of objects that left Git, and the summary
"N to create, N to update, N to delete, N unchanged". Secret values are
redacted. With AWS credentials (and without --skip-aws) it also checks the
IRSA trust policy of every role the ServiceAccounts use and prices the GPU
Models. Exit status: 0 no changes, 1 changes or IRSA problems, 2 error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			desired, err := renderDir(cmd.Context(), dirArg(args), f.env)
			if err != nil {
				return err
			}
			eng, err := connectEngine(cmd, f, desired)
			if err != nil {
				return err
			}
			p, err := eng.Plan(cmd.Context(), engine.PlanRequest{
				Environment: f.env, Objects: desired.objects, PlanOptions: f.PlanOptions,
				Diffs: true, Cluster: engine.ClusterOf(desired.env),
			})
			if err != nil {
				return cliError(err)
			}
			if err := printPlan(cmd, f, p, printOptions{diffs: true}); err != nil {
				return err
			}
			if err := planErrors(p); err != nil {
				return err
			}
			problems, err := preflight(cmd, f, desired)
			if err != nil {
				return err
			}
			if p.HasChanges() || problems {
				return &ExitError{Code: ExitFound}
			}
			return nil
		},
	}
	f.register(c)
	c.Flags().BoolVar(&f.Prune, "prune", true, "show the deletion of objects that left Git (as apply --prune would do)")
	return c
}
