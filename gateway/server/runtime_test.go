package server

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCgroupMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		content string
		want    int64
		ok      bool
	}{
		{"536870912\n", 536870912, true},
		{"max\n", 0, false},
		{"", 0, false},
	} {
		p := filepath.Join(dir, "memory.max")
		if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, ok := cgroupMemoryLimit(p)
		if got != tc.want || ok != tc.ok {
			t.Errorf("memory.max %q: %d, %v; want %d, %v", tc.content, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := cgroupMemoryLimit(filepath.Join(dir, "missing")); ok {
		t.Error("a missing memory.max gave a limit")
	}
}
