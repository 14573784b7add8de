package awsfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// SageMaker is a SageMaker Runtime stand-in whose endpoints run an
// OpenAI-compatible container (as LMI, TGI and vLLM do): InvokeEndpoint
// (POST /endpoints/{name}/invocations) answers chat-completion JSON and
// InvokeEndpointWithResponseStream (/invocations-response-stream) sends the
// container's SSE bytes in PayloadPart events, cut every Options.PartSize
// bytes regardless of line or UTF-8 boundaries. Usage is reported as vLLM
// does: in the JSON answer, and in streams only when stream_options asks.
// Requests must be signed for service "sagemaker".
type SageMaker struct {
	*core
	words   []string
	outTok  int
	instant [2][]byte // precomputed SSE without and with the usage chunk
}

// NewSageMaker starts a SageMaker stand-in; Close it when done.
func NewSageMaker(opts Options) *SageMaker {
	s := &SageMaker{core: newCore("sagemaker", opts)}
	s.words = strings.SplitAfter(s.opts.Text, " ")
	s.outTok = len(s.words)
	s.instant[0] = s.sse("model", false)
	s.instant[1] = s.sse("model", true)
	s.start(s)
	return s
}

// containerRequest is the part of the container's OpenAI request the stand-in reads.
type containerRequest struct {
	Model         string          `json:"model"`
	Messages      json.RawMessage `json:"messages"`
	Input         json.RawMessage `json:"input"`
	Stream        bool            `json:"stream"`
	StreamOptions *struct {
		IncludeUsage *bool `json:"include_usage"`
	} `json:"stream_options"`
}

// ServeHTTP answers one SageMaker Runtime request.
func (s *SageMaker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := s.requestID()
	name, op, ok := splitPath(r.RequestURI, "endpoints")
	if !ok || r.Method != http.MethodPost || (op != "invocations" && op != "invocations-response-stream") {
		(&APIError{Status: http.StatusNotFound, Type: "UnknownOperationException", Message: "Unknown operation"}).write(w, id)
		return
	}
	body, ok := s.admit(r.Context(), w, r, id)
	if !ok {
		return
	}
	defer s.release(body)
	req := &Request{Op: op, Target: name, RawPath: r.RequestURI, Header: r.Header, Body: body.Bytes()}
	rep := s.reply(req)
	if !hold(r.Context(), rep) {
		return
	}
	switch {
	case rep != nil && rep.Error != nil:
		rep.Error.write(w, id)
	case rep != nil && op == "invocations":
		writeJSON(w, id, rep.Header, rep.Body)
	case rep != nil:
		delay := s.opts.FrameDelay
		if rep.FrameDelay > 0 {
			delay = rep.FrameDelay
		}
		startStream(w, id, streamHeader(rep.Header), delay).sendReply(r.Context(), rep, "application/octet-stream")
	default:
		s.defaultReply(w, r, id, op, req.Body)
	}
}

// defaultReply answers as a vLLM container would.
func (s *SageMaker) defaultReply(w http.ResponseWriter, r *http.Request, id, op string, body []byte) {
	var in containerRequest
	if err := json.Unmarshal(body, &in); err == nil && len(in.Input) > 0 && op == "invocations" {
		s.embeddings(w, id, in)
		return
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.Messages) == 0 {
		ModelError(http.StatusBadRequest, "invalid chat completion request").write(w, id)
		return
	}
	if in.StreamOptions != nil && !in.Stream {
		ModelError(http.StatusBadRequest, "Stream options can only be defined when `stream=True`.").write(w, id)
		return
	}
	usage := in.StreamOptions != nil && (in.StreamOptions.IncludeUsage == nil || *in.StreamOptions.IncludeUsage)
	if op == "invocations" {
		s.count(DefaultInputTokens, s.outTok)
		out, _ := json.Marshal(map[string]any{"id": "chatcmpl-" + id, "object": "chat.completion", "created": 1,
			"model": in.Model, "choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": s.opts.Text}}},
			"usage": s.usage()})
		writeJSON(w, id, http.Header{"X-Amzn-Invoked-Production-Variant": {"AllTraffic"}}, out)
		return
	}
	if usage {
		s.count(DefaultInputTokens, s.outTok)
	}
	var sse []byte
	if s.opts.Instant {
		sse = s.instant[0]
		if usage {
			sse = s.instant[1]
		}
	} else {
		sse = s.sse(in.Model, usage)
	}
	sw := startStream(w, id, streamHeader(nil), s.opts.FrameDelay)
	sw.sendAll(r.Context(), s.parts(sse), "application/octet-stream")
}

