package preview

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/aws/pricing"
	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// Input is one Environment's preview of a change.
type Input struct {
	Env        string
	Base, Head fs.FS // spec repository trees at the base and head commits (Base may be nil: new repo)
	HeadSHA    string
	// Onto is the commit the change goes on top of: for a pull request the
	// tip of the branch it merges into. Confirmations the head's
	// Environment gives for it (gitplane.dev/confirm-prune, ...) are
	// honoured, as serve honours them when it syncs the merge, and the
	// preview's advice names it. Empty: no confirmation holds.
	Onto string
	// Engines gives the Engine that plans the head against the cluster
	// its Environment names (dry-run: nothing is written); nil: offline
	// preview, the base render compared with the head render, no cluster.
	Engines engine.Factory
	// FileURL links a validation error to the PR's file; nil: no links.
	FileURL func(path string, line int) string
	// PlanOptions are what apply would use (serve uses Prune: true).
	PlanOptions engine.PlanOptions
	// Prices price the Models; nil: the embedded catalog (pricing.Offline).
	Prices *pricing.Prices
	// AWS runs the IRSA trust-policy preflight on the head's objects and
	// prices base and head with its prices (live spot prices when enabled);
	// nil: no preflight, cost from Prices.
	AWS *gpaws.Client
	// Loader and Renderer, when set, are shared by the previews of one
	// change (base and head, every Environment), so that each unchanged
	// file is parsed and each unchanged spec rendered once; nil: a fresh
	// one per call.
	Loader   *schema.Loader
	Renderer *render.Renderer
}

func (in Input) loader() *schema.Loader {
	if in.Loader != nil {
		return in.Loader
	}
	return schema.NewLoader()
}

func (in Input) renderer() *render.Renderer {
	if in.Renderer != nil {
		return in.Renderer
	}
	return render.NewRenderer()
}

// EnvPreview is one Environment's preview.
type EnvPreview struct {
	Env     string
	HeadSHA string
	// Onto is Input.Onto: the commit confirmations must name.
	Onto string
	// Offline says the plan compares renders, not the cluster.
	Offline bool
	// Plan is the head planned against the cluster (or against the base
	// render offline); nil when the head could not be rendered. Its diffs,
	// errors and warnings are redacted; its Desired and Live objects are
	// not, and are never printed.
	Plan *engine.Plan
	// ValidationErrors are the head's spec errors; FileURL links them.
	ValidationErrors schema.ErrorList
	FileURL          func(path string, line int) string `json:"-"`
	// RenderError is why a valid head could not be rendered.
	RenderError string
	// ServerErrors are what the API server will not accept, "Ref: message":
	// its objections to the dry-run and immutable fields of objects that may
	// not be recreated. Secret values are redacted.
	ServerErrors []string
	// Specs compare each Model, Gateway and the Environment between base and
	// head, with the Environment's defaults applied.
	Specs []SpecChange
	// Risks flag dangerous deletions, recreations and prune guards.
	Risks []Risk
	// Cost is the GPU cost before and after; nil when not estimated.
	Cost       *pricing.CostChange
	CostSource string
	// AWS is the AWS report (notices, IRSA findings, cost) when Input.AWS
	// was set and the head rendered.
	AWS *gpaws.Report
	// Notes are notices about the preview itself (e.g. an invalid base).
	Notes []string
	// Failed says the head cannot be applied as it is: invalid specs, a
	// render error or objections from the API server.
	Failed bool
	// Refused says why the Environment was not previewed at all, set by the
	// caller (serve: a head it will not read, a cluster it cannot reach);
	// Failed is set with it when the change is at fault.
	Refused string
}

