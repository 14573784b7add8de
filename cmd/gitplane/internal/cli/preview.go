package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/spf13/cobra"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/preview"
	"github.com/gitplane/gitplane/reconciler/source"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

type previewFlags struct {
	envs       []string
	base, head string
	offline    bool
	aws        awsFlags
	clusterFlags
	engine.PlanOptions
}

func newPreviewCommand() *cobra.Command {
	f := &previewFlags{}
	c := &cobra.Command{
		Use:   "preview [DIR] --base REF --head REF [--env ENV]... [--offline]",
		Short: "Print the pull-request preview markdown for a change between two commits",
		Long: `Preview prints the markdown gitplane serve posts on a pull request, for the
change from --base to --head of the Git repository DIR (default .; REFs as git
understands them: main, main~1, a tag, a SHA). The specs are read from the two
commits, not from the work tree.

For each Environment (--env, repeatable; default: every Environment the
changed files touch) it renders the head and plans it against the cluster of
the current kubeconfig context with a server-side dry-run (nothing is
written), or with --offline compares the head's render with the base's. The
document has a summary table, per-spec summaries, risk flags, validation and
API-server errors, the IRSA trust-policy preflight, the GPU cost before →
after and every diff. Secret values are redacted.

AWS: with credentials (and without --skip-aws) the roles of the rendered
ServiceAccounts are checked with iam:GetRole and Models are priced with
current spot prices; otherwise, and always with --offline, which makes no
AWS or cluster calls, costs come from the embedded catalog.

Exit status: 0 preview printed; 1 preview printed and the head cannot be
applied (invalid specs, a render error or objects the API server rejects),
as validate and diff report problems; 2 could not run.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPreview(cmd.Context(), cmd.OutOrStdout(), dirArg(args), f)
		},
	}
	c.Flags().StringArrayVar(&f.envs, "env", nil, "Environment to preview (repeatable; default: the Environments the change touches)")
	c.Flags().StringVar(&f.base, "base", "", "base revision (required)")
	c.Flags().StringVar(&f.head, "head", "HEAD", "head revision")
	c.Flags().BoolVar(&f.offline, "offline", false, "compare the base's render with the head's instead of planning against a cluster")
	c.Flags().BoolVar(&f.Prune, "prune", true, "plan the deletion of objects that left Git, as serve does")
	c.Flags().BoolVar(&f.AllowEmpty, "allow-empty", false, "let an empty render prune everything gitplane applied")
	c.Flags().BoolVar(&f.ConfirmPrune, "confirm-prune", false, "let a prune delete more than 25% of the inventory")
	f.clusterFlags.register(c)
	f.aws.bind(c)
	_ = c.MarkFlagRequired("base")
	return c
}

func runPreview(ctx context.Context, out io.Writer, dir string, f *previewFlags) error {
	revs, err := readRevisions(dir, f.base, f.head)
	if err != nil {
		return err
	}
	loader := schema.NewLoader() // shared by every load below: unchanged files are parsed once
	envs := f.envs
	if len(envs) == 0 {
		envs = preview.AffectedEnvironments(loadPartial(loader, revs.base), loadPartial(loader, revs.head), revs.changed)
	}
	// The change goes on top of the base, as a pull request's on top of the
	// branch it merges into: confirmations naming the base are honoured.
	in := preview.Input{Base: revs.base, Head: revs.head, HeadSHA: revs.headSHA, Onto: revs.baseSHA, PlanOptions: f.PlanOptions,
		Loader: loader, Renderer: render.NewRenderer()}
	if !f.offline {
		engs, err := f.kubeconfigEngines(engine.DefaultOptions())
		if err != nil {
			return err
		}
		defer engs.close()
		in.Engines = engs
		in.AWS = gpaws.New(ctx, gpaws.Options{Skip: f.aws.skip, Profile: f.aws.profile})
	}
	var previews []*preview.EnvPreview
	failed := 0
	for _, env := range envs {
		in.Env = env
		p, err := preview.Environment(ctx, in)
		if err != nil {
			return fmt.Errorf("previewing %s: %w", env, err)
		}
		if p.Failed {
			failed++
		}
		previews = append(previews, p)
	}
	if _, err := io.WriteString(out, preview.Markdown(previews, preview.MarkdownOptions{})); err != nil {
		return err
	}
	if failed > 0 {
		return &ExitError{Code: ExitFound}
	}
	return nil
}

// revisions are the two commits' trees and the files that differ.
type revisions struct {
	base, head       fs.FS
	baseSHA, headSHA string
	changed          []string
}

// readRevisions resolves base and head in the repository holding dir and
// reads dir's tree at both, as serve reads its clone (reconciler/source):
// dir may be a folder of the repository, and a base without that folder
// is a new repository.
func readRevisions(dir, base, head string) (*revisions, error) {
	repo, err := source.OpenLocal(dir)
	if err != nil {
		return nil, err
	}
	baseSHA, err := repo.Resolve(base)
	if err != nil {
		return nil, err
	}
	headSHA, err := repo.Resolve(head)
	if err != nil {
		return nil, err
	}
	r := &revisions{baseSHA: baseSHA, headSHA: headSHA}
	if r.head, err = repo.Tree(headSHA); err != nil {
		return nil, fmt.Errorf("reading %s: %w", head, err)
	}
	if r.base, err = repo.Tree(baseSHA); errors.Is(err, source.ErrNoFolder) {
		r.base = nil
	} else if err != nil {
		return nil, fmt.Errorf("reading %s: %w", base, err)
	}
	if r.changed, err = repo.ChangedFiles(baseSHA, headSHA); err != nil {
		return nil, fmt.Errorf("diffing %s..%s: %w", base, head, err)
	}
	return r, nil
}

// loadPartial loads what can be read of a tree's specs, for choosing the
// Environments a change touches; nil when nothing could be read.
func loadPartial(l *schema.Loader, fsys fs.FS) *schema.Repo {
	if fsys == nil {
		return &schema.Repo{}
	}
	repo, err := l.Load(fsys)
	var list schema.ErrorList
	if err != nil && !errors.As(err, &list) {
		return nil
	}
	return repo
}
