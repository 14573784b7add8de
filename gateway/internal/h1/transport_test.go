package h1_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gitplane/gitplane/gateway/internal/h1"
)

// counted is an httptest server that counts the connections it accepted.
type counted struct {
	*httptest.Server
	conns atomic.Int64
}

func newCounted(t *testing.T, h http.HandlerFunc, tls bool) *counted {
	c := &counted{}
	c.Server = httptest.NewUnstartedServer(h)
	c.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.conns.Add(1)
		}
	}
	if tls {
		c.StartTLS()
	} else {
		c.Start()
	}
	t.Cleanup(c.Close)
	return c
}

func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Path", r.URL.EscapedPath())
	fmt.Fprintf(w, "%s %s", r.Method, b)
}

func post(t *testing.T, c *http.Client, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Post(url, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp, string(b)
}

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

func TestReusesConnections(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"http", false}, {"https", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCounted(t, echo, tc.tls)
			opts := h1.Options{Proxy: noProxy}
			if tc.tls {
				opts.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
			}
			c := &http.Client{Transport: h1.New(opts)}
			for i := range 20 {
				resp, got := post(t, c, srv.URL+"/model/a%3Ab/converse", fmt.Sprint(i))
				if want := fmt.Sprintf("POST %d", i); got != want || resp.StatusCode != 200 {
					t.Fatalf("answer %d: %d %q, want 200 %q", i, resp.StatusCode, got, want)
				}
				if p := resp.Header.Get("X-Path"); p != "/model/a%3Ab/converse" {
					t.Fatalf("wire path %q: the escaped path must be sent as given", p)
				}
			}
			if n := srv.conns.Load(); n != 1 {
				t.Errorf("20 sequential requests used %d connections, want 1", n)
			}
		})
	}
}

func TestConcurrentRequestsGetTheirOwnConnections(t *testing.T) {
	arrived := make(chan struct{}, 8)
	release := make(chan struct{})
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		echo(w, r)
	}, false)
	c := &http.Client{Transport: h1.New(h1.Options{Proxy: noProxy})}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			resp, err := c.Post(srv.URL, "text/plain", strings.NewReader(fmt.Sprint(i)))
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != fmt.Sprintf("POST %d", i) {
				errs <- fmt.Errorf("request %d got %q", i, b)
			}
		})
	}
	// All 8 reach the server before any is answered: each has its own
	// connection. A transport that queued them on one would stop at 1.
	timeout := time.After(10 * time.Second)
	for n := 0; n < 8; n++ {
		select {
		case <-arrived:
		case <-timeout:
			t.Errorf("%d requests reached the server at once, want 8", n)
			n = 8
		}
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRetriesWhenTheServerClosedAnIdleConnection: a server that closes a
// kept-alive connection between requests does not make the next request
// fail; a server that breaks the connection after reading a request does
// (it may have acted on it).
func TestRetriesWhenTheServerClosedAnIdleConnection(t *testing.T) {
	var requests atomic.Int64
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		echo(w, r)
	}, false)
	tr := h1.New(h1.Options{Proxy: noProxy})
	c := &http.Client{Transport: tr}
	post(t, c, srv.URL, "one")
	srv.CloseClientConnections() // the server drops the idle connection
	if _, got := post(t, c, srv.URL, "two"); got != "POST two" {
		t.Fatalf("after the server closed the idle connection: %q", got)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("server handled %d requests, want 2", n)
	}

	// A server that reads the request and hangs up without answering.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var got atomic.Int64
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			r, err := http.ReadRequest(bufio.NewReader(nc))
			if err == nil {
				_, _ = io.Copy(io.Discard, r.Body)
				got.Add(1)
			}
			_ = nc.Close()
		}
	}()
	_, err = c.Post("http://"+ln.Addr().String(), "text/plain", strings.NewReader("x"))
	if err == nil {
		t.Fatal("a connection closed without an answer must fail the request")
	}
	if n := got.Load(); n != 1 {
		t.Errorf("the request was sent %d times to a server that read it, want 1", n)
	}
}

