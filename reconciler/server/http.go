package server

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gitplane/gitplane/reconciler/webhook"
)

// Handler serves the loop's endpoints. Call it after Run has started.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /status", s.serveStatus)
	mux.Handle(webhook.Path, http.HandlerFunc(s.serveWebhook))
	return mux
}

// serveReady is ready once the repository was fetched and the Environments
// read.
func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request) {
	select {
	case <-s.ready:
	default:
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	if s.opts.Source.Status().LastSuccess.IsZero() {
		http.Error(w, "the repository was never fetched", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// serveWebhook passes deliveries to the webhook handler, counting them by
// event and answer. Without a secret webhooks are off.
func (s *Server) serveWebhook(w http.ResponseWriter, r *http.Request) {
	event := eventLabel(r.Header.Get("X-GitHub-Event"))
	select {
	case <-s.ready:
	default:
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	if s.hook == nil {
		http.Error(w, "webhooks are off (no --webhook-secret-file)", http.StatusNotFound)
		s.metrics.deliveries.WithLabelValues(event, "404").Inc()
		return
	}
	rec := &codeRecorder{ResponseWriter: w, code: http.StatusOK}
	s.hook.ServeHTTP(rec, r)
	s.metrics.deliveries.WithLabelValues(event, strconv.Itoa(rec.code)).Inc()
}

type codeRecorder struct {
	http.ResponseWriter
	code int
}

// Unwrap lets http.ResponseController reach the connection (the webhook
// handler sets a read deadline on it).
func (c *codeRecorder) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *codeRecorder) WriteHeader(code int) {
	c.code = code
	c.ResponseWriter.WriteHeader(code)
}

// eventLabel maps the X-GitHub-Event header, which anyone reaching the port
// can set, onto the few values the deliveries metric may carry.
func eventLabel(event string) string {
	switch event {
	case "push", "pull_request", "ping":
		return event
	case "":
		return "none"
	}
	return "other"
}
