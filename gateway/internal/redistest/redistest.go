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
	// Cluster, when above 0, starts a Redis Cluster of that many primaries
	// sharing the 16384 slots; Server.Addr is the first's, as a
	// configuration endpoint.
	Cluster int
}

// Server is a running redis-server, or a cluster of them.
type Server struct {
	Addr   string
	Addrs  []string       // every node (Addr alone without Cluster)
	CAFile string         // PEM of the CA of its certificate (TLS only)
	CAs    *x509.CertPool // the same CA (TLS only)

	busPorts []int // the cluster bus port of each node
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
	dir := t.TempDir()
	srv := &Server{}
	var tlsArgs []string
	if opts.TLS {
		cert, key := srv.makeCerts(t, dir)
		// the CA checks the nodes' certificates on the cluster bus
		tlsArgs = []string{"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", srv.CAFile, "--tls-auth-clients", "no"}
	}
	for i := range max(1, opts.Cluster) {
		port := freePort(t)
		args := []string{"--bind", "127.0.0.1", "--dir", filepath.Join(dir, fmt.Sprint(i)),
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning"}
		if opts.TLS {
			args = append(append(args, "--port", "0", "--tls-port", fmt.Sprint(port)), tlsArgs...)
		} else {
			args = append(args, "--port", fmt.Sprint(port))
		}
		if opts.Cluster > 0 {
			bus := freePort(t)
			srv.busPorts = append(srv.busPorts, bus)
			args = append(args, "--cluster-enabled", "yes", "--cluster-port", fmt.Sprint(bus))
			if opts.TLS {
				args = append(args, "--tls-cluster", "yes")
			}
		}
		for name, password := range opts.Users {
			args = append(args, "--user", name, "on", ">"+password, "~*", "&*", "+@all")
		}
		srv.Addrs = append(srv.Addrs, startNode(t, bin, filepath.Join(dir, fmt.Sprint(i)), port, args))
	}
	srv.Addr = srv.Addrs[0]
	if opts.Cluster > 0 {
		srv.formCluster(t)
	}
	return srv
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startNode runs one redis-server in dir and waits for its port.
func startNode(t testing.TB, bin, dir string, port int, args []string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
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
