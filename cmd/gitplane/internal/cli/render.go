package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/render"
)

type renderOptions struct {
	env    string
	outDir string
}

func newRenderCommand() *cobra.Command {
	o := &renderOptions{}
	c := &cobra.Command{
		Use:   "render [DIR] --env ENV [-o OUTDIR]",
		Short: "Print the Kubernetes objects an Environment gets, as a YAML stream",
		Long: `Render validates the specs under DIR (default .) and prints the objects the
Environment gets, in apply order, as one deterministic YAML stream. With -o,
each object is written to OUTDIR/<nn>-<kind>-<namespace>-<name>.yaml instead.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := dirArg(args)
			repo, fsys, err := loadWorkTree(dir)
			if err != nil {
				return err
			}
			res, err := render.NewRenderer().Render(cmd.Context(), repo, fsys, o.env)
			if err != nil {
				return err
			}
			if o.outDir != "" {
				return writeObjects(o.outDir, res.Objects)
			}
			return render.WriteYAML(cmd.OutOrStdout(), res.Objects)
		},
	}
	c.Flags().StringVar(&o.env, "env", "", "Environment to render (required)")
	c.Flags().StringVarP(&o.outDir, "output-dir", "o", "", "write one file per object into this folder")
	_ = c.MarkFlagRequired("env")
	return c
}

func writeObjects(dir string, objs []*unstructured.Unstructured) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, o := range objs {
		data, err := render.YAML([]*unstructured.Unstructured{o})
		if err != nil {
			return err
		}
		name := strings.ToLower(strings.Join(nonEmpty(fmt.Sprintf("%03d", i), o.GetKind(), o.GetNamespace(), o.GetName()), "-"))
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
