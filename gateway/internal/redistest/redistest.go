// Package redistest starts a real redis-server (Debian's package) for tests.
package redistest

import (
	"fmt"
	"net"

	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Start runs redis-server on a free loopback port with a temporary
// directory and returns its address; it stops when the test ends. Under
// -short the test is skipped; without redis-server it fails, naming the fix.
func Start(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped under -short: needs a real redis-server")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not found: install Debian's redis-server (apt-get install -y redis-server; make test does it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning")
	logPath := filepath.Join(dir, "redis.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("redis-server did not start on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
