package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// notBuilt is the answer of verbs whose engine has not landed yet.
func notBuilt(verb string, issue int) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("gitplane %s is not available in this build yet (tracked in issue #%d)", verb, issue)}
	}
}
