package server_test

import (
	"os"
	"testing"

	"github.com/gitplane/gitplane/gateway/internal/gatewaytest"
)

func TestMain(m *testing.M) {
	gatewaytest.RunChildIfAsked()
	os.Exit(m.Run())
}
