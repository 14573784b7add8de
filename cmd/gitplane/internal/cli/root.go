// Package cli holds gitplane's commands. Each verb is a thin layer over the
// schema, render and reconciler packages.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes, as kubectl diff and flux diff use them.
const (
	ExitOK      = 0 // nothing found, nothing to do
	ExitFound   = 1 // invalid specs, or a diff exists
	ExitFailure = 2 // usage or runtime error
)

// ExitError carries an exit code through cobra. A nil Err exits silently.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// found returns the exit error for "found something": invalid specs or a diff.
func found(err error) error { return &ExitError{Code: ExitFound, Err: err} }

// Main runs the CLI with os.Args and exits.
func Main() {
	os.Exit(Run(os.Args[1:], os.Stdout, os.Stderr))
}

// Run executes the CLI and returns the process exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	root := NewRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintln(stderr, "error:", exit.Err)
		}
		return exit.Code
	}
	fmt.Fprintln(stderr, "error:", err)
	return ExitFailure
}

// NewRootCommand builds the command tree.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "gitplane",
		Short: "GitOps for ML models and AI gateways on EKS",
		Long: `gitplane turns Model, Gateway and Environment specs kept in Git into
Kubernetes objects (IRSA ServiceAccounts, Karpenter NodePools, Istio routing,
ALB ingress) and keeps an EKS cluster in sync with them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newVersionCommand(),
		newValidateCommand(),
		newRenderCommand(),
		newDiffCommand(),
		newApplyCommand(),
		newServeCommand(),
		newPreviewCommand(),
		newSchemaCommand(),
		newEKSCommand(), newIAMCommand(), newCostCommand(),
		newGatewayCommand(),
	)
	return root
}