func TestEarlyCloseDoesNotReuseTheConnection(t *testing.T) {
	srv := newCounted(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 64<<10)))
	}, false)
	c := &http.Client{Transport: h1.New(h1.Options{Proxy: noProxy})}
	for range 3 {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		var one [1]byte
		if _, err := io.ReadFull(resp.Body, one[:]); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if _, err := resp.Body.Read(one[:]); err == nil {
			t.Fatal("Read after Close succeeded")
		}
	}
	if n := srv.conns.Load(); n != 3 {
		t.Errorf("3 requests whose bodies were left unread used %d connections, want 3", n)
	}
}

func TestConnectionCloseIsHonoured(t *testing.T) {
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		echo(w, r)
	}, false)
	c := &http.Client{Transport: h1.New(h1.Options{Proxy: noProxy})}
	for range 3 {
		post(t, c, srv.URL, "x")
	}
	if n := srv.conns.Load(); n != 3 {
		t.Errorf("server said Connection: close; %d connections, want 3", n)
	}
}

func TestContextBoundsTheExchange(t *testing.T) {
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		_, _ = w.Write([]byte("first"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}, false)
	c := &http.Client{Transport: h1.New(h1.Options{Proxy: noProxy})}

	// The deadline ends a body that stops arriving.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("body past the deadline: %v, want context.DeadlineExceeded", err)
	}

	// Cancelling interrupts a read in progress.
	ctx, cancel = context.WithCancel(context.Background())
	req, _ = http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("body after cancel: %v, want context.Canceled", err)
	}
}

// TestChunksArriveAsSent: a streamed answer is readable chunk by chunk as
// the server flushes, not when it ends.
func TestChunksArriveAsSent(t *testing.T) {
	next := make(chan struct{})
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			return
		}
		for i := range 3 {
			fmt.Fprintf(w, "chunk %d\n", i)
			w.(http.Flusher).Flush()
			<-next
		}
	}, false)
	c := &http.Client{Transport: h1.New(h1.Options{Proxy: noProxy})}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := r.ReadString('\n')
		if err != nil || line != fmt.Sprintf("chunk %d\n", i) {
			t.Fatalf("chunk %d: %q, %v", i, line, err)
		}
		next <- struct{}{}
	}
	if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
		t.Fatalf("after the last chunk: %q, %v", rest, err)
	}
	// Read to the end: the connection is reused.
	post(t, c, srv.URL+"/x", "")
	if n := srv.conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestProxiedRequestsUseTheFallback(t *testing.T) {
	var viaProxy atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		viaProxy.Add(1)
		fmt.Fprintf(w, "proxied %s", r.URL.Host)
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	c := &http.Client{Transport: h1.New(h1.Options{Proxy: http.ProxyURL(pu)})}
	_, got := post(t, c, "http://upstream.example:8080/", "x")
	if got != "proxied upstream.example:8080" || viaProxy.Load() != 1 {
		t.Errorf("through the proxy: %q (%d requests), want the fallback to send it to the proxy", got, viaProxy.Load())
	}
}

func TestIdleConnectionsExpire(t *testing.T) {
	srv := newCounted(t, echo, false)
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := &http.Client{Transport: h1.New(h1.Options{Proxy: noProxy, IdleTimeout: time.Minute, Now: clock})}
	post(t, c, srv.URL, "a")
	post(t, c, srv.URL, "b")
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	post(t, c, srv.URL, "c")
	if n := srv.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the idle one expired)", n)
	}
}

func TestRefusedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := &http.Client{Transport: h1.New(h1.Options{Proxy: noProxy})}
	_, err = c.Get("http://" + addr)
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		t.Errorf("refused: %v, want a dial *net.OpError", err)
	}
}
