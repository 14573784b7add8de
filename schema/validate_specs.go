package schema

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gitplane/gitplane/schema/gpu"
)

func validateModel(m *Model, envs map[string]*Environment, errs *ErrorList) {
	validateMeta(m, errs)
	src, s := &m.Source, &m.Spec
	targets := targetEnvironments(src, s.Environments, envs, errs)
	if s.Image != "" && strings.ContainsAny(s.Image, " \t") {
		errs.errAt(src, "spec.image", "%q is not an image reference", s.Image)
	}
	validatePort(src, "spec.port", s.Port, errs)
	validateUnreservedPort(src, "spec.port", s.Port, errs)
	if !strings.HasPrefix(s.HealthPath, "/") {
		errs.errAt(src, "spec.healthPath", "must start with /")
	}
	validateEnv(src, s.Env, errs)
	validateResources(src, s.Resources, errs)
	if s.Replicas != nil {
		validateReplicas(src, "spec.replicas", *s.Replicas, errs)
	}
	if t := s.Autoscaling.TargetCPUUtilization; t < 1 || t > 100 {
		errs.errAt(src, "spec.autoscaling.targetCPUUtilization", "must be between 1 and 100")
	}
	if s.IAM.RoleARN != "" {
		checkRoleARN(src, "spec.iam.roleArn", s.IAM.RoleARN, targets, errs)
	}
	if s.Expose != nil {
		validateHost(src, "spec.expose.host", s.Expose.Host, targets, errs)
		if !strings.HasPrefix(s.Expose.Path, "/") {
			errs.errAt(src, "spec.expose.path", "must start with /")
		}
	}
	validateAccess(src, s.Access, errs)
	validateSecurity(src, s.Security, errs)
}

func validateAccess(src *Source, a ModelAccess, errs *ErrorList) {
	for i, ns := range a.Namespaces {
		for _, msg := range validation.IsDNS1123Label(ns) {
			errs.errAt(src, fmt.Sprintf("spec.access.namespaces[%d]", i), "%q is not a namespace name: %s", ns, msg)
		}
	}
	for i, sa := range a.ServiceAccounts {
		p := fmt.Sprintf("spec.access.serviceAccounts[%d]", i)
		ns, name, ok := strings.Cut(sa, "/")
		if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
			errs.errAt(src, p, "%q is not namespace/name of a service account", sa)
		}
	}
}

func validateSecurity(src *Source, s ModelSecurity, errs *ErrorList) {
	if u := s.RunAsUser; u != nil && *u < 0 {
		errs.errAt(src, "spec.security.runAsUser", "must not be negative")
	}
	if u := s.RunAsUser; u != nil && *u == 0 && s.RunAsNonRoot {
		errs.errAt(src, "spec.security.runAsUser", "0 is root, and runAsNonRoot is set")
	}
	if !strings.HasPrefix(s.CachePath, "/") || s.CachePath == "/" || s.CachePath == "/tmp" {
		errs.errAt(src, "spec.security.cachePath", "must be an absolute path other than / and /tmp")
	}
}

func validatePort(src *Source, p string, port int32, errs *ErrorList) {
	if port < 1 || port > 65535 {
		errs.errAt(src, p, "must be between 1 and 65535")
	}
}

// Istio's sidecar listens on 15000-15090 (admin, outbound, inbound,
// health, telemetry) in every pod of the mesh.
const reservedPortsLow, reservedPortsHigh = 15000, 15090

// validateUnreservedPort rejects the ports the platform's sidecar holds in
// the workload's pod.
func validateUnreservedPort(src *Source, p string, port int32, errs *ErrorList) {
	if port >= reservedPortsLow && port <= reservedPortsHigh {
		errs.errAt(src, p, "%d is reserved by Istio's sidecar (%d-%d)", port, reservedPortsLow, reservedPortsHigh)
	}
}

func validateEnv(src *Source, env []EnvVar, errs *ErrorList) {
	seen := map[string]bool{}
	for i, e := range env {
		p := fmt.Sprintf("spec.env[%d]", i)
		for _, msg := range validation.IsEnvVarName(e.Name) {
			errs.errAt(src, p+".name", "%s", msg)
		}
		if seen[e.Name] {
			errs.errAt(src, p+".name", "duplicate variable %q", e.Name)
		}
		seen[e.Name] = true
		if e.Value != "" && e.SecretRef != nil {
			errs.errAt(src, p, "set either value or secretRef, not both")
		}
	}
}

func validateResources(src *Source, r ModelResources, errs *ErrorList) {
	_, cpuOK := checkQuantity(src, "spec.resources.cpu", r.CPU, errs)
	_, memOK := checkQuantity(src, "spec.resources.memory", r.Memory, errs)
	if r.GPU == nil {
		return
	}
	_, gpuOK := checkQuantity(src, "spec.resources.gpu.memory", r.GPU.Memory, errs)
	if r.GPU.Count < 1 || r.GPU.Count > 8 {
		errs.errAt(src, "spec.resources.gpu.count", "must be between 1 and 8")
		return
	}
	if !cpuOK || !memOK || !gpuOK || (r.GPU.Type != "" && !slices.Contains(gpu.GPUNames(), r.GPU.Type)) {
		return
	}
	req, err := GPURequestFor(r)
	if err != nil {
		errs.errAt(src, "spec.resources", "%v", err)
		return
	}
	if !gpu.Fits(req) {
		errs.errAt(src, "spec.resources.gpu", "no instance type in the GPU catalog fits %s", describeRequest(r))
	}
}

func describeRequest(r ModelResources) string {
	what := fmt.Sprintf("%d GPU(s) with %s each", r.GPU.Count, r.GPU.Memory)
	if r.GPU.Type != "" {
		what = fmt.Sprintf("%d %s GPU(s) with %s each", r.GPU.Count, r.GPU.Type, r.GPU.Memory)
	}
	return fmt.Sprintf("%s, cpu %s, memory %s (largest GPU: 80 GB h100; see docs/spec.md)", what, r.CPU, r.Memory)
}

// Hostname is a workload's host in an Environment: a single label is a name
// under the Environment's ingress domain, anything else is used as given.
func Hostname(host string, env *Environment) string {
	if host != "" && !strings.Contains(host, ".") && env.Spec.Ingress.Domain != "" {
		return host + "." + env.Spec.Ingress.Domain
	}
	return host
}

func validateHost(src *Source, p, host string, targets []*Environment, errs *ErrorList) {
	if host == "" {
		return
	}
	if msgs := validation.IsDNS1123Subdomain(host); len(msgs) > 0 {
		errs.errAt(src, p, "%q is not a host name: %s", host, msgs[0])
		return
	}
	for _, env := range sortedEnvs(targets) {
		d := env.Spec.Ingress.Domain
		if full := Hostname(host, env); d != "" && full != d && !strings.HasSuffix(full, "."+d) {
			errs.errAt(src, p, "host %q is not in Environment %q's domain %s", full, env.Metadata.Name, d)
		}
	}
}
