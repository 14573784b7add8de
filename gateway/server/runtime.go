package server

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// gcPercent is the gateway's GOGC when the environment sets none. Each
// request allocates a few KiB that die with it; at Go's default of 100 the
// small heap of a gateway is collected ten times a second under load, and
// every collection delays the requests it overlaps by up to a millisecond
// on one core. 1000 makes them a tenth as frequent; a heap of 3–4 MB live
// then grows to about 40 MB between collections (docs/gateway.md,
// Performance), and GOMEMLIMIT bounds it in a container.
const gcPercent = 1000

// memoryShare is the part of the container's memory limit the heap may
// grow to before the collector works harder (GOMEMLIMIT), so the higher
// gcPercent never walks the gateway into its OOM kill.
const memoryShare = 0.8

// TuneRuntime sets the garbage collector for the request path: GOGC 1000
// and, in a container with a memory limit (cgroup v2 memory.max), a soft
// memory limit of 80% of it. GOGC and GOMEMLIMIT in the environment win.
// It returns what it set, for the log.
func TuneRuntime() (gc int, memLimit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		gc = gcPercent
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if limit, ok := cgroupMemoryLimit("/sys/fs/cgroup/memory.max"); ok {
			memLimit = int64(float64(limit) * memoryShare)
			debug.SetMemoryLimit(memLimit)
		}
	}
	return gc, memLimit
}

// cgroupMemoryLimit reads a cgroup v2 memory.max file: a byte count, or
// "max" (no limit).
func cgroupMemoryLimit(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil && n > 0
}
