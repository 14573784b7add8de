package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gitplane/gitplane/schema"
)

func newSchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema (draft 2020-12) of the spec kinds",
		Long: `Schema prints a JSON Schema for Environment, Model and Gateway. Save it and
point yaml-language-server at it for completion and checks in your editor:
  # yaml-language-server: $schema=./gitplane.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := schema.JSONSchema()
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return nil
		},
	}
}
