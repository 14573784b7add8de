package cli

import (
	"testing"

	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestMain stops the local control plane the integration tests start.
func TestMain(m *testing.M) { testenv.Main(m) }
