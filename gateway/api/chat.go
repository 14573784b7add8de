package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/provider"
)

func (h *Handler) chat(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r, "chat")
	if !q.authenticate() {
		return
	}
	var req openai.ChatCompletionRequest
	if !q.decodeBody(&req) {
		return
	}
	rt, ok := q.route(req.Model)
	if !ok {
		return
	}
	if e := validateChat(&req); e != nil {
		q.fail(e)
		return
	}
	q.rec.Stream = req.Stream
	if !q.admit(openai.EstimateTokens(&req)) {
		return
	}
	if req.Stream {
		q.stream(rt, &req)
		return
	}
	q.complete(rt, &req)
}

func validateChat(req *openai.ChatCompletionRequest) *openai.APIError {
	switch {
	case len(req.Messages) == 0:
		return openai.InvalidRequest("messages", "messages must contain at least one message")
	case req.StreamOptions != nil && !req.Stream:
		return openai.InvalidRequest("stream_options", "stream_options is only allowed when stream is true")
	case req.ToolChoice != nil && len(req.Tools) == 0:
		return openai.InvalidRequest("tool_choice", "tool_choice is only allowed when tools are specified")
	}
	for i := range req.Messages {
		switch req.Messages[i].Role {
		case "system", "developer", "user", "assistant", "tool":
		default:
			return openai.InvalidRequest("messages["+strconv.Itoa(i)+"].role", "unknown role "+strconv.Quote(truncate(req.Messages[i].Role, 40)))
		}
	}
	return nil
}

// next returns the route to try after attempt i of the chain starting at
// rt (0 is rt itself): its fallbacks in order, skipping those the caller may
// not use. It returns nil when there is none.
func (q *request) next(rt *Route, i int) (*Route, int) {
	for ; i < len(rt.Fallbacks); i++ {
		if f := rt.Fallbacks[i]; q.caller.allowed[f.Name] {
			return f, i + 1
		}
	}
	return nil, i
}

// answering notes the route now being tried.
func (q *request) answering(rt *Route) {
	q.rec.Route, q.rec.Provider, q.rec.UpstreamModel = rt.Name, rt.Backend, rt.UpstreamModel
	q.rec.Attempts++
}

// upstreamContext bounds one upstream call by the route's timeout. It does
// not end when the client goes away: the upstream's answer (and usage) is
// still awaited and charged.
func (q *request) upstreamContext(rt *Route) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(q.ctx), rt.Timeout)
}

// retry reports whether err on cand may go to the next route, and counts it.
func (q *request) retry(rt, cand *Route, fi int, err error) (*Route, int, bool) {
	q.h.rec.UpstreamError(cand.Name, errorKind(err))
	if !provider.Fallbackable(err) {
		return nil, fi, false
	}
	next, fi := q.next(rt, fi)
	if next == nil {
		return nil, fi, false
	}
	q.h.rec.Fallback(cand.Name, next.Name)
	return next, fi, true
}

func (q *request) complete(rt *Route, req *openai.ChatCompletionRequest) {
	for cand, fi := rt, 0; ; {
		q.answering(cand)
		ctx, cancel := q.upstreamContext(cand)
		start := q.h.now()
		resp, err := cand.Provider.Chat(ctx, req)
		cancel()
		q.rec.UpstreamLatency = q.h.now().Sub(start)
		if err == nil {
			q.rec.Usage = resp.Usage
			q.cost(cand)
			if resp.Model == "" {
				resp.Model = rt.Name
			}
			q.writeJSON(resp)
			return
		}
		var ok bool
		if cand, fi, ok = q.retry(rt, cand, fi, err); !ok {
			q.upstreamFail(err)
			return
		}
	}
}

func (q *request) cost(rt *Route) {
	if u := q.rec.Usage; u != nil && rt.price != nil {
		cached := 0
		if u.PromptTokensDetails != nil {
			cached = u.PromptTokensDetails.CachedTokens
		}
		q.rec.CostUSD = rt.price.Cost(u.PromptTokens, u.CompletionTokens, cached, u.CacheCreationInputTokens)
	}
}

var newline = []byte{'\n'}

func (q *request) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		q.fail(&openai.APIError{Status: http.StatusInternalServerError, Type: openai.TypeServer, Message: "encoding the response failed"})
		return
	}
	h := q.w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b) + 1)}
	q.w.WriteHeader(http.StatusOK)
	_, err1 := q.w.Write(b)
	if _, err2 := q.w.Write(newline); err1 != nil || err2 != nil || q.r.Context().Err() != nil {
		q.rec.ClientGone = true
	}
	q.finish()
}

// upstreamFail answers the error of the last route tried.
func (q *request) upstreamFail(err error) {
	q.rec.Error = errorKind(err)
	if q.r.Context().Err() != nil {
		q.rec.ClientGone = true
	}
	if pe := (*provider.Error)(nil); errors.As(err, &pe) {
		if pe.Usage != nil { // what the upstream used before it failed
			q.rec.Usage = pe.Usage
			if rt := q.h.routes[q.rec.Route]; rt != nil {
				q.cost(rt)
			}
		}
		if pe.RetryAfter > 0 {
			q.w.Header()["Retry-After"] = []string{strconv.FormatInt(int64((pe.RetryAfter+time.Second-1)/time.Second), 10)}
		}
	}
	q.fail(apiError(err))
}

func errorKind(err error) string {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe.Kind.String()
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return provider.Internal.String()
}

// apiError maps an upstream failure to the gateway's answer; an upstream
// 429 stays 429 with its Retry-After.
func apiError(err error) *openai.APIError {
	var pe *provider.Error
	if !errors.As(err, &pe) {
		return &openai.APIError{Status: http.StatusBadGateway, Type: openai.TypeServer, Code: openai.CodeUpstreamError, Message: "The upstream request failed."}
	}
	e := &openai.APIError{Status: pe.HTTPStatus(), Message: pe.Message}
	if e.Message == "" {
		e.Message = "The upstream request failed (" + pe.Kind.String() + ")."
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Type, e.Code = openai.TypeRequests, openai.CodeRateLimitExceeded
	case e.Status == http.StatusGatewayTimeout:
		e.Type, e.Code = openai.TypeServer, openai.CodeUpstreamTimeout
	case e.Status >= 500:
		e.Type, e.Code = openai.TypeServer, openai.CodeUpstreamError
	default:
		e.Type, e.Code = openai.TypeInvalidRequest, pe.Code
	}
	return e
}
