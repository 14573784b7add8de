// Package eksauth connects the engine to an EKS cluster by name.
// It works the way aws-iam-authenticator and `aws eks get-token` do:
// eks:DescribeCluster gives
// the API server endpoint and CA, and the bearer token is a presigned STS
// GetCallerIdentity URL with the cluster name signed in as the x-k8s-aws-id
// header. Tokens are valid for 15 minutes; the TokenSource caches one and
// signs a new one before it expires, so a long-running process never sends an
// expired token. Credentials come from the default AWS chain (IRSA web
// identity in a cluster, environment or profile locally); signing makes no
// network call.
package eksauth
