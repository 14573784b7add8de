package cli

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// syncFlags are shared by diff and apply.
type syncFlags struct {
	env    string
	output string
	color  string
	clusterFlags
	aws awsFlags
	engine.PlanOptions
}

func (f *syncFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.env, "env", "", "Environment to sync (required)")
	c.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	c.Flags().StringVar(&f.color, "color", "auto", "colour diffs: auto (on a terminal), always, never")
	c.Flags().BoolVar(&f.AllowEmpty, "allow-empty", false, "let an empty render prune everything gitplane applied")
	c.Flags().BoolVar(&f.ConfirmPrune, "confirm-prune", false, "let a prune delete more than 25% of the inventory")
	f.clusterFlags.register(c)
	f.aws.bind(c)
	_ = c.MarkFlagRequired("env")
}

func (f *syncFlags) validate() error {
	if f.output != "text" && f.output != "json" {
		return fmt.Errorf("--output must be text or json, not %q", f.output)
	}
	switch f.color {
	case "auto", "always", "never":
		return nil
	}
	return fmt.Errorf("--color must be auto, always or never, not %q", f.color)
}

func (f *syncFlags) useColor(cmd *cobra.Command) bool {
	switch f.color {
	case "always":
		return true
	case "never":
		return false
	}
	out, ok := cmd.OutOrStdout().(*os.File)
	return ok && term.IsTerminal(int(out.Fd())) && os.Getenv("NO_COLOR") == ""
}

// desiredState is an Environment's rendered objects and who may be recreated.
type desiredState struct {
	repo    *schema.Repo
	env     *schema.Environment
	objects []*unstructured.Unstructured
}

// renderDir validates and renders the specs under dir. Invalid specs fail
// here, before anything talks to the cluster.
func renderDir(ctx context.Context, dir, env string) (*desiredState, error) {
	repo, fsys, err := loadWorkTree(dir)
	if err != nil {
		return nil, err
	}
	res, err := render.NewRenderer().Render(ctx, repo, fsys, env)
	if err != nil {
		return nil, err
	}
	return &desiredState{repo: repo, env: res.Env, objects: res.Objects}, nil
}

// connectEngine connects to the Environment's cluster (see engines): the
// kubeconfig's when --kubeconfig, --context or $KUBECONFIG says which,
// else the EKS cluster the Environment names (eks:DescribeCluster and an
// STS token), else (no AWS credentials, --skip-aws) the default
// kubeconfig's.
func connectEngine(cmd *cobra.Command, f *syncFlags, desired *desiredState) (*engine.Engine, error) {
	opts := engine.DefaultOptions()
	opts.Identity = cliIdentity(cmd)
	engs, err := f.engines(cmd.Context(), f.aws, connectOptions{region: desired.env.Spec.Cluster.Region, engine: opts})
	if err != nil {
		return nil, err
	}
	return engs.Engine(cmd.Context(), desired.env)
}

// cliIdentity names this run as a Lease holder: "gitplane apply by alice on
// laptop (pid 4242)".
func cliIdentity(cmd *cobra.Command) string {
	host, _ := os.Hostname()
	user := cmp.Or(os.Getenv("USER"), os.Getenv("USERNAME"), "unknown user")
	return fmt.Sprintf("gitplane %s by %s on %s (pid %d)", cmd.Name(), user, cmp.Or(host, "unknown host"), os.Getpid())
}

// preflight checks the IRSA trust policies of the rendered ServiceAccounts
// and prices the Models (see gitplane iam check, gitplane cost). It prints
// the report and says whether it found problems.
func preflight(cmd *cobra.Command, f *syncFlags, desired *desiredState) (bool, error) {
	chk := f.aws.checker(cmd, desired.env)
	if !chk.Enabled() {
		return false, nil
	}
	report, err := chk.Check(cmd.Context(), gpaws.Change{Env: desired.env, Objects: desired.objects, Head: desired.repo})
	if err != nil {
		return false, err
	}
	if f.output == "text" {
		fmt.Fprint(cmd.OutOrStdout(), report.Text())
	}
	return report.HasErrors(), nil
}

// printPlan writes the plan in the chosen format.
func printPlan(cmd *cobra.Command, f *syncFlags, p *engine.Plan, opts printOptions) error {
	if f.output == "json" {
		return printJSON(cmd.OutOrStdout(), p)
	}
	opts.color = f.useColor(cmd)
	return printText(cmd.OutOrStdout(), p, opts)
}

// planErrors turns the server's objections found while planning into one
// error, so that diff and apply stop before writing anything.
func planErrors(p *engine.Plan) error {
	errs := p.Errors()
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, c := range errs {
		msgs[i] = errorText(c)
	}
	return fmt.Errorf("the API server rejected %d object(s):\n  %s", len(errs), strings.Join(msgs, "\n  "))
}
