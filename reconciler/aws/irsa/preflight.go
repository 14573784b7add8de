package irsa

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// GetRoleAPI is the part of the IAM client Preflight uses.
type GetRoleAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

// Preflight reads each distinct role once and checks its trust policy for
// every ServiceAccount that uses it. Findings are sorted by role, namespace,
// ServiceAccount and code; none means every ServiceAccount can assume its role.
func Preflight(ctx context.Context, api GetRoleAPI, uses []RoleUse, prov Provider) []Finding {
	byRole := map[string][]RoleUse{}
	for _, u := range uses {
		byRole[u.RoleARN] = append(byRole[u.RoleARN], u)
	}
	var out []Finding
	for _, arn := range sortedKeys(byRole) {
		out = append(out, checkRole(ctx, api, arn, byRole[arn], prov)...)
	}
	slices.SortStableFunc(out, compareFindings)
	return out
}

func checkRole(ctx context.Context, api GetRoleAPI, arn string, uses []RoleUse, prov Provider) []Finding {
	policy, fail := readTrustPolicy(ctx, api, arn)
	var out []Finding
	for _, u := range uses {
		if fail != nil {
			f := *fail
			f.Use = u
			out = append(out, f)
			continue
		}
		out = append(out, Check(policy, u, prov)...)
	}
	return out
}

// readTrustPolicy returns the role's trust policy, or the finding that
// explains why it could not be read.
func readTrustPolicy(ctx context.Context, api GetRoleAPI, arn string) (*Policy, *Finding) {
	name, ok := RoleName(arn)
	if !ok {
		f := finding(RoleUse{RoleARN: arn}, SeverityError, CodeRoleNotFound, "%q is not an IAM role ARN", arn)
		return nil, &f
	}
	out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	var missing *iamtypes.NoSuchEntityException
	switch {
	case errors.As(err, &missing):
		f := finding(RoleUse{RoleARN: arn}, SeverityError, CodeRoleNotFound, "role %s does not exist in account", name)
		return nil, &f
	case err != nil:
		f := finding(RoleUse{RoleARN: arn}, SeverityWarning, CodeRoleUnreadable, "cannot read role %s: %v", name, err)
		return nil, &f
	}
	if got := aws.ToString(out.Role.Arn); got != "" && got != arn {
		f := finding(RoleUse{RoleARN: arn}, SeverityError, CodeRoleNotFound, "role %s exists as %s, not %s", name, got, arn)
		return nil, &f
	}
	p, err := ParsePolicy(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		f := finding(RoleUse{RoleARN: arn}, SeverityError, CodePolicyInvalid, "role %s: %v", name, err)
		return nil, &f
	}
	return p, nil
}

// RoleName returns the name of arn:aws:iam::<account>:role/<path/>name.
func RoleName(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "", false
	}
	res := parts[5]
	return res[strings.LastIndex(res, "/")+1:], true
}

func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Use.RoleARN, b.Use.RoleARN),
		cmp.Compare(a.Use.Namespace, b.Use.Namespace),
		cmp.Compare(a.Use.ServiceAccount, b.Use.ServiceAccount),
		cmp.Compare(a.Code, b.Code),
	)
}
