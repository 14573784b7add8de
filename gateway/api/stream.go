package api

import (
	"net/http"
	"time"

	"github.com/gitplane/gitplane/gateway/openai"
)

// streamWriteSlack is how much longer than the route's timeout a stream's
// writes may block on a client that stopped reading.
const streamWriteSlack = 10 * time.Second

func (q *request) stream(rt *Route, req *openai.ChatCompletionRequest) {
	if n := q.h.streams.Add(1); n > q.h.maxStreams {
		q.h.streams.Add(-1)
		q.w.Header()["Retry-After"] = []string{"1"}
		q.fail(&openai.APIError{Status: http.StatusServiceUnavailable, Type: openai.TypeServer, Code: openai.CodeTooManyStreams,
			Message: "The gateway is serving its maximum number of concurrent streams; retry shortly."})
		return
	}
	defer q.h.streams.Add(-1)
	s := &streamSink{q: q, includeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}
	for cand, fi := rt, 0; ; {
		q.answering(cand)
		s.attemptStart = q.h.now()
		q.h.rec.StreamStarted(cand.Name)
		ctx, cancel := q.upstreamContext(cand)
		if !s.started {
			_ = http.NewResponseController(q.w).SetWriteDeadline(time.Now().Add(cand.Timeout + streamWriteSlack))
		}
		err := cand.Provider.ChatStream(ctx, req, s)
		cancel()
		q.h.rec.StreamEnded(cand.Name)
		if err == nil {
			s.end()
			return
		}
		if s.started {
			s.failMidStream(err, cand)
			return
		}
		if s.received { // the upstream produced tokens: no fallback
			q.h.rec.UpstreamError(cand.Name, errorKind(err))
			s.record()
			q.upstreamFail(err)
			return
		}
		var ok bool
		if cand, fi, ok = q.retry(rt, cand, fi, err); !ok {
			q.upstreamFail(err)
			return
		}
	}
}

// streamSink forwards chunks to the client as they come. The client's
// usage chunk is only sent when it asked for one (the upstream is always
// asked). After the client went away it keeps reading, so the usage the
// upstream reports is charged.
type streamSink struct {
	q            *request
	sse          *openai.SSEWriter
	includeUsage bool
	started      bool // response headers written
	received     bool // a chunk came from the upstream of this request
	clientGone   bool
	usage        openai.Usage
	haveUsage    bool
	attemptStart time.Time
}

// Chunk implements provider.StreamSink.
func (s *streamSink) Chunk(c *openai.ChatCompletionChunk) error {
	q := s.q
	if !s.received {
		s.received, q.produced = true, true
		q.rec.UpstreamLatency = q.h.now().Sub(s.attemptStart)
	}
	if c.Usage != nil {
		s.usage, s.haveUsage = *c.Usage, true // cumulative: the last one counts
	}
	if s.clientGone {
		return nil
	}
	usage := c.Usage
	if !s.includeUsage && usage != nil {
		if len(c.Choices) == 0 {
			return nil // the usage-only chunk the client did not ask for
		}
		c.Usage = nil
		defer func() { c.Usage = usage }()
	}
	if !s.started {
		s.begin()
	}
	if err := s.sse.Chunk(c); err != nil || q.r.Context().Err() != nil {
		s.clientGone = true
	}
	return nil
}

func (s *streamSink) begin() {
	q := s.q
	h := q.w.Header()
	h["Content-Type"] = []string{"text/event-stream"}
	h["Cache-Control"] = []string{"no-cache"}
	h["X-Accel-Buffering"] = []string{"no"}
	q.w.WriteHeader(http.StatusOK)
	s.sse = openai.NewSSEWriter(q.w)
	s.started = true
	q.rec.TTFT = q.h.now().Sub(q.rec.Start)
}

func (s *streamSink) record() {
	q := s.q
	if s.haveUsage {
		u := s.usage
		q.rec.Usage = &u
		if cand := q.h.routes[q.rec.Route]; cand != nil {
			q.cost(cand)
		}
	}
	q.rec.ClientGone = s.clientGone
}

func (s *streamSink) end() {
	if !s.started {
		s.begin()
	}
	if !s.clientGone {
		if err := s.sse.Done(); err != nil {
			s.clientGone = true
		}
	}
	s.record()
	s.q.finish()
}

// failMidStream ends a stream the upstream broke after the first chunk: the
// client gets an error event (the status line was sent already).
func (s *streamSink) failMidStream(err error, cand *Route) {
	q := s.q
	q.h.rec.UpstreamError(cand.Name, errorKind(err))
	q.rec.Error = errorKind(err)
	if !s.clientGone {
		_ = s.sse.Error(apiError(err))
	}
	s.record()
	q.finish()
}