// Environment previews one Environment. Invalid specs at the head are not
// an error: they are reported in ValidationErrors with Failed set. Errors
// are returned for what is not the change's fault: an unreadable tree or a
// cluster that cannot be planned against; they do not name the Environment.
func Environment(ctx context.Context, in Input) (*EnvPreview, error) {
	p := &EnvPreview{Env: in.Env, HeadSHA: in.HeadSHA, Onto: in.Onto, Offline: in.Engines == nil, FileURL: in.FileURL}
	l := in.loader()
	head, herr := loadRepo(l, in.Head)
	base, berr := loadRepo(l, in.Base)
	var list schema.ErrorList
	if errors.As(berr, &list) {
		p.Notes = append(p.Notes, fmt.Sprintf("the base does not validate (%d error(s)); it is compared as far as it could be read", len(list)))
	} else if berr != nil {
		return nil, fmt.Errorf("reading the base: %w", berr)
	}
	switch {
	case errors.As(herr, &list):
		p.ValidationErrors, p.Failed = list, true
		return p, nil
	case herr != nil:
		return nil, fmt.Errorf("reading the head: %w", herr)
	}
	if findEnv(head, in.Env) == nil {
		if findEnv(base, in.Env) == nil {
			return nil, fmt.Errorf("no Environment %q at the base or the head", in.Env)
		}
		p.Notes = append(p.Notes, fmt.Sprintf("Environment %s is removed by this change: gitplane stops syncing it and deletes nothing", in.Env))
		p.Specs = compareSpecs(base, head, in.Env)
		return p, nil
	}
	p.Specs = compareSpecs(base, head, in.Env)
	p.estimateCost(base, head, in.Prices)
	if err := p.plan(ctx, in, base, berr == nil, head); err != nil {
		return nil, err
	}
	return p, nil
}

// plan renders the head and plans it, online or offline.
func (p *EnvPreview) plan(ctx context.Context, in Input, base *schema.Repo, baseValid bool, head *schema.Repo) error {
	r := in.renderer()
	res, err := r.Render(ctx, head, in.Head, in.Env)
	if err != nil {
		p.RenderError, p.Failed = err.Error(), true
		return nil
	}
	opts := Confirmed(in.PlanOptions, res.Env, in.Onto)
	p.Notes = append(p.Notes, confirmationNotes(res.Env, in.Onto)...)
	var plan *engine.Plan
	if in.Engines != nil {
		plan, err = planLive(ctx, in, res, opts)
	} else {
		plan, err = p.planOffline(ctx, in, r, res, base, baseValid, opts)
	}
	if err != nil {
		return err
	}
	scrubPlan(plan, res.Objects)
	p.Plan = plan
	p.checkAWS(ctx, in.AWS, res, base, head)
	p.ServerErrors = serverErrors(plan, in.Onto)
	p.Failed = len(p.ServerErrors) > 0
	p.Risks = risksOf(plan, in.Onto)
	return nil
}

// planLive plans the head against the cluster its Environment names.
func planLive(ctx context.Context, in Input, res *render.Result, opts engine.PlanOptions) (*engine.Plan, error) {
	eng, err := in.Engines.Engine(ctx, res.Env)
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	plan, err := eng.Plan(ctx, engine.PlanRequest{
		Environment: in.Env, Objects: res.Objects, PlanOptions: opts,
		Diffs: true, Cluster: engine.ClusterOf(res.Env),
	})
	if err != nil {
		return nil, fmt.Errorf("planning against the cluster: %w", err)
	}
	return plan, nil
}

// planOffline compares the head's render with the base's.
func (p *EnvPreview) planOffline(ctx context.Context, in Input, r *render.Renderer, res *render.Result, base *schema.Repo, baseValid bool, opts engine.PlanOptions) (*engine.Plan, error) {
	plan, err := offlinePlan(in.Env, p.renderBase(ctx, in, r, base, baseValid), res.Objects, opts)
	if err != nil {
		return nil, fmt.Errorf("comparing the base and head renders: %w", err)
	}
	return plan, nil
}

