// Package gatewaytest runs a gateway for tests: in-process on loopback
// listeners, or as a child process (the test binary re-executed), and
// gives OpenAI SDK clients for it.
package gatewaytest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/gitplane/gitplane/gateway/config"
	"github.com/gitplane/gitplane/gateway/server"
	"github.com/gitplane/gitplane/gateway/usage"
)

// Gateway is a running gateway.
type Gateway struct {
	URL      string // API base, http://127.0.0.1:port
	AdminURL string // /metrics, /healthz, /readyz
	Server   *server.Server
	logs     *syncBuffer
	stop     context.CancelFunc
	done     chan error
}

// Options configures Start.
type Options struct {
	Backends server.Backends
	Ready    func(context.Context) error
}

// Start builds a gateway from cfg (defaults applied as Load does) and serves
// it until the test ends.
func Start(t testing.TB, cfg *config.Config, opts Options) *Gateway {
	t.Helper()
	cfg = Normalize(t, cfg)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, server.Options{Config: cfg, Logger: log, Backends: opts.Backends, Ready: opts.Ready})
	if err != nil {
		cancel()
		t.Fatalf("building gateway: %v", err)
	}
	apiLn, adminLn := listen(t), listen(t)
	g := &Gateway{URL: "http://" + apiLn.Addr().String(), AdminURL: "http://" + adminLn.Addr().String(), Server: srv, logs: logs, stop: cancel, done: make(chan error, 1)}
	go func() { g.done <- srv.Serve(ctx, apiLn, adminLn) }()
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Errorf("gateway: %v", err)
		}
	})
	return g
}

// Stop drains the gateway and waits for it; later calls return nil.
func (g *Gateway) Stop() error {
	if g.stop == nil {
		return nil
	}
	g.stop()
	g.stop = nil
	return <-g.done
}

// Normalize round-trips cfg through Marshal and Parse, so tests use exactly
// what a config file would give (validated, with defaults).
func Normalize(t testing.TB, cfg *config.Config) *config.Config {
	t.Helper()
	if cfg.APIVersion == "" {
		cfg.APIVersion, cfg.Kind = config.APIVersion, config.Kind
	}
	b, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := config.Parse("test.yaml", b)
	if err != nil {
		t.Fatalf("test config is invalid: %v\n%s", err, b)
	}
	return out
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// Client returns an OpenAI SDK client for the gateway with key, without retries.
func Client(baseURL, key string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(baseURL + "/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0)}, opts...)...)
}

// WaitRecorded waits until n requests have been recorded (a response can
// reach the client just before its access-log line and metrics).
func (g *Gateway) WaitRecorded(t testing.TB, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for g.Server.Recorder().Records() < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d requests to be recorded (have %d)", n, g.Server.Recorder().Records())
		}
		time.Sleep(time.Millisecond)
	}
}

// Logs returns the access log and server messages so far.
func (g *Gateway) Logs() string { return g.logs.String() }

