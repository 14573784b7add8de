package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// conn is one keep-alive connection, used by one request at a time.
type conn struct {
	nc        net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	key       string
	idleSince time.Time
	reused    bool  // taken from the pool for the current request
	read      int64 // bytes read from nc for the current request
}

func newConn(nc net.Conn, key string, rsize, wsize int) *conn {
	c := &conn{nc: nc, key: key}
	c.br = bufio.NewReaderSize(countingReader{c}, rsize)
	c.bw = bufio.NewWriterSize(nc, wsize)
	return c
}

// countingReader counts what the connection's reader took from the socket,
// so a failure can tell "closed before answering" from "broke mid-answer".
type countingReader struct{ c *conn }

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.c.nc.Read(p)
	r.c.read += int64(n)
	return n, err
}

func (c *conn) close() { _ = c.nc.Close() }

// closedByPeer reports whether err says the server had closed the
// connection before reading the request: nothing of an answer arrived and
// the connection ended or was reset. (A server closes an idle keep-alive
// connection only between requests, so the request was not processed.)
func (c *conn) closedByPeer(err error) bool {
	if c.read > 0 {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// aLongTimeAgo is a deadline in the past: it makes blocked reads and writes
// return at once.
var aLongTimeAgo = time.Unix(1, 0)

// exchange writes req on c and reads the response head; the body is read
// from c by the caller. The request's context bounds both: when it is done
// (cancelled or past its deadline) c's deadline is set in the past, which
// interrupts them, and the context's error is returned. On an error c is
// closed. (A connection whose interruption fired is never reused, so a
// pooled connection never carries a deadline.)
func (t *Transport) exchange(c *conn, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	c.read = 0
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(aLongTimeAgo) })
	fail := func(err error) (*http.Response, error) {
		stop()
		c.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if err := req.Write(c.bw); err != nil {
		return fail(err)
	}
	if err := c.bw.Flush(); err != nil {
		return fail(err)
	}
	resp, err := http.ReadResponse(c.br, req)
	// Interim answers (100 Continue, 103 Early Hints) precede the real one.
	for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
		resp, err = http.ReadResponse(c.br, req)
	}
	if err != nil {
		return fail(err)
	}
	b := &body{t: t, c: c, ctx: ctx, stop: stop, keep: !resp.Close && !req.Close}
	if resp.Body == http.NoBody || resp.Body == nil {
		b.release(true)
		resp.Body = http.NoBody
		return resp, nil
	}
	b.rc = resp.Body
	resp.Body = b
	return resp, nil
}

// body is a response body that gives its connection back to the pool once
// read to the end, and closes it when closed early or broken.
type body struct {
	t    *Transport
	c    *conn
	rc   io.ReadCloser
	ctx  context.Context
	stop func() bool
	keep bool // the connection may serve another request
	done bool
}

// errBodyClosed is a Read after Close.
var errBodyClosed = errors.New("h1: read on closed response body")

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		return 0, errBodyClosed
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.release(true)
	case err != nil:
		b.release(false)
		if b.ctx.Err() != nil {
			err = b.ctx.Err()
		}
	}
	return n, err
}

// Close ends the body; a connection whose body was not read to the end is
// closed rather than drained.
func (b *body) Close() error {
	if !b.done {
		b.release(false)
	}
	return nil
}

// release ends the request's use of the connection: back to the pool when
// the answer was read whole, the connection may be kept and the context's
// interruption did not fire, else closed.
func (b *body) release(whole bool) {
	b.done = true
	if !b.stop() || !whole || !b.keep {
		b.c.close()
		return
	}
	b.c.reused = false
	b.t.put(b.c)
}
