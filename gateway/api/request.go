package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gitplane/gitplane/gateway/auth"
	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/ratelimit"
	"github.com/gitplane/gitplane/gateway/usage"
)

// request is one API call in progress: what it has learnt so far and the
// usage record it ends with.
type request struct {
	h      *Handler
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	caller *callerState
	adm    ratelimit.Admission
	rec    usage.Record
	// produced is set once an upstream sent part of an answer (a chunk).
	produced bool
}

func (h *Handler) begin(w http.ResponseWriter, r *http.Request, op string) *request {
	q := &request{h: h, w: w, r: r}
	q.rec.Start = h.now()
	q.rec.Operation = op
	q.rec.RequestID = h.ids.from(r.Header["X-Request-Id"])
	w.Header()["X-Request-Id"] = []string{q.rec.RequestID}
	q.ctx = provider.WithRequestID(r.Context(), q.rec.RequestID)
	return q
}

// authenticate finds the caller, or answers 401.
func (q *request) authenticate() bool {
	key := auth.BearerToken(q.r.Header.Get("Authorization"))
	name, ok := q.h.keys.Authenticate(key)
	if !ok {
		msg := "Incorrect API key provided."
		if key == "" {
			msg = "Missing bearer authentication in header: Authorization: Bearer <api key>."
		}
		q.fail(&openai.APIError{Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: openai.CodeInvalidAPIKey, Message: msg})
		return false
	}
	q.caller = q.h.caller(name)
	q.rec.Caller = name
	return true
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeBody reads the bounded body into v, or answers 413 or 400.
func (q *request) decodeBody(v any) bool {
	buf := bodyPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			bodyPool.Put(buf)
		}
	}()
	buf.Reset()
	if n := q.r.ContentLength; n > q.h.maxBody {
		q.tooLarge()
		return false
	} else if n > 0 {
		buf.Grow(int(n))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(q.w, q.r.Body, q.h.maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		q.tooLarge()
		return false
	case err != nil:
		q.fail(openai.InvalidRequest("", "reading the request body: "+err.Error()))
		return false
	}
	if err := json.Unmarshal(buf.Bytes(), v); err != nil {
		q.fail(openai.InvalidRequest("", "We could not parse the JSON body of your request: "+jsonProblem(err)))
		return false
	}
	return true
}

// jsonProblem describes a JSON error without quoting the body.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON at offset " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + te.Field + ": wrong type " + te.Value
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of JSON"
	}
	return err.Error()
}

func (q *request) tooLarge() {
	q.fail(&openai.APIError{Status: http.StatusRequestEntityTooLarge, Type: openai.TypeInvalidRequest, Code: openai.CodeBodyTooLarge,
		Message: "Request body larger than " + strconv.FormatInt(q.h.maxBody, 10) + " bytes."})
}

// route finds the route the caller asked for, or answers 404 or 403.
func (q *request) route(model string) (*Route, bool) {
	if model == "" {
		q.fail(openai.InvalidRequest("model", "you must provide a model parameter"))
		return nil, false
	}
	rt := q.h.routes[model]
	if rt == nil {
		q.fail(&openai.APIError{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Code: openai.CodeModelNotFound, Param: "model",
			Message: "The model `" + truncate(model, 200) + "` does not exist or you do not have access to it."})
		return nil, false
	}
	q.rec.Model = rt.Name
	if !q.caller.allowed[rt.Name] {
		q.fail(&openai.APIError{Status: http.StatusForbidden, Type: openai.TypeInvalidRequest, Code: openai.CodeModelNotAllowed, Param: "model",
			Message: "Caller " + q.caller.name + " may not use model " + rt.Name + "."})
		return nil, false
	}
	return rt, true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// admit applies the caller's rate limits, or answers 429.
func (q *request) admit(tokens int) bool {
	q.adm = q.h.limiter.Admit(q.ctx, q.caller.limits, tokens)
	q.adm.SetHeaders(q.w.Header())
	if q.adm.Allowed {
		return true
	}
	q.h.rec.RateLimited(q.caller.name, q.adm.Kind)
	typ, msg := openai.TypeRequests, "Rate limit reached for requests per minute. Please try again later."
	if q.adm.Kind == ratelimit.KindTokens {
		typ, msg = openai.TypeTokens, "Rate limit reached for tokens per minute. Please try again later."
		if q.adm.TooLarge {
			msg = "Request too large: it needs " + strconv.Itoa(tokens) + " tokens, more than the tokens per minute limit."
		}
	}
	q.fail(&openai.APIError{Status: http.StatusTooManyRequests, Type: typ, Code: openai.CodeRateLimitExceeded, Message: msg})
	return false
}

// fail answers e and records the request.
func (q *request) fail(e *openai.APIError) {
	e.Write(q.w)
	q.rec.Status = e.Status
	if q.rec.Error == "" {
		q.rec.Error = e.Code
	}
	q.finish()
}

// finish settles the token reservation, sends what is left of the answer
// and then records the request: the client does not wait for the metrics
// and the access-log line. (Settling comes first so that a client's next
// request sees it.)
func (q *request) finish() {
	if q.rec.Status == 0 {
		q.rec.Status = http.StatusOK
	}
	if q.caller != nil && q.adm.Allowed {
		// A failure before any upstream produced anything used no tokens,
		// unless the upstream ran out of time (it may have generated and
		// billed them); otherwise unknown usage keeps the reservation.
		used, known := 0, q.rec.Usage != nil || (q.rec.Status >= 400 && !q.produced && q.rec.Error != provider.Timeout.String())
		q.rec.UsageUnknown = !known
		if q.rec.Usage != nil {
			used = q.rec.Usage.PromptTokens + q.rec.Usage.CompletionTokens
		}
		q.h.limiter.Settle(context.WithoutCancel(q.ctx), &q.adm, used, known)
	}
	// Every answer but a stream's carries its Content-Length, so flushing
	// here sends it whole (a stream flushed each event already).
	if err := http.NewResponseController(q.w).Flush(); err != nil {
		q.rec.ClientGone = true
	}
	q.rec.Latency = q.h.now().Sub(q.rec.Start)
	q.h.rec.Record(&q.rec)
}

// requestIDs makes unique request ids: a random per-process prefix and a counter.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func (ids *requestIDs) init() {
	var b [6]byte
	_, _ = rand.Read(b[:])
	ids.prefix = "req_" + hex.EncodeToString(b[:])
}

// from returns the client's X-Request-Id when it is short and printable, else a new id.
func (ids *requestIDs) from(given []string) string {
	if len(given) == 1 && len(given[0]) > 0 && len(given[0]) <= 128 && printable(given[0]) {
		return given[0]
	}
	var b [40]byte
	out := append(b[:0], ids.prefix...)
	out = append(out, '_')
	out = strconv.AppendUint(out, ids.n.Add(1), 36)
	return string(out)
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
