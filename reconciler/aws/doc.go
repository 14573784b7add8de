// Package aws is the loop's AWS side: checks before apply, prices and EKS
// connections for the diff, preview, apply and serve code. A Client built from the default credential chain (or turned
// off by --skip-aws or the lack of credentials, with a notice and never an
// error) runs the IRSA trust-policy preflight for an Environment's rendered
// objects and prices its Models, and a Report renders both for the terminal
// and for PR comments. The sub-packages hold the parts: eksauth (EKS by
// name), irsa (trust policies), pricing (instance choice and cost),
// awsconfig (credentials and retries) and awstest (fake AWS services).
package aws
