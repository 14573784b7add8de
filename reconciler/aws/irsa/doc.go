// Package irsa checks IRSA trust policies before apply. It checks that every
// IAM role the rendered ServiceAccounts name in eks.amazonaws.com/role-arn can be assumed by that
// ServiceAccount through IRSA: iam:GetRole, then the role's trust policy must
// allow sts:AssumeRoleWithWebIdentity to the cluster's OIDC provider with a
// :sub condition matching system:serviceaccount:<ns>:<sa> and an :aud
// condition of sts.amazonaws.com. Problems come back as Findings, data the
// diff, preview and PR comment print. The package also writes the trust
// policy each role needs, as JSON or as a Terraform aws_iam_role.
package irsa
