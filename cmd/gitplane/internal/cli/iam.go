package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/aws/irsa"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

func newIAMCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "iam",
		Short: "IRSA: the trust policies roles need, and a check of the real ones",
	}
	c.AddCommand(newTrustPolicyCommand(), newIAMCheckCommand())
	return c
}

// renderEnv loads, validates and renders one Environment of the specs in dir.
func renderEnv(ctx context.Context, dir, env string) (*render.Result, error) {
	repo, fsys, err := loadWorkTree(dir)
	if err != nil {
		return nil, err
	}
	return render.NewRenderer().Render(ctx, repo, fsys, env)
}

type trustPolicyOptions struct {
	env, role string
	terraform bool
}

func newTrustPolicyCommand() *cobra.Command {
	o := &trustPolicyOptions{}
	c := &cobra.Command{
		Use:   "trust-policy [DIR] --env ENV [--role ARN] [--terraform]",
		Short: "Print the IRSA trust policy each role of an Environment needs",
		Long: `Trust-policy renders the Environment, collects the ServiceAccounts that name
a role in eks.amazonaws.com/role-arn and prints, per role, the trust policy
that lets exactly those ServiceAccounts assume it through the cluster's OIDC
provider: a JSON object keyed by role ARN, the bare policy with --role (for
'aws iam update-assume-role-policy'), or aws_iam_role resources with
--terraform. It makes no AWS calls.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := renderEnv(cmd.Context(), dirArg(args), o.env)
			if err != nil {
				return err
			}
			trusts := irsa.TrustPolicies(gpaws.Provider(res.Env), irsa.RoleUses(res.Objects))
			if o.role != "" {
				if trusts = selectRole(trusts, o.role); len(trusts) == 0 {
					return fmt.Errorf("no ServiceAccount of Environment %s uses role %s", o.env, o.role)
				}
			}
			return printTrusts(cmd.OutOrStdout(), trusts, o)
		},
	}
	c.Flags().StringVar(&o.env, "env", "", "Environment (required)")
	c.Flags().StringVar(&o.role, "role", "", "print only this role's policy")
	c.Flags().BoolVar(&o.terraform, "terraform", false, "print Terraform aws_iam_role resources")
	_ = c.MarkFlagRequired("env")
	return c
}

func selectRole(trusts []irsa.RoleTrust, arn string) []irsa.RoleTrust {
	for _, t := range trusts {
		if t.RoleARN == arn {
			return []irsa.RoleTrust{t}
		}
	}
	return nil
}

func printTrusts(w io.Writer, trusts []irsa.RoleTrust, o *trustPolicyOptions) error {
	switch {
	case o.terraform:
		var parts []string
		for _, t := range trusts {
			tf, err := t.Terraform()
			if err != nil {
				return err
			}
			parts = append(parts, "# "+t.RoleARN+"\n"+tf)
		}
		_, err := io.WriteString(w, strings.Join(parts, "\n"))
		return err
	case o.role != "":
		doc, err := trusts[0].Policy.JSON()
		if err != nil {
			return err
		}
		_, err = w.Write(doc)
		return err
	}
	byRole := map[string]irsa.Policy{}
	for _, t := range trusts {
		byRole[t.RoleARN] = t.Policy
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(byRole)
}

type awsFlags struct {
	skip    bool
	profile string
}

func (f *awsFlags) bind(c *cobra.Command) {
	c.Flags().BoolVar(&f.skip, "skip-aws", false, "make no AWS calls (no IRSA preflight, embedded prices)")
	c.Flags().StringVar(&f.profile, "profile", "", "AWS shared-config profile")
}

func (f *awsFlags) checker(cmd *cobra.Command, env *schema.Environment) *gpaws.Client {
	chk := gpaws.New(cmd.Context(), gpaws.Options{Skip: f.skip, Profile: f.profile, Region: env.Spec.Cluster.Region})
	if n := chk.Notice(); n != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "notice:", n)
	}
	return chk
}

func newIAMCheckCommand() *cobra.Command {
	var env string
	var aws awsFlags
	c := &cobra.Command{
		Use:   "check [DIR] --env ENV",
		Short: "Check the trust policy of every role the Environment's ServiceAccounts use (exit 1 on problems)",
		Long: `Check renders the Environment and, for every role named in a ServiceAccount's
eks.amazonaws.com/role-arn, reads the role with iam:GetRole and checks that its
trust policy lets that ServiceAccount assume it through the cluster's OIDC
provider. Exit status: 0 no problems (or AWS checks off), 1 problems found,
2 could not run.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := renderEnv(cmd.Context(), dirArg(args), env)
			if err != nil {
				return err
			}
			chk := aws.checker(cmd, res.Env)
			rep := gpaws.Report{Env: env, Findings: chk.Preflight(cmd.Context(), res.Env, res.Objects)}
			if chk.Enabled() {
				rep.Checked = len(irsa.RoleUses(res.Objects))
			}
			fmt.Fprint(cmd.OutOrStdout(), rep.Text())
			if rep.HasErrors() {
				return found(fmt.Errorf("%d IRSA problem(s) in Environment %s", len(rep.Findings), env))
			}
			return nil
		},
	}
	c.Flags().StringVar(&env, "env", "", "Environment (required)")
	aws.bind(c)
	_ = c.MarkFlagRequired("env")
	return c
}
