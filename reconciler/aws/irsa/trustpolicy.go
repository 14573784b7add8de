package irsa

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// RoleTrust is the trust policy one role needs for the ServiceAccounts that
// use it.
type RoleTrust struct {
	RoleARN string
	Policy  Policy
}

// TrustPolicies returns, per role and sorted by ARN, the trust policy that
// lets exactly the ServiceAccounts in uses assume it through prov.
func TrustPolicies(prov Provider, uses []RoleUse) []RoleTrust {
	byRole := map[string][]RoleUse{}
	for _, u := range uses {
		byRole[u.RoleARN] = append(byRole[u.RoleARN], u)
	}
	out := make([]RoleTrust, 0, len(byRole))
	for _, arn := range sortedKeys(byRole) {
		out = append(out, RoleTrust{RoleARN: arn, Policy: TrustPolicy(prov, byRole[arn])})
	}
	return out
}

// TrustPolicy is the IRSA trust policy for a role used by uses.
func TrustPolicy(prov Provider, uses []RoleUse) Policy {
	var subs, auds StringSet
	for _, u := range uses {
		subs = append(subs, u.Subject())
		auds = append(auds, u.audience())
	}
	slices.Sort(subs)
	slices.Sort(auds)
	host := prov.Host()
	return Policy{
		Version: PolicyVersion,
		Statement: Statements{{
			Effect:    "Allow",
			Principal: &Principal{IDs: map[string]StringSet{"Federated": {prov.ARN()}}},
			Action:    StringSet{WebIdentityAction},
			Condition: Conditions{"StringEquals": {
				host + ":aud": slices.Compact(auds),
				host + ":sub": slices.Compact(subs),
			}},
		}},
	}
}

// JSON renders the policy indented, with a trailing newline.
func (p Policy) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding policy: %w", err)
	}
	return append(out, '\n'), nil
}

// Terraform renders an aws_iam_role resource with this trust policy. The
// policy JSON is also a valid HCL expression, so it goes into jsonencode()
// as is and Terraform normalises it.
func (r RoleTrust) Terraform() (string, error) {
	name, ok := RoleName(r.RoleARN)
	if !ok {
		return "", fmt.Errorf("%q is not an IAM role ARN", r.RoleARN)
	}
	doc, err := r.Policy.JSON()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "resource \"aws_iam_role\" %q {\n", terraformName(name))
	fmt.Fprintf(&b, "  name = %q\n", name)
	if path := rolePath(r.RoleARN); path != "/" {
		fmt.Fprintf(&b, "  path = %q\n", path)
	}
	b.WriteString("  assume_role_policy = jsonencode(")
	b.WriteString(strings.ReplaceAll(strings.TrimSuffix(string(doc), "\n"), "\n", "\n  "))
	b.WriteString(")\n}\n")
	return b.String(), nil
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

// terraformName turns a role name into a Terraform resource name.
func terraformName(role string) string {
	n := nonIdent.ReplaceAllString(role, "_")
	if n == "" || (n[0] >= '0' && n[0] <= '9') {
		n = "role_" + n
	}
	return n
}

// rolePath returns the IAM path of a role ARN ("/" when it has none).
func rolePath(arn string) string {
	res := arn[strings.LastIndex(arn, ":")+1:]
	res = strings.TrimPrefix(res, "role")
	return res[:strings.LastIndex(res, "/")+1]
}
