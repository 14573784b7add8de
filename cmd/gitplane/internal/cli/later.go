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