// serverErrors lists what the API server will not accept: objections to
// the dry-run (a conflict with how to take the fields over in a change on
// top of onto), and immutable fields of objects that may not be recreated.
func serverErrors(plan *engine.Plan, onto string) []string {
	var out []string
	for _, c := range plan.Changes {
		switch {
		case len(c.Conflicts) > 0:
			out = append(out, fmt.Sprintf("%s; to take the fields over, %s in this change", c.Error, Advice(engine.AllowForceConflicts, onto)))
		case c.Error != "":
			out = append(out, c.Error)
		case len(c.Immutable) > 0 && !c.Recreate:
			out = append(out, fmt.Sprintf("%s: immutable field(s) %s cannot change; %s to delete and recreate it",
				c.Ref, strings.Join(c.Immutable, ", "), Advice(engine.AllowRecreate, onto)))
		}
	}
	return out
}

// renderBase renders the base for an offline comparison; an Environment
// new at the head, or a base that cannot be rendered, compares as empty.
func (p *EnvPreview) renderBase(ctx context.Context, in Input, r *render.Renderer, base *schema.Repo, valid bool) []*unstructured.Unstructured {
	if findEnv(base, in.Env) == nil {
		return nil
	}
	if !valid {
		p.Notes = append(p.Notes, "the base is not rendered: every object is compared as new")
		return nil
	}
	res, err := r.Render(ctx, base, in.Base, in.Env)
	if err != nil {
		p.Notes = append(p.Notes, "the base could not be rendered, every object is compared as new: "+err.Error())
		return nil
	}
	return res.Objects
}

// checkAWS runs the AWS checks on the head's objects; their cost estimate
// replaces the one from Input.Prices.
func (p *EnvPreview) checkAWS(ctx context.Context, chk *gpaws.Client, res *render.Result, base, head *schema.Repo) {
	if chk == nil {
		return
	}
	ch := gpaws.Change{Env: res.Env, Objects: res.Objects, Head: head}
	if findEnv(base, p.Env) != nil {
		ch.Base = base
	}
	rep, err := chk.Check(ctx, ch)
	if err != nil {
		p.Notes = append(p.Notes, "AWS checks failed: "+err.Error())
		return
	}
	p.AWS = &rep
	if rep.Cost != nil {
		p.Cost, p.CostSource = rep.Cost, rep.Source
	}
}

// estimateCost prices the Environment's Models at base and head.
func (p *EnvPreview) estimateCost(base, head *schema.Repo, prices *pricing.Prices) {
	if prices == nil {
		prices = pricing.Offline()
	}
	after, err := pricing.Environment(head, p.Env, prices)
	if err != nil {
		p.Notes = append(p.Notes, "no cost estimate: "+err.Error())
		return
	}
	before := pricing.EnvironmentCost{Env: p.Env}
	if findEnv(base, p.Env) != nil {
		if before, err = pricing.Environment(base, p.Env, prices); err != nil {
			p.Notes = append(p.Notes, "no cost estimate for the base: "+err.Error())
			before = pricing.EnvironmentCost{Env: p.Env}
		}
	}
	c := pricing.Compare(before, after)
	p.Cost, p.CostSource = &c, prices.Source
}

// loadRepo loads a tree; a nil tree is an empty repository.
func loadRepo(l *schema.Loader, fsys fs.FS) (*schema.Repo, error) {
	if fsys == nil {
		return &schema.Repo{}, nil
	}
	repo, err := l.Load(fsys)
	if repo == nil {
		repo = &schema.Repo{}
	}
	return repo, err
}

func findEnv(repo *schema.Repo, name string) *schema.Environment {
	if repo == nil {
		return nil
	}
	i := slices.IndexFunc(repo.Environments, func(e *schema.Environment) bool { return e.Metadata.Name == name })
	if i < 0 {
		return nil
	}
	return repo.Environments[i]
}

// specsOf lists a repository's Models and Gateways.
func specsOf(repo *schema.Repo) []schema.Spec {
	var out []schema.Spec
	for _, m := range repo.Models {
		out = append(out, m)
	}
	for _, g := range repo.Gateways {
		out = append(out, g)
	}
	return out
}
