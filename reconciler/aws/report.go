package aws

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/reconciler/aws/irsa"
	"github.com/gitplane/gitplane/reconciler/aws/pricing"
	"github.com/gitplane/gitplane/schema"
)

// Report is what diff and preview show about AWS for one Environment.
type Report struct {
	Env      string
	Notices  []string
	Findings []irsa.Finding
	Checked  int                 // ServiceAccounts whose roles the preflight checked
	Cost     *pricing.CostChange // nil when not estimated
	Source   string              // where prices come from
	Catalog  []string            // how the region's instance types differ from the embedded catalog
}

// Change is one Environment's side of a change: the head revision's repo
// and rendered objects, and the base revision's repo (nil: none).
type Change struct {
	Env     *schema.Environment
	Objects []*unstructured.Unstructured // rendered at head
	Base    *schema.Repo
	Head    *schema.Repo
}

// Check runs preflight on the head objects and prices base and head.
func (c *Client) Check(ctx context.Context, ch Change) (Report, error) {
	r := Report{Env: ch.Env.Metadata.Name}
	if n := c.Notice(); n != "" {
		r.Notices = append(r.Notices, n)
	}
	r.Findings = c.Preflight(ctx, ch.Env, ch.Objects)
	if c.Enabled() {
		r.Checked = len(irsa.RoleUses(ch.Objects))
	}
	prices, note := c.Prices(ctx, ch.Env)
	if note != "" {
		r.Notices = append(r.Notices, note)
	}
	r.Source, r.Catalog = prices.Source, prices.Changes
	after, err := pricing.Environment(ch.Head, r.Env, prices)
	if err != nil {
		return r, err
	}
	before := pricing.EnvironmentCost{Env: r.Env}
	if ch.Base != nil && hasEnvironment(ch.Base, r.Env) {
		if before, err = pricing.Environment(ch.Base, r.Env, prices); err != nil {
			return r, err
		}
	}
	cost := pricing.Compare(before, after)
	r.Cost = &cost
	return r, nil
}

func hasEnvironment(repo *schema.Repo, name string) bool {
	for _, e := range repo.Environments {
		if e.Metadata.Name == name {
			return true
		}
	}
	return false
}

// HasErrors reports whether a finding would make a pod fail to assume its role.
func (r Report) HasErrors() bool {
	for _, f := range r.Findings {
		if f.Severity == irsa.SeverityError {
			return true
		}
	}
	return false
}

// Markdown renders the report for a PR comment.
func (r Report) Markdown() string {
	var b strings.Builder
	for _, n := range r.Notices {
		fmt.Fprintf(&b, "> **Note:** %s\n\n", n)
	}
	if len(r.Findings) == 0 && r.Checked > 0 {
		fmt.Fprintf(&b, "✅ IRSA preflight: the trust policies let all %d ServiceAccounts assume their roles.\n\n", r.Checked)
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(&b, "#### IRSA preflight: %s\n\n| | ServiceAccount | Role | Problem |\n|---|---|---|---|\n", r.Env)
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "| %s | %s/%s | `%s` | %s (%s) |\n", icon(f.Severity), f.Use.Namespace, f.Use.ServiceAccount,
				f.Use.RoleARN, strings.ReplaceAll(f.Message, "|", `\|`), f.Code)
		}
		b.WriteString("\nRun `gitplane iam trust-policy --env " + r.Env + "` for the trust policy each role needs.\n\n")
	}
	if r.Cost != nil {
		b.WriteString(r.Cost.Markdown(r.Source))
	}
	if len(r.Catalog) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>%d differences between EC2 in this region and the embedded catalog</summary>\n\n", len(r.Catalog))
		for _, c := range r.Catalog {
			fmt.Fprintf(&b, "- %s\n", c)
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

// Text renders the findings and notices for the terminal.
func (r Report) Text() string {
	var b strings.Builder
	for _, n := range r.Notices {
		fmt.Fprintf(&b, "notice: %s\n", n)
	}
	for _, f := range r.Findings {
		fmt.Fprintln(&b, f.String())
	}
	if len(r.Findings) == 0 && r.Checked > 0 {
		fmt.Fprintf(&b, "IRSA preflight: the trust policies let all %d ServiceAccounts assume their roles\n", r.Checked)
	}
	return b.String()
}

func icon(s irsa.Severity) string {
	if s == irsa.SeverityError {
		return "❌"
	}
	return "⚠️"
}
