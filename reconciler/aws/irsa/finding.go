package irsa

import (
	"fmt"
	"strings"
)

// DefaultAudience is the audience IRSA tokens carry unless the
// ServiceAccount's eks.amazonaws.com/audience annotation says otherwise.
const DefaultAudience = "sts.amazonaws.com"

// WebIdentityAction is the action IRSA needs the trust policy to allow.
const WebIdentityAction = "sts:AssumeRoleWithWebIdentity"

// RoleUse is one ServiceAccount that assumes a role through IRSA.
type RoleUse struct {
	RoleARN        string
	Namespace      string
	ServiceAccount string
	Audience       string // empty: DefaultAudience
}

// Subject is the :sub claim of the ServiceAccount's projected token.
func (u RoleUse) Subject() string {
	return "system:serviceaccount:" + u.Namespace + ":" + u.ServiceAccount
}

func (u RoleUse) audience() string {
	if u.Audience == "" {
		return DefaultAudience
	}
	return u.Audience
}

// Provider is the cluster's IAM OIDC identity provider.
type Provider struct {
	AccountID string
	Issuer    string // https://oidc.eks.<region>.amazonaws.com/id/<ID>
}

// Host is the issuer without scheme and trailing slash, as IAM names the
// provider and prefixes its condition keys.
func (p Provider) Host() string {
	return strings.TrimSuffix(strings.TrimPrefix(p.Issuer, "https://"), "/")
}

// ARN is the provider's ARN, the trust policy's Federated principal.
func (p Provider) ARN() string {
	return "arn:aws:iam::" + p.AccountID + ":oidc-provider/" + p.Host()
}

// Severity grades a Finding.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"   // the pod will fail to assume the role
	SeverityWarning Severity = "warning" // could not be checked
)

// Code names the kind of problem.
type Code string

// Finding codes.
const (
	CodeRoleNotFound   Code = "RoleNotFound"
	CodeRoleUnreadable Code = "RoleUnreadable"
	CodePolicyInvalid  Code = "PolicyInvalid"
	CodeNoWebIdentity  Code = "NoWebIdentityStatement"
	CodeWrongProvider  Code = "WrongProvider"
	CodeWrongAccount   Code = "WrongAccount"
	CodeSubMissing     Code = "SubConditionMissing"
	CodeSubMismatch    Code = "SubMismatch"
	CodeAudMissing     Code = "AudConditionMissing"
	CodeAudMismatch    Code = "AudMismatch"
	CodeDenied         Code = "Denied"
)

// Finding is one problem with one ServiceAccount's role.
type Finding struct {
	Severity Severity
	Code     Code
	Use      RoleUse
	Message  string
}

// String renders the finding on one line for diff and preview output.
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s/%s → %s: %s", f.Severity, f.Use.Namespace, f.Use.ServiceAccount, f.Use.RoleARN, f.Message)
}

func finding(u RoleUse, sev Severity, code Code, format string, args ...any) Finding {
	return Finding{Severity: sev, Code: code, Use: u, Message: fmt.Sprintf(format, args...)}
}
