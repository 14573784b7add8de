package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// notBuilt is the answer of verbs whose engine has not landed yet.
func notBuilt(verb string, issue int) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("gitplane %s is not available in this build yet (tracked in issue #%d)", verb, issue)}
	}
}

func newDiffCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "diff [DIR] --env ENV",
		Short: "Show what apply would change in the cluster (exit 1 when something would)",
		Args:  cobra.MaximumNArgs(1),
		RunE:  notBuilt("diff", 4),
	}
	c.Flags().String("env", "", "Environment to diff")
	c.Flags().String("kubeconfig", "", "path to the kubeconfig file")
	c.Flags().String("context", "", "kubeconfig context to use")
	return c
}

func newApplyCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "apply [DIR] --env ENV",
		Short: "Apply the rendered objects with server-side apply; prune and wait on request",
		Args:  cobra.MaximumNArgs(1),
		RunE:  notBuilt("apply", 4),
	}
	c.Flags().String("env", "", "Environment to apply")
	c.Flags().Bool("prune", false, "delete objects that left Git")
	c.Flags().Bool("dry-run", false, "server-side dry-run; write nothing")
	return c
}

func newServeCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the GitOps loop: poll Git, receive GitHub webhooks, sync, report",
		Args:  cobra.NoArgs,
		RunE:  notBuilt("serve", 5),
	}
	c.Flags().String("repo", "", "Git repository URL")
	return c
}

func newPreviewCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "preview [DIR] --env ENV --base REF --head REF",
		Short: "Print the pull-request preview markdown for a change",
		Args:  cobra.MaximumNArgs(1),
		RunE:  notBuilt("preview", 5),
	}
	c.Flags().String("env", "", "Environment to preview")
	c.Flags().String("base", "", "base revision")
	c.Flags().String("head", "", "head revision")
	return c
}
