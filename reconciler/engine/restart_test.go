package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestAPIServerGoneMidApply cuts the API server off in the middle of an
// apply — every connection reset, new ones refused for two seconds, as
// during a restart — through a TCP proxy in front of the real server. The
// apply rides it out on its retries; the next sync changes nothing.
func TestAPIServerGoneMidApply(t *testing.T) {
	cfg := testenv.Config(t)
	target, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, target.Host)
	viaProxy := rest.CopyConfig(cfg)
	viaProxy.Host = "https://" + proxy.addr

	h := newHarness(t, engine.Options{Concurrency: 4, Backoff: wait.Backoff{Duration: 200 * time.Millisecond, Factor: 1.5, Steps: 12, Cap: 2 * time.Second}})
	counted := rest.CopyConfig(viaProxy)
	counted.Wrap(func(rt http.RoundTripper) http.RoundTripper { h.count.next = rt; return h.count })
	eng, err := engine.New(counted, engine.Options{Concurrency: 4, Backoff: wait.Backoff{Duration: 200 * time.Millisecond, Factor: 1.5, Steps: 12, Cap: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	h.engine = eng

	env := fmt.Sprintf("restart%d", time.Now().UnixNano()%1_000_000) // fresh objects on every run
	objs := rendered(t, specRepo(env, model{"a", "srv:v1"}, model{"b", "srv:v1"}, model{"c", "srv:v1"}), env)
	p := h.plan(env, objs, engine.PlanOptions{Prune: true})
	var writes atomic.Int64
	h.count.before = func(r *http.Request) (*http.Response, error) {
		if r.Method != http.MethodGet && writes.Add(1) == 10 {
			go proxy.outage(2 * time.Second)
		}
		return nil, nil
	}
	start := time.Now()
	_, err = h.engine.Apply(context.Background(), p, engine.ApplyOptions{})
	h.count.before = nil
	if proxy.refused.Load() == 0 {
		t.Fatal("the outage did not happen during the apply")
	}
	if err != nil {
		t.Fatalf("apply did not ride out a 2s outage: %v", err)
	}
	t.Logf("apply across the outage took %v; the proxy refused %d probe connections meanwhile", time.Since(start).Round(time.Millisecond), proxy.refused.Load())

	if p := h.plan(env, objs, engine.PlanOptions{Prune: true}); p.HasChanges() {
		t.Errorf("not converged after the outage: %v", changed(p))
	}
	inv, err := h.engine.ReadInventory(context.Background(), env)
	if err != nil || inv.Len() != len(objs) {
		t.Errorf("inventory holds %d refs (err %v), want %d", inv.Len(), err, len(objs))
	}
}

// tcpProxy forwards connections to the API server and can go down.
type tcpProxy struct {
	t       *testing.T
	addr    string
	target  string
	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]bool
	refused atomic.Int64
}

func startProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() { p.down() })
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(s, c); s.Close() }()
	_, _ = io.Copy(c, s)
	c.Close()
}

// down closes the listener and every open connection.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// outage takes the proxy down for d, counting refused connection attempts,
// then listens again on the same address.
func (p *tcpProxy) outage(d time.Duration) {
	p.down()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", p.addr, 100*time.Millisecond); err != nil {
			p.refused.Add(1)
		} else {
			c.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Errorf("proxy could not listen again on %s: %v", p.addr, err)
		return
	}
	p.serve(ln)
}

// TestStaleDiscoveryAfterRestart: right after an API server restarts, its
// discovery lists the built-in groups before the CRD groups, and CRD kinds
// answer "no matches for kind" for a moment. A fresh engine whose first two
// discovery answers lack karpenter.sh (the real answers, with that group
// cut out) resets its RESTMapper and asks again: the plan sees the
// NodePools gitplane applied, and nothing changes.
func TestStaleDiscoveryAfterRestart(t *testing.T) {
	env := testenv.UniqueName("stale-disco")
	objs := rendered(t, specRepo(env, model{"a", "srv:v1"}), env)
	newHarness(t, engine.Options{}).sync(env, objs, engine.PlanOptions{Prune: true})

	h := newHarness(t, engine.Options{Backoff: fastBackoff(6)})
	var hidden atomic.Int64
	h.count.before = hideGroup(h.count, "karpenter.sh", 2, &hidden)
	p := h.plan(env, objs, engine.PlanOptions{Prune: true})
	if hidden.Load() == 0 {
		t.Fatal("discovery was never stale")
	}
	if p.HasChanges() {
		t.Errorf("plan with stale discovery: %v", changed(p))
	}
	if _, err := h.engine.Apply(context.Background(), p, engine.ApplyOptions{}); err != nil {
		t.Errorf("apply with stale discovery: %v", err)
	}
}

// hideGroup cuts an API group out of the first n discovery answers (/apis),
// as a restarting API server leaves its CRD groups out.
func hideGroup(c *counter, group string, n int64, hidden *atomic.Int64) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) {
		if r.Method != http.MethodGet || r.URL.Path != "/apis" || hidden.Load() >= n {
			return nil, nil
		}
		resp, err := c.next.RoundTrip(r)
		if err != nil || resp.StatusCode != http.StatusOK {
			return resp, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, fmt.Errorf("discovery answer is not JSON: %w", err)
		}
		for _, field := range []string{"items", "groups"} { // aggregated (v2) or legacy
			list, ok := doc[field].([]any)
			if !ok {
				continue
			}
			doc[field] = slices.DeleteFunc(list, func(g any) bool {
				m, _ := g.(map[string]any)
				meta, _ := m["metadata"].(map[string]any)
				return m["name"] == group || meta["name"] == group
			})
		}
		if body, err = json.Marshal(doc); err != nil {
			return nil, err
		}
		hidden.Add(1)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
		return resp, nil
	}
}
