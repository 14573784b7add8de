package testenv

import (
	"crypto/rand"
	"encoding/hex"
)

// UniqueName is prefix with "-" and 6 random hex digits, as generateName
// gives: each test owns the Environments and namespaces it names, so a
// second run on the same control plane starts clean.
func UniqueName(prefix string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + "-" + hex.EncodeToString(b)
}
