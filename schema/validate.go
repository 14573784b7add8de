package schema

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gitplane/gitplane/schema/gpu"
)

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
	issuerRE  = regexp.MustCompile(`^https://[a-z0-9.-]+(/[A-Za-z0-9._~-]+)*$`)
	// eksIssuerRE matches an EKS cluster's own issuer and captures its region.
	eksIssuerRE = regexp.MustCompile(`^https://oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com/id/`)
	certARNRE   = regexp.MustCompile(`^arn:aws(?:-[a-z]+)*:acm:([a-z0-9-]+):(\d{12}):certificate/[A-Za-z0-9-]+$`)
	roleARNRE   = regexp.MustCompile(`^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	roleNameRE  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	amiAliasRE  = regexp.MustCompile(`^(al2|al2023|bottlerocket|windows2019|windows2022)@(latest|v[\w.-]+)$`)
	groupRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$`)
	modelIDRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.:_/-]*$`)
)

// validateRepo checks every spec and the references between them. When a
// file could not be parsed, references to missing Models are not reported:
// the Model may be in that file.
func validateRepo(fsys fs.FS, r *Repo, unreadable bool, errs *ErrorList) {
	checkDuplicates(r, errs)
	envs := map[string]*Environment{}
	for _, e := range r.Environments {
		envs[e.Metadata.Name] = e
		validateEnvironment(fsys, e, errs)
	}
	for _, m := range r.Models {
		validateModel(m, envs, errs)
	}
	models := map[string]*Model{}
	for _, m := range r.Models {
		models[m.Metadata.Namespace+"/"+m.Metadata.Name] = m
	}
	for _, g := range r.Gateways {
		validateGateway(g, envs, models, unreadable, errs)
	}
}

func checkDuplicates(r *Repo, errs *ErrorList) {
	seen := map[string]Spec{}
	check := func(s Spec) {
		m := s.GetMeta()
		key := s.GetKind() + "/" + m.Namespace + "/" + m.Name
		if m.Name == "" {
			return
		}
		if first, ok := seen[key]; ok {
			fl, fc := first.GetSource().Pos("metadata.name")
			errs.errAt(s.GetSource(), "metadata.name", "duplicate %s %q (first defined at %s:%d:%d)",
				s.GetKind(), m.Name, first.GetSource().File, fl, fc)
			return
		}
		seen[key] = s
	}
	for _, e := range r.Environments {
		check(e)
	}
	for _, m := range r.Models {
		check(m)
	}
	for _, g := range r.Gateways {
		check(g)
	}
}

func validateMeta(s Spec, errs *ErrorList) {
	m, src := s.GetMeta(), s.GetSource()
	if m.Name != "" {
		for _, msg := range validation.IsDNS1035Label(m.Name) {
			errs.errAt(src, "metadata.name", "%s", msg)
		}
	}
	if m.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(m.Namespace) {
			errs.errAt(src, "metadata.namespace", "%s", msg)
		}
	}
	validateConfirmations(s, errs)
}

func validateEnvironment(fsys fs.FS, e *Environment, errs *ErrorList) {
	validateMeta(e, errs)
	src, s := &e.Source, &e.Spec
	c := s.Cluster
	if c.Region != "" && !regionRE.MatchString(c.Region) {
		errs.errAt(src, "spec.cluster.region", "%q is not an AWS region (like us-east-1)", c.Region)
	}
	if c.AccountID != "" && !accountRE.MatchString(c.AccountID) {
		errs.errAt(src, "spec.cluster.accountId", "%q is not a 12-digit AWS account ID", c.AccountID)
	}
	if c.OIDCIssuer != "" && !issuerRE.MatchString(c.OIDCIssuer) {
		errs.errAt(src, "spec.cluster.oidcIssuer", "%q is not an https issuer URL (like https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE)", c.OIDCIssuer)
	} else if m := eksIssuerRE.FindStringSubmatch(c.OIDCIssuer); m != nil && c.Region != "" && m[1] != c.Region {
		errs.errAt(src, "spec.cluster.oidcIssuer", "the issuer is EKS's in region %s but the cluster is in %s; IRSA trusts the issuer of the cluster itself", m[1], c.Region)
	}
	if arn := s.Ingress.CertificateARN; arn != "" {
		if m := certARNRE.FindStringSubmatch(arn); m == nil {
			errs.errAt(src, "spec.ingress.certificateArn", "%q is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)", arn)
		} else {
			checkAccount(src, "spec.ingress.certificateArn", m[2], e, errs)
			if c.Region != "" && m[1] != c.Region {
				errs.errAt(src, "spec.ingress.certificateArn", "certificate is in region %s but the cluster is in %s; an ALB needs a certificate of its own region", m[1], c.Region)
			}
		}
	}
	if d := s.Ingress.Domain; d != "" {
		for _, msg := range validation.IsDNS1123Subdomain(d) {
			errs.errAt(src, "spec.ingress.domain", "%s", msg)
		}
	}
	if g := s.Ingress.GroupName; !groupRE.MatchString(g) {
		errs.errAt(src, "spec.ingress.groupName", "%q must be at most 63 lower-case letters, digits, '-' or '.'", g)
	}
	validateNodes(src, s.Nodes, errs)
	if s.Overlay != "" {
		validateOverlay(fsys, src, s.Overlay, errs)
	}
	if r := s.Defaults.Replicas; r != nil {
		validateReplicas(src, "spec.defaults.replicas", *r, errs)
	}
}

func validateNodes(src *Source, n NodesSpec, errs *ErrorList) {
	if n.Role != "" && !roleNameRE.MatchString(n.Role) {
		errs.errAt(src, "spec.nodes.role", "%q is not an IAM role name (the EC2NodeClass takes the name, not the ARN)", n.Role)
	}
	if n.SubnetSelector != nil && len(n.SubnetSelector) == 0 {
		errs.errAt(src, "spec.nodes.subnetSelector", "must select at least one tag")
	}
	if n.SecurityGroupSelector != nil && len(n.SecurityGroupSelector) == 0 {
		errs.errAt(src, "spec.nodes.securityGroupSelector", "must select at least one tag")
	}
	if !amiAliasRE.MatchString(n.AMIAlias) {
		errs.errAt(src, "spec.nodes.amiAlias", "%q is not an AMI alias (family@version, like al2023@latest or bottlerocket@latest)", n.AMIAlias)
	}
	checkQuantity(src, "spec.nodes.rootVolumeSize", n.RootVolumeSize, errs)
	if n.MaxPriceMultiple < 1 || n.MaxPriceMultiple > 100 {
		errs.errAt(src, "spec.nodes.maxPriceMultiple", "must be between 1 and 100")
	}
}

func validateOverlay(fsys fs.FS, src *Source, dir string, errs *ErrorList) {
	clean := path.Clean(strings.TrimPrefix(dir, "./"))
	if path.IsAbs(dir) || clean == ".." || strings.HasPrefix(clean, "../") {
		errs.errAt(src, "spec.overlay", "%q must be a path inside the repository", dir)
		return
	}
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := fs.Stat(fsys, path.Join(clean, name)); err == nil {
			return
		}
	}
	errs.errAt(src, "spec.overlay", "%q has no kustomization.yaml", dir)
}

// checkAccount reports an ARN whose account is not the Environment's.
func checkAccount(src *Source, p, account string, env *Environment, errs *ErrorList) {
	if want := env.Spec.Cluster.AccountID; want != "" && account != want {
		errs.errAt(src, p, "ARN is in account %s but Environment %q is in account %s", account, env.Metadata.Name, want)
	}
}

// checkRoleARN validates an IAM role ARN against every Environment it is used in.
func checkRoleARN(src *Source, p, arn string, envs []*Environment, errs *ErrorList) {
	m := roleARNRE.FindStringSubmatch(arn)
	if m == nil {
		errs.errAt(src, p, "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", arn)
		return
	}
	for _, env := range envs {
		checkAccount(src, p, m[1], env, errs)
	}
}

func checkQuantity(src *Source, p, value string, errs *ErrorList) (resource.Quantity, bool) {
	if value == "" {
		return resource.Quantity{}, false
	}
	q, err := resource.ParseQuantity(value)
	if err != nil {
		errs.errAt(src, p, "%q is not a quantity (like 500m, 2, 16Gi)", value)
		return q, false
	}
	if q.Sign() <= 0 {
		errs.errAt(src, p, "must be greater than zero")
		return q, false
	}
	return q, true
}

func validateReplicas(src *Source, p string, r Replicas, errs *ErrorList) {
	if r.Min < 1 {
		errs.errAt(src, p+".min", "must be at least 1")
	}
	if r.Max < r.Min {
		errs.errAt(src, p+".max", "must be at least min (%d)", r.Min)
	}
}

// targetEnvironments resolves a spec's environments list, reporting names
// that no Environment has.
func targetEnvironments(src *Source, names []string, envs map[string]*Environment, errs *ErrorList) []*Environment {
	var out []*Environment
	if len(names) == 0 {
		for _, e := range envs {
			out = append(out, e)
		}
		return out
	}
	for i, n := range names {
		e, ok := envs[n]
		if !ok {
			errs.errAt(src, fmt.Sprintf("spec.environments[%d]", i), "no Environment named %q", n)
			continue
		}
		out = append(out, e)
	}
	return out
}

// InstanceTypes are the embedded catalog's instance types a replica
// needing req may run on in env (cheapest first): what the Model's
// NodePools allow, bounded by spec.nodes.maxPriceMultiple.
func InstanceTypes(req gpu.Request, env *Environment) []gpu.InstanceType {
	return gpu.Candidates(gpu.Types(), req, float64(env.Spec.Nodes.MaxPriceMultiple))
}

// NominalGPUGB reads a GPU memory quantity as the size GPUs are sold with:
// binary suffixes count GiB as GB, so 24Gi and 24G both mean a 24 GB GPU.
func NominalGPUGB(q resource.Quantity) float64 {
	if q.Format == resource.BinarySI {
		return q.AsApproximateFloat64() / (1 << 30)
	}
	return q.AsApproximateFloat64() / 1e9
}

// GPURequestFor turns a Model's resources into a catalog request.
func GPURequestFor(r ModelResources) (gpu.Request, error) {
	req := gpu.Request{}
	cpu, err := resource.ParseQuantity(r.CPU)
	if err != nil {
		return req, fmt.Errorf("cpu: %w", err)
	}
	mem, err := resource.ParseQuantity(r.Memory)
	if err != nil {
		return req, fmt.Errorf("memory: %w", err)
	}
	req.MilliCPU, req.MemoryMiB = cpu.MilliValue(), mem.Value()/(1<<20)
	if r.GPU != nil {
		q, err := resource.ParseQuantity(r.GPU.Memory)
		if err != nil {
			return req, fmt.Errorf("gpu.memory: %w", err)
		}
		req.NominalGB, req.GPUs, req.GPUName = NominalGPUGB(q), r.GPU.Count, r.GPU.Type
	}
	return req, nil
}
