package awsfake

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultInputTokens is the inputTokens every default Bedrock reply reports.
const DefaultInputTokens = 12

// Bedrock is a Bedrock Runtime stand-in serving Converse
// (POST /model/{modelId}/converse), ConverseStream (/converse-stream) and
// InvokeModel for Titan text embeddings (/invoke), signed for service "bedrock".
type Bedrock struct {
	*core
	converse []byte  // precomputed default Converse body
	stream   []Event // precomputed default ConverseStream events
	encoded  []byte  // the same, encoded, for Instant mode
	outTok   int
}

// NewBedrock starts a Bedrock stand-in; Close it when done.
func NewBedrock(opts Options) *Bedrock {
	b := &Bedrock{core: newCore("bedrock", opts)}
	words := strings.SplitAfter(b.opts.Text, " ")
	b.outTok = len(words)
	usage := map[string]int{"inputTokens": DefaultInputTokens, "outputTokens": b.outTok,
		"totalTokens": DefaultInputTokens + b.outTok}
	b.converse, _ = json.Marshal(map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": []any{map[string]string{"text": b.opts.Text}}}},
		"stopReason": "end_turn", "usage": usage, "metrics": map[string]int{"latencyMs": 1},
	})
	b.stream = append(b.stream, JSONEvent("messageStart", map[string]string{"role": "assistant"}))
	for _, w := range words {
		b.stream = append(b.stream, JSONEvent("contentBlockDelta",
			map[string]any{"contentBlockIndex": 0, "delta": map[string]string{"text": w}}))
	}
	b.stream = append(b.stream,
		JSONEvent("contentBlockStop", map[string]int{"contentBlockIndex": 0}),
		JSONEvent("messageStop", map[string]string{"stopReason": "end_turn"}),
		JSONEvent("metadata", map[string]any{"usage": usage, "metrics": map[string]int{"latencyMs": 1}}))
	if b.opts.Instant {
		b.encoded = encodeEvents(b.stream, "application/json")
	}
	b.start(b)
	return b
}

// ServeHTTP answers one Bedrock Runtime request.
func (b *Bedrock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := b.requestID()
	model, op, ok := splitPath(r.RequestURI, "model")
	if !ok || r.Method != http.MethodPost || (op != "converse" && op != "converse-stream" && op != "invoke") {
		(&APIError{Status: http.StatusNotFound, Type: "UnknownOperationException", Message: "Unknown operation"}).write(w, id)
		return
	}
	body, ok := b.admit(r.Context(), w, r, id)
	if !ok {
		return
	}
	defer b.release(body)
	req := &Request{Op: op, Target: model, RawPath: r.RequestURI, Header: r.Header, Body: body.Bytes()}
	rep := b.reply(req)
	if !hold(r.Context(), rep) {
		return
	}
	switch {
	case rep != nil && rep.Error != nil:
		rep.Error.write(w, id)
	case op == "invoke":
		b.invoke(w, id, req, rep)
	case !b.opts.Instant && rep == nil:
		if e := validateConverse(req.Body); e != nil {
			e.write(w, id)
			return
		}
		fallthrough
	default:
		b.converseReply(w, r, id, op, rep)
	}
}

// converseReply answers Converse or ConverseStream with rep or the default.
func (b *Bedrock) converseReply(w http.ResponseWriter, r *http.Request, id, op string, rep *Reply) {
	if op == "converse" {
		if rep == nil {
			b.count(DefaultInputTokens, b.outTok)
			writeJSON(w, id, nil, b.converse)
			return
		}
		writeJSON(w, id, rep.Header, rep.Body)
		return
	}
	if rep == nil && b.encoded != nil {
		b.count(DefaultInputTokens, b.outTok)
		startStream(w, id, nil, 0).sendReply(r.Context(), &Reply{Raw: b.encoded}, "")
		return
	}
	if rep == nil {
		b.count(DefaultInputTokens, b.outTok)
		startStream(w, id, nil, b.opts.FrameDelay).sendAll(r.Context(), b.stream, "application/json")
		return
	}
	delay := b.opts.FrameDelay
	if rep.FrameDelay > 0 {
		delay = rep.FrameDelay
	}
	startStream(w, id, rep.Header, delay).sendReply(r.Context(), rep, "application/json")
}

