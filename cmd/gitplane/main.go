// Command gitplane is GitOps for ML models and AI gateways on EKS.
package main

import "github.com/gitplane/gitplane/cmd/gitplane/internal/cli"

func main() { cli.Main() }
