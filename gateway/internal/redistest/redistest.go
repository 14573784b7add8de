// Package redistest starts a real redis-server (Debian's package) for tests.
package redistest

import (
	"crypto/x509"
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
	return StartWith(t, Options{}).Addr
}

// Options configure StartWith.
type Options struct {
	// TLS serves TLS only, with a certificate for 127.0.0.1 and localhost
	// from a CA made for this server (Server.CAs, Server.CAFile).
	TLS bool
	// Users are ACL users (name → password) allowed every command and key.
	Users map[string]string
}

// Server is a running redis-server.
type Server struct {
	Addr   string
	CAFile string         // PEM of the CA of its certificate (TLS only)
	CAs    *x509.CertPool // the same CA (TLS only)
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Server {
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
	srv := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	args := []string{"--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning"}
	if opts.TLS {
		cert, key := srv.makeCerts(t, dir)
		args = append(args, "--port", "0", "--tls-port", fmt.Sprint(port), "--tls-cert-file", cert, "--tls-key-file", key, "--tls-auth-clients", "no")
	} else {
		args = append(args, "--port", fmt.Sprint(port))
	}
	for name, password := range opts.Users {
		args = append(args, "--user", name, "on", ">"+password, "~*", "&*", "+@all")
	}
	cmd := exec.Command(bin, args...)
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", srv.Addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return srv
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("redis-server did not start on %s: %v\n%s", srv.Addr, err, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
