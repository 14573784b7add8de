package cli

import (
	"github.com/spf13/cobra"
)

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
