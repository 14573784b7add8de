package gatewaytest

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"

	"github.com/gitplane/gitplane/gateway/server"
)

// The benchmark's anchors: what a process between the client and the
// upstream costs before it does anything of the gateway's. They run with
// the gateway's garbage-collector settings (server.TuneRuntime): they
// share its core, and an anchor collecting at Go's default pace takes that
// core from the gateway for milliseconds several times a second.

// runProxy serves a bare httputil.ReverseProxy to upstream: the limit of a
// Go proxy, for benchmarks.
func runProxy(upstream string) {
	server.TuneRuntime()
	u, err := url.Parse(upstream)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1024
	p := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }, Transport: tr}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("LISTEN %s %s\n", ln.Addr(), ln.Addr())
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _, _ = bufio.NewReader(os.Stdin).ReadString('\n'); _ = srv.Close() }()
	_ = srv.Serve(ln)
	os.Exit(0)
}

// runRelay serves a TCP relay to upstream: each connection's bytes copied
// both ways through a small buffer (no splice, no HTTP), the least a
// process on the request path can do: it shows what any proxy on that
// core adds in wake-ups and socket calls alone.
func runRelay(upstream string) {
	server.TuneRuntime()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("LISTEN %s %s\n", ln.Addr(), ln.Addr())
	go func() { _, _ = bufio.NewReader(os.Stdin).ReadString('\n'); _ = ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(0)
		}
		go relay(c, upstream)
	}
}

func relay(c net.Conn, upstream string) {
	defer c.Close()
	u, err := net.DialTimeout("tcp", upstream, 5*time.Second)
	if err != nil {
		return
	}
	defer u.Close()
	go copyBytes(u, c)
	copyBytes(c, u)
}

// copyBytes copies src to dst until either fails, then closes dst for
// writing so the other direction ends too.
func copyBytes(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}
