package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check every spec in a repository; print file:line:col errors",
		Long: `Validate reads every .yaml file under DIR (default .), decodes the
Environment, Model and Gateway specs strictly, checks references between
them, and prints every problem as file:line:col: field.path: message.
Exit status: 0 valid, 1 invalid, 2 could not run.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, fsys, err := loadWorkTree(dirArg(args))
			if err != nil {
				return err
			}
			if err := buildOverlays(cmd.Context(), repo, fsys); err != nil {
				return found(fmt.Errorf("%d error(s) in %s:\n%w", len(err), dirArg(args), err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d Environments, %d Models, %d Gateways: valid\n",
				len(repo.Environments), len(repo.Models), len(repo.Gateways))
			return nil
		},
	}
}

func dirArg(args []string) string {
	if len(args) == 0 {
		return "."
	}
	return args[0]
}

// loadRepo loads and validates the specs under dir. Invalid specs are a
// "found something" exit with every error printed.
func loadRepo(dir string) (*schema.Repo, error) {
	repo, _, err := loadWorkTree(dir)
	return repo, err
}

// loadWorkTree loads and validates the specs under dir, and checks the
// Environments' overlays as rendering would before kustomize runs; it
// returns the specs and dir's file system (see workTree) for rendering.
func loadWorkTree(dir string) (*schema.Repo, fs.FS, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory", dir)
	}
	fsys, err := openWorkTree(dir)
	if err != nil {
		return nil, nil, err
	}
	repo, err := schema.Load(fsys)
	var list schema.ErrorList
	if err != nil && !errors.As(err, &list) {
		return nil, nil, err
	}
	var overlays schema.ErrorList
	if err := render.CheckOverlays(fsys, repo, schema.Limits{}); errors.As(err, &overlays) {
		list = append(list, overlays...)
		list.Sort()
		// the loader reads an overlay's .yaml files too: the same limit error twice
		list = slices.Compact(list)
	} else if err != nil {
		return nil, nil, err
	}
	if len(list) > 0 {
		return nil, nil, found(fmt.Errorf("%d error(s) in %s:\n%w", len(list), dir, list))
	}
	return repo, fsys, nil
}

// buildOverlays renders every Environment that has an overlay, as apply
// and serve would, so an overlay kustomize cannot build fails validate
// (and the PR check) at its kustomization file instead of only at sync.
func buildOverlays(ctx context.Context, repo *schema.Repo, fsys fs.FS) schema.ErrorList {
	var errs schema.ErrorList
	r := render.NewRenderer()
	for _, env := range repo.Environments {
		if env.Spec.Overlay == "" {
			continue
		}
		_, err := r.Render(ctx, repo, fsys, env.Metadata.Name)
		var overlay *render.OverlayError
		switch {
		case errors.As(err, &overlay):
			errs = append(errs, schema.FieldError{File: overlay.File, Line: 1, Col: 1,
				Message: fmt.Sprintf("kustomize cannot build the overlay of Environment %s: %s", overlay.Environment, overlay.Message())})
		case err != nil:
			line, col := env.Source.Pos("spec.overlay")
			errs = append(errs, schema.FieldError{File: env.Source.File, Line: line, Col: col, Path: "spec.overlay",
				Message: fmt.Sprintf("rendering Environment %s: %v", env.Metadata.Name, err)})
		}
	}
	errs.Sort()
	return errs
}
