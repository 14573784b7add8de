package api

import (
	"net/http"
	"strconv"

	"github.com/gitplane/gitplane/gateway/openai"
)

func (h *Handler) embeddings(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r, "embeddings")
	if !q.authenticate() {
		return
	}
	var req openai.EmbeddingRequest
	if !q.decodeBody(&req) {
		return
	}
	rt, ok := q.route(req.Model)
	if !ok {
		return
	}
	if len(req.Input.Values) == 0 {
		q.fail(openai.InvalidRequest("input", "input must be a string or a non-empty array of strings"))
		return
	}
	if len(req.Input.Values) > openai.MaxEmbeddingInputs {
		q.fail(openai.InvalidRequest("input", "input must have at most "+strconv.Itoa(openai.MaxEmbeddingInputs)+" items"))
		return
	}
	for i, v := range req.Input.Values {
		if v == "" { // "" or null
			q.fail(openai.InvalidRequest("input", "input["+strconv.Itoa(i)+"] is empty or null: every input must be a non-empty string"))
			return
		}
	}
	switch req.EncodingFormat {
	case "", openai.EncodingFloat, openai.EncodingBase64:
	default:
		q.fail(openai.InvalidRequest("encoding_format", "encoding_format must be \"float\" or \"base64\""))
		return
	}
	if !q.admit(openai.EstimateEmbeddingTokens(&req)) {
		return
	}
	for cand, fi := rt, 0; ; {
		q.answering(cand)
		ctx, cancel := q.upstreamContext(cand)
		start := q.h.now()
		resp, err := cand.Provider.Embeddings(ctx, &req)
		cancel()
		q.rec.UpstreamLatency = q.h.now().Sub(start)
		if err == nil {
			q.rec.Usage = resp.Usage
			q.cost(cand)
			if resp.Model == "" {
				resp.Model = rt.Name
			}
			for i := range resp.Data {
				resp.Data[i].Embedding.Base64 = req.EncodingFormat == openai.EncodingBase64
			}
			q.writeJSON(resp)
			return
		}
		if cand, fi, ok = q.retry(rt, cand, fi, err); !ok {
			q.upstreamFail(err)
			return
		}
	}
}

func (h *Handler) models(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r, "models")
	if !q.authenticate() {
		return
	}
	hd := w.Header()
	hd["Content-Type"] = []string{"application/json"}
	hd["Content-Length"] = []string{strconv.Itoa(len(q.caller.models))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(q.caller.models)
	q.finish()
}