// embeddings answers an OpenAI embeddings request as a vLLM container would.
func (s *SageMaker) embeddings(w http.ResponseWriter, id string, in containerRequest) {
	var texts []string
	if err := json.Unmarshal(in.Input, &texts); err != nil {
		var one string
		if err := json.Unmarshal(in.Input, &one); err != nil {
			ModelError(http.StatusBadRequest, "input: want a string or an array of strings").write(w, id)
			return
		}
		texts = []string{one}
	}
	data := make([]any, len(texts))
	tokens := 0
	for i, t := range texts {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": Embedding(t, 8)}
		tokens += len(strings.Fields(t))
	}
	s.count(tokens, 0)
	out, _ := json.Marshal(map[string]any{"object": "list", "data": data, "model": in.Model,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}})
	writeJSON(w, id, nil, out)
}

// usage is the usage object of default replies.
func (s *SageMaker) usage() map[string]int {
	return map[string]int{"prompt_tokens": DefaultInputTokens, "completion_tokens": s.outTok,
		"total_tokens": DefaultInputTokens + s.outTok}
}

// sse renders the default streamed answer as the container's SSE bytes.
func (s *SageMaker) sse(model string, usage bool) []byte {
	var b bytes.Buffer
	chunk := func(delta map[string]any, finish any) {
		c, _ := json.Marshal(map[string]any{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1,
			"model": model, "choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
		b.WriteString("data: ")
		b.Write(c)
		b.WriteString("\n\n")
	}
	chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	for _, w := range s.words {
		chunk(map[string]any{"content": w}, nil)
	}
	chunk(map[string]any{}, "stop")
	if usage {
		c, _ := json.Marshal(map[string]any{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1,
			"model": model, "choices": []any{}, "usage": s.usage()})
		b.WriteString("data: ")
		b.Write(c)
		b.WriteString("\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// parts cuts sse into PayloadPart events: every PartSize bytes, or one per
// SSE event when PartSize is 0.
func (s *SageMaker) parts(sse []byte) []Event {
	if s.opts.PartSize > 0 {
		return SSEParts(sse, s.opts.PartSize)
	}
	var out []Event
	for len(sse) > 0 {
		i := bytes.Index(sse, []byte("\n\n"))
		if i < 0 {
			i = len(sse) - 2
		}
		out = append(out, Event{Type: "PayloadPart", Payload: sse[:i+2]})
		sse = sse[i+2:]
	}
	return out
}

// SSEParts cuts b into PayloadPart events of size bytes each (the last may
// be shorter), splitting lines and UTF-8 sequences wherever they fall.
func SSEParts(b []byte, size int) []Event {
	var out []Event
	for len(b) > 0 {
		n := min(size, len(b))
		out = append(out, Event{Type: "PayloadPart", Payload: b[:n]})
		b = b[n:]
	}
	return out
}

// streamHeader adds the streaming answer's content-type header to extra.
func streamHeader(extra http.Header) http.Header {
	h := http.Header{"X-Amzn-Sagemaker-Content-Type": {"text/event-stream"},
		"X-Amzn-Invoked-Production-Variant": {"AllTraffic"}}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// ModelStreamError is SageMaker's mid-stream ModelStreamError exception.
func ModelStreamError(code, message string) Event {
	b, _ := json.Marshal(map[string]string{"Message": message, "ErrorCode": code})
	return Event{Exception: "ModelStreamError", Payload: b}
}
