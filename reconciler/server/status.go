package server

import (
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"sync"
	"time"
)

// EnvStatus is what /status reports of one Environment.
type EnvStatus struct {
	Environment string    `json:"environment"`
	Branch      string    `json:"branch"`
	Revision    string    `json:"revision,omitempty"`
	Result      string    `json:"result,omitempty"` // syncing, success, failure, blocked
	Message     string    `json:"message,omitempty"`
	Time        time.Time `json:"time,omitzero"`
	Healthy     bool      `json:"healthy"` // waited for and healthy
}

// Status is the /status document.
type Status struct {
	Repository   string      `json:"repository"`
	LastFetch    time.Time   `json:"lastFetch,omitzero"`
	FetchError   string      `json:"fetchError,omitempty"`
	NextPoll     time.Time   `json:"nextPoll,omitzero"`
	Environments []EnvStatus `json:"environments"`
}

// statusBoard keeps the last outcome of every Environment.
type statusBoard struct {
	mu   sync.Mutex
	envs map[string]EnvStatus
	next time.Time
}

func (b *statusBoard) set(s EnvStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.envs == nil {
		b.envs = map[string]EnvStatus{}
	}
	b.envs[s.Environment] = s
}

func (b *statusBoard) get(env string) (EnvStatus, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.envs[env]
	return s, ok
}

func (b *statusBoard) setNextPoll(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next = t
}

func (b *statusBoard) snapshot() ([]EnvStatus, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]EnvStatus, 0, len(b.envs))
	for _, s := range b.envs {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b EnvStatus) int {
		if a.Environment < b.Environment {
			return -1
		}
		if a.Environment > b.Environment {
			return 1
		}
		return 0
	})
	return out, b.next
}

func (s *Server) status() Status {
	envs, next := s.board.snapshot()
	st := s.opts.Source.Status()
	out := Status{Repository: s.opts.RepoName, LastFetch: st.LastSuccess, NextPoll: next, Environments: envs}
	if st.Err != nil {
		out.FetchError = st.Err.Error()
	}
	return out
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>gitplane status</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .8em;text-align:left}
.success{color:#1a7f37}.failure,.blocked{color:#cf222e}.syncing{color:#9a6700}</style></head>
<body><h1>gitplane</h1>
<p>Repository {{.Repository}} · last fetch {{if .LastFetch.IsZero}}never{{else}}{{.LastFetch.Format "2006-01-02 15:04:05 MST"}}{{end}}
{{if .FetchError}}· <span class="failure">fetch failed: {{.FetchError}}</span>{{end}}
{{if not .NextPoll.IsZero}}· next poll {{.NextPoll.Format "15:04:05 MST"}}{{end}}</p>
<table><tr><th>Environment</th><th>Branch</th><th>Revision</th><th>Result</th><th>When</th><th>Message</th></tr>
{{range .Environments}}<tr id="{{.Environment}}"><td>{{.Environment}}</td><td>{{.Branch}}</td><td><code>{{.Revision}}</code></td>
<td class="{{.Result}}">{{.Result}}</td><td>{{if not .Time.IsZero}}{{.Time.Format "2006-01-02 15:04:05 MST"}}{{end}}</td><td>{{.Message}}</td></tr>
{{end}}</table></body></html>
`))

// serveStatus answers JSON to API clients and a small HTML page to browsers.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	st := s.status()
	if wantsHTML(r) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = statusPage.Execute(w, st)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(st)
}

func wantsHTML(r *http.Request) bool {
	if r.URL.Query().Get("format") == "json" {
		return false
	}
	for _, a := range r.Header.Values("Accept") {
		if len(a) >= 9 && a[:9] == "text/html" {
			return true
		}
	}
	return false
}