// Metrics returns the /metrics text.
func (g *Gateway) Metrics(t testing.TB) string {
	t.Helper()
	resp, err := http.Get(g.AdminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}

// Metric returns the value of the sample whose line starts with series
// (name{labels} exactly as exposed), or 0.
func Metric(metrics, series string) float64 {
	for _, line := range strings.Split(metrics, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			fmt.Sscan(rest, &v)
			return v
		}
	}
	return 0
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Environment of a re-executed test binary: the config file of the gateway
// it serves (and where its access log goes, default stderr), or the
// upstream of a bare httputil.ReverseProxy it serves instead.
const (
	ChildEnv      = "GITPLANE_GATEWAY_CHILD_CONFIG"
	ChildLogEnv   = "GITPLANE_GATEWAY_CHILD_LOG"
	ChildProxyEnv = "GITPLANE_GATEWAY_CHILD_PROXY"
	// ChildRelayEnv is the upstream (host:port) of a TCP relay the child
	// serves instead: bytes copied both ways, no HTTP.
	ChildRelayEnv = "GITPLANE_GATEWAY_CHILD_RELAY"
	// ChildProfileEnv, when set, is where a gateway child writes a CPU profile.
	ChildProfileEnv = "GITPLANE_GATEWAY_CHILD_CPUPROFILE"
)

// RunChildIfAsked serves the gateway of $GITPLANE_GATEWAY_CHILD_CONFIG (or
// the bare proxy of $GITPLANE_GATEWAY_CHILD_PROXY, or the TCP relay of
// $GITPLANE_GATEWAY_CHILD_RELAY) on loopback ports, prints
// "LISTEN <api> <admin>" and runs until stdin closes. Call it from
// TestMain; it returns false when not in a child.
func RunChildIfAsked() bool {
	if up := os.Getenv(ChildProxyEnv); up != "" {
		runProxy(up)
	}
	if up := os.Getenv(ChildRelayEnv); up != "" {
		runRelay(up)
	}
	path := os.Getenv(ChildEnv)
	if path == "" {
		return false
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var out io.Writer = os.Stderr
	if p := os.Getenv(ChildLogEnv); p != "" {
		f, err := os.Create(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		out = f
	}
	lw := usage.NewLineWriter(out, 100*time.Millisecond) // as the gateway verb does
	defer lw.Close()
	log := slog.New(slog.NewJSONHandler(lw, nil))
	server.TuneRuntime()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, server.Options{Config: cfg, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	apiLn, err1 := net.Listen("tcp", "127.0.0.1:0")
	adminLn, err2 := net.Listen("tcp", "127.0.0.1:0")
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, err1, err2)
		os.Exit(2)
	}
	if p := os.Getenv(ChildProfileEnv); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	fmt.Printf("LISTEN %s %s\n", apiLn.Addr(), adminLn.Addr())
	go func() { _, _ = bufio.NewReader(os.Stdin).ReadString('\n'); cancel() }()
	err = srv.Serve(ctx, apiLn, adminLn)
	pprof.StopCPUProfile()
	_ = lw.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
	return true
}

// Child is a gateway in a child process.
type Child struct {
	URL, AdminURL string
	cmd           *exec.Cmd
	stdin         interface{ Close() error }
	Stderr        *syncBuffer
}

// StartChild re-executes the test binary as a gateway serving the config at
// path. Prefix is prepended to the command (e.g. taskset -c 0); env is added.
func StartChild(t testing.TB, path string, prefix []string, env ...string) *Child {
	t.Helper()
	return StartChildEnv(t, prefix, append([]string{ChildEnv + "=" + path}, env...)...)
}

// StartChildEnv re-executes the test binary with env (ChildEnv, ChildProxyEnv or ChildRelayEnv set).
func StartChildEnv(t testing.TB, prefix []string, env ...string) *Child {
	t.Helper()
	argv := append(append([]string{}, prefix...), os.Args[0], "-test.run=^$")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &Child{cmd: cmd, stdin: stdin, Stderr: &syncBuffer{}}
	cmd.Stderr = c.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if strings.HasPrefix(s.Text(), "LISTEN ") {
				line <- s.Text()
			}
		}
		close(line)
	}()
	select {
	case l, ok := <-line:
		if !ok {
			t.Fatalf("gateway child exited: %s", c.Stderr.String())
		}
		f := strings.Fields(l)
		c.URL, c.AdminURL = "http://"+f[1], "http://"+f[2]
	case <-time.After(30 * time.Second):
		t.Fatalf("gateway child did not start: %s", c.Stderr.String())
	}
	return c
}

// WaitIdle waits until the child's /metrics stop changing for a moment:
// the requests in flight have been recorded.
func (c *Child) WaitIdle(t testing.TB) {
	t.Helper()
	prev := ""
	for range 100 {
		resp, err := http.Get(c.AdminURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		s := requestsLines(b.String())
		if s == prev {
			return
		}
		prev = s
		time.Sleep(50 * time.Millisecond)
	}
}

func requestsLines(metrics string) string {
	var out []string
	for _, l := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(l, "gitplane_gateway_requests_total{") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Pid returns the child's process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Stop closes the child's stdin (it drains and exits) and waits for it.
func (c *Child) Stop() {
	if c.stdin == nil {
		return
	}
	_ = c.stdin.Close()
	c.stdin = nil
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}
