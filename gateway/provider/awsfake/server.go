package awsfake

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Options configures a stand-in.
type Options struct {
	// Region is the region requests must be signed for (default us-east-1).
	Region string
	// Credentials are the keys the stand-in accepts (default DefaultCredential).
	Credentials []Credential
	// Clock is the stand-in's clock for token expiry and signature age
	// (default time.Now).
	Clock func() time.Time
	// Text is the default assistant reply (default "Hello from the stand-in.").
	// Streams send it word by word, one frame per word.
	Text string
	// FrameDelay is the pause before each stream frame after the first.
	FrameDelay time.Duration
	// PartSize, for SageMaker streams, cuts the container's SSE bytes into
	// PayloadParts of this many bytes (0: one part per SSE event).
	PartSize int
	// Respond, when set, chooses the reply to a request; nil means the
	// queued reply or else the default one.
	Respond func(*Request) *Reply
	// Instant serves precomputed default replies with no delay and does not
	// record requests: for benchmarks.
	Instant bool
	// Listener, when set, is where the stand-in serves (e.g. a fixed port
	// for a demo); by default it listens on a free loopback port.
	Listener net.Listener
}

// Request is a request the stand-in received (recorded unless Instant).
type Request struct {
	// Op is the operation: converse, converse-stream, invoke (Bedrock),
	// invocations, invocations-response-stream (SageMaker).
	Op string
	// Target is the decoded model id (Bedrock) or endpoint name (SageMaker).
	Target string
	// RawPath is the request path exactly as sent.
	RawPath string
	Header  http.Header
	Body    []byte
}

// Reply is a scripted answer.
type Reply struct {
	// Error answers with an AWS error instead of a body.
	Error *APIError
	// Body is the JSON body of a non-streaming answer.
	Body []byte
	// Events are the event-stream messages of a streaming answer.
	Events []Event
	// Delay holds the answer back (until the client gives up, if sooner).
	Delay time.Duration
	// Raw, when set, is written verbatim as a 200 event-stream body (to
	// send corrupt frames).
	Raw []byte
	// BeforeFrame, when set, is called before stream frame i is sent.
	BeforeFrame func(i int)
	// FrameDelay, when set, replaces Options.FrameDelay for this reply.
	FrameDelay time.Duration
	// Header is added to the response headers.
	Header http.Header
}

// Event is one event-stream message: an event of Type, or, when Exception
// is set, an exception of that type.
type Event struct {
	Type      string
	Exception string
	Payload   []byte
}

// Stats counts what a stand-in did.
type Stats struct {
	// Requests is every request received; Rejected those answered with a
	// signature or credential error.
	Requests, Rejected int64
	// InputTokens and OutputTokens sum the usage the stand-in reported.
	InputTokens, OutputTokens int64
}

// core is what the Bedrock and SageMaker stand-ins share: signature
// checks, scripted replies, recording and counters.
type core struct {
	opts     Options
	verifier *verifier
	server   *httptest.Server

	mu       sync.Mutex
	queue    []*Reply
	requests []Request

	nextID                            atomic.Int64
	requestsN, rejected, inTok, outTk atomic.Int64
	bufs                              sync.Pool
}

// newCore fills in defaults and builds the verifier for service.
func newCore(service string, opts Options) *core {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Text == "" {
		opts.Text = "Hello from the stand-in."
	}
	c := &core{opts: opts}
	c.verifier = &verifier{service: service, region: opts.Region, keys: newKeyring(opts.Credentials),
		clock: opts.Clock, signer: v4.NewSigner()}
	c.bufs.New = func() any { return new(bytes.Buffer) }
	return c
}

// start serves h on a local httptest server.
func (c *core) start(h http.Handler) {
	c.server = httptest.NewUnstartedServer(h)
	if c.opts.Listener != nil {
		c.server.Listener.Close()
		c.server.Listener = c.opts.Listener
	}
	c.server.Start()
}

// URL is the base endpoint to pass as the provider's Endpoint.
func (c *core) URL() string { return c.server.URL }

// Close shuts the server down.
func (c *core) Close() { c.server.Close() }

// Enqueue scripts the answers to the next requests, in order.
func (c *core) Enqueue(replies ...Reply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range replies {
		c.queue = append(c.queue, &replies[i])
	}
}

// AddCredential accepts c from now on (replacing a key with the same id).
func (c *core) AddCredential(cred Credential) { c.verifier.keys.add(cred) }

// RevokeCredential stops accepting the key with id.
func (c *core) RevokeCredential(id string) { c.verifier.keys.revoke(id) }

// Requests returns the requests received so far (none in Instant mode).
func (c *core) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.requests...)
}

// Stats returns the counters.
func (c *core) Stats() Stats {
	return Stats{Requests: c.requestsN.Load(), Rejected: c.rejected.Load(),
		InputTokens: c.inTok.Load(), OutputTokens: c.outTk.Load()}
}

// requestID returns a fresh x-amzn-RequestId value.
func (c *core) requestID() string {
	return "fake-" + strconv.FormatInt(c.nextID.Add(1), 10)
}

// admit reads and verifies a request; it answers and returns false when
// the signature or credentials are wrong. The caller must release the body.
func (c *core) admit(ctx context.Context, w http.ResponseWriter, r *http.Request, id string) (*bytes.Buffer, bool) {
	c.requestsN.Add(1)
	buf := c.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := io.Copy(buf, r.Body); err != nil {
		c.release(buf)
		(&APIError{Status: http.StatusBadRequest, Type: "SerializationException", Message: "reading body: " + err.Error()}).write(w, id)
		return nil, false
	}
	if e := c.verifier.verify(ctx, r, buf.Bytes()); e != nil {
		c.rejected.Add(1)
		c.release(buf)
		e.write(w, id)
		return nil, false
	}
	return buf, true
}

// release returns a body buffer to the pool.
func (c *core) release(buf *bytes.Buffer) { c.bufs.Put(buf) }

// reply records req (unless Instant) and picks its scripted reply, or nil
// for the default.
func (c *core) reply(req *Request) *Reply {
	if c.opts.Instant && c.opts.Respond == nil {
		return nil
	}
	c.mu.Lock()
	if !c.opts.Instant {
		rec := *req
		rec.Body = append([]byte(nil), req.Body...)
		rec.Header = req.Header.Clone()
		c.requests = append(c.requests, rec)
	}
	var next *Reply
	if len(c.queue) > 0 {
		next, c.queue = c.queue[0], c.queue[1:]
	}
	c.mu.Unlock()
	if next == nil && c.opts.Respond != nil {
		next = c.opts.Respond(req)
	}
	return next
}

// hold waits out rep's Delay; it reports false when the client left first.
func hold(ctx context.Context, rep *Reply) bool {
	if rep == nil || rep.Delay <= 0 {
		return true
	}
	t := time.NewTimer(rep.Delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// count adds reported usage to the counters.
func (c *core) count(in, out int) {
	c.inTok.Add(int64(in))
	c.outTk.Add(int64(out))
}

// writeJSON answers 200 with a JSON body.
func writeJSON(w http.ResponseWriter, id string, extra http.Header, body []byte) {
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Requestid", id)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
