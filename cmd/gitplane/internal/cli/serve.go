package cli

import (
	"github.com/spf13/cobra"
)

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