// invoke answers InvokeModel with a Titan text-embeddings response.
func (b *Bedrock) invoke(w http.ResponseWriter, id string, req *Request, rep *Reply) {
	if rep != nil {
		writeJSON(w, id, rep.Header, rep.Body)
		return
	}
	var in struct {
		InputText  *string `json:"inputText"`
		Dimensions int     `json:"dimensions"`
	}
	if err := json.Unmarshal(req.Body, &in); err != nil || in.InputText == nil {
		Validation("Malformed input request: #: required key [inputText] not found, please reformat your input and try again.").write(w, id)
		return
	}
	if in.Dimensions == 0 {
		in.Dimensions = 1024
	}
	if in.Dimensions != 1024 && in.Dimensions != 512 && in.Dimensions != 256 {
		Validation("Malformed input request: #/dimensions: must be one of 256, 512, 1024").write(w, id)
		return
	}
	tokens := len(strings.Fields(*in.InputText))
	b.count(tokens, 0)
	out, _ := json.Marshal(map[string]any{"embedding": Embedding(*in.InputText, in.Dimensions), "inputTextTokenCount": tokens})
	writeJSON(w, id, nil, out)
}

// Embedding is the deterministic unit vector the stand-in returns for text.
func Embedding(text string, dims int) []float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	seed := h.Sum64()
	v := make([]float64, dims)
	var norm float64
	for i := range v {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		v[i] = float64(int64(seed%2001)-1000) / 1000
		norm += v[i] * v[i]
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] = math.Round(v[i]/norm*1e6) / 1e6
	}
	return v
}

// splitPath splits "/{prefix}/{escaped target}/{op}" (query ignored) and
// unescapes the target. A target whose '/' was not escaped does not match,
// as on AWS.
func splitPath(requestURI, prefix string) (target, op string, ok bool) {
	p, _, _ := strings.Cut(requestURI, "?")
	parts := strings.Split(p, "/")
	if len(parts) != 4 || parts[0] != "" || parts[1] != prefix || parts[2] == "" {
		return "", "", false
	}
	t, err := url.PathUnescape(parts[2])
	if err != nil {
		return "", "", false
	}
	return t, parts[3], true
}

// converseCheck is the part of a Converse request the stand-in validates.
type converseCheck struct {
	Messages []struct {
		Role    string                       `json:"role"`
		Content []map[string]json.RawMessage `json:"content"`
	} `json:"messages"`
	ToolConfig json.RawMessage `json:"toolConfig"`
}

// validateConverse applies Bedrock's documented message rules and returns
// the ValidationException Bedrock would answer, or nil.
func validateConverse(body []byte) *APIError {
	var req converseCheck
	if err := json.Unmarshal(body, &req); err != nil {
		return &APIError{Status: http.StatusBadRequest, Type: "SerializationException", Message: "malformed JSON: " + err.Error()}
	}
	if len(req.Messages) == 0 || req.Messages[0].Role != "user" {
		return Validation("A conversation must start with a user message. Try again with a conversation that starts with a user message.")
	}
	for i, m := range req.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return Validation("messages." + strconv.Itoa(i) + ".role: must be user or assistant")
		}
		if i > 0 && m.Role == req.Messages[i-1].Role {
			return Validation("A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.")
		}
		if len(m.Content) == 0 {
			return Validation("The content field in the Message object at messages." + strconv.Itoa(i) + " is empty. Add a ContentBlock object to the content field and try again.")
		}
		for j, block := range m.Content {
			if e := validateBlock(block, i, j, req.ToolConfig != nil); e != nil {
				return e
			}
		}
	}
	return nil
}

// validateBlock checks one content block of message i.
func validateBlock(block map[string]json.RawMessage, i, j int, haveTools bool) *APIError {
	if len(block) != 1 {
		return Validation("messages." + strconv.Itoa(i) + ".content." + strconv.Itoa(j) + ": exactly one member must be set")
	}
	if t, ok := block["text"]; ok {
		var s string
		if json.Unmarshal(t, &s) != nil || strings.TrimSpace(s) == "" {
			return Validation("The text field in the ContentBlock object at messages." + strconv.Itoa(i) + ".content." + strconv.Itoa(j) +
				" is blank. Add text to the text field, and try again.")
		}
	}
	_, use := block["toolUse"]
	_, result := block["toolResult"]
	if (use || result) && !haveTools {
		return Validation("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
	}
	if use && !bytes.Contains(block["toolUse"], []byte(`"input"`)) {
		return Validation("messages." + strconv.Itoa(i) + ".content." + strconv.Itoa(j) + ".toolUse.input: required")
	}
	return nil
}
