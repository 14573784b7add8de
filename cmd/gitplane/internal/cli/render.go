package cli

import "github.com/spf13/cobra"

func newRenderCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "render [DIR] --env ENV [-o OUTDIR]",
		Short: "Print the Kubernetes objects an Environment gets, as a YAML stream",
		Args:  cobra.MaximumNArgs(1),
		RunE:  notBuilt("render", 3),
	}
	c.Flags().String("env", "", "Environment to render")
	c.Flags().StringP("output-dir", "o", "", "write one file per object into this folder")
	return c
}
