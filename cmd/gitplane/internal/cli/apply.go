package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitplane/gitplane/reconciler/engine"
)

type applyFlags struct {
	syncFlags
	dryRun bool
	wait   time.Duration
}

func newApplyCommand() *cobra.Command {
	f := &applyFlags{}
	c := &cobra.Command{
		Use:   "apply [DIR] --env ENV [--prune] [--wait[=TIMEOUT]] [--dry-run]",
		Short: "Apply the rendered objects with server-side apply; prune and wait on request",
		Long: `Apply renders the Environment and applies only the objects that differ
from the cluster, with server-side apply as field manager "gitplane", in
stages: CRDs and Namespaces, other cluster-scoped objects, namespaced objects.
--prune deletes objects gitplane applied earlier that left Git and are still
the Environment's (see docs/operations.md for the guards). Objects that exist
without being managed by the Environment are "taken over"; another
Environment's objects stop apply before it writes. Apply holds the
Environment's Lease (gitplane-sync-ENV in gitplane-system): another apply or
serve of the Environment meanwhile fails, naming the holder. --wait waits for
the objects to become healthy. Invalid specs stop apply before it talks to the cluster. Objects the
API server rejects are listed and the exit status is 2; the rest is applied
(run with --dry-run first to have the server check every object).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			desired, err := renderDir(cmd.Context(), dirArg(args), f.env)
			if err != nil {
				return err
			}
			eng, err := connectEngine(cmd, &f.syncFlags, desired)
			if err != nil {
				return err
			}
			if err := engine.CheckReserved(desired.objects); err != nil {
				return err
			}
			ctx := cmd.Context()
			if !f.dryRun {
				// Held from plan to health: no other apply or serve syncs
				// the Environment meanwhile.
				var release func()
				if ctx, release, err = eng.Lock(ctx, f.env); err != nil {
					return err
				}
				defer release()
			}
			p, err := eng.Plan(ctx, engine.PlanRequest{
				Environment: f.env, Objects: desired.objects, PlanOptions: f.PlanOptions,
				Diffs: f.dryRun, Cluster: engine.ClusterOf(desired.env),
			})
			if err != nil {
				return cliError(err)
			}
			if err := planErrors(p); err != nil {
				_ = printPlan(cmd, &f.syncFlags, p, printOptions{})
				return err
			}
			applied, err := eng.Apply(ctx, p, engine.ApplyOptions{DryRun: f.dryRun, Wait: f.wait})
			if perr := printPlan(cmd, &f.syncFlags, applied, printOptions{diffs: f.dryRun, applied: !f.dryRun}); perr != nil && err == nil {
				err = perr
			}
			if err != nil {
				return cliError(err)
			}
			if f.wait > 0 && !f.dryRun && f.output == "text" {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: all objects healthy\n", f.env)
			}
			return nil
		},
	}
	f.register(c)
	c.Flags().BoolVar(&f.Prune, "prune", false, "delete objects gitplane applied before that left Git")
	c.Flags().BoolVar(&f.dryRun, "dry-run", false, "server-side dry-run: show what would change, write nothing")
	c.Flags().BoolVar(&f.ForceConflicts, "force-conflicts", false, "take ownership of fields other field managers own")
	c.Flags().DurationVar(&f.wait, "wait", 0, "wait up to this long for the applied objects to become healthy (--wait alone: 5m)")
	c.Flags().Lookup("wait").NoOptDefVal = engine.DefaultWait.String()
	return c
}
