package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Comment is a stored issue or pull-request comment.
type Comment struct {
	ID        int64
	Issue     int
	User      string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Status is a stored commit status.
type Status struct {
	ID          int64
	SHA         string
	State       string
	Context     string
	Description string
	TargetURL   string
	CreatedAt   time.Time
}

// Call is one request the server answered.
type Call struct {
	Method string
	Path   string // without the /api/v3 prefix
	Query  string
	Code   int
}

// Options configures a Server.
type Options struct {
	Owner, Repo string // the one repository served; others are 404
	Token       string // if set, requests must carry it as a bearer token
	User        string // login of the token's user; "gitplane[bot]" if empty
	// InstallationToken makes the token a GitHub App installation token:
	// GET /user answers 403 "Resource not accessible by integration", as
	// GitHub does, while comments are still posted as User (the App's bot,
	// "<app-slug>[bot]").
	InstallationToken bool
}

// Server is a fake GitHub API. Its URL serves both the github.com layout
// (/repos/...) and the Enterprise one (/api/v3/repos/...).
type Server struct {
	*httptest.Server
	opts Options

	mu       sync.Mutex
	nextID   int64
	comments []*Comment // by ascending ID
	statuses []Status
	calls    []Call
	failCode int
}

// New starts a Server that is closed when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.User == "" {
		opts.User = "gitplane[bot]"
	}
	s := &Server{opts: opts, nextID: 1000}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /user", s.getUser)
	mux.HandleFunc("POST /repos/{owner}/{repo}/statuses/{sha}", s.createStatus)
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", s.listComments)
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", s.createComment)
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", s.editComment)
	mux.HandleFunc("DELETE /repos/{owner}/{repo}/issues/comments/{id}", s.deleteComment)
	s.Server = httptest.NewServer(s.middleware(mux))
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the API root to give a client, with a trailing slash.
func (s *Server) BaseURL() string { return s.URL + "/" }

// middleware strips the Enterprise prefix, checks the token, answers
// unknown routes as GitHub does and records the call. The response is
// buffered so the call is recorded before the client can see the answer.
func (s *Server) middleware(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/api/v3"), "/")
		rec := httptest.NewRecorder()
		s.mu.Lock()
		fail := s.failCode
		s.mu.Unlock()
		switch _, pattern := mux.Handler(r); {
		case fail != 0:
			writeError(rec, fail, http.StatusText(fail))
		case s.opts.Token != "" && !s.authorized(r):
			writeError(rec, http.StatusUnauthorized, "Bad credentials")
		case pattern == "":
			writeError(rec, http.StatusNotFound, "Not Found")
		default:
			mux.ServeHTTP(rec, r)
		}
		s.record(Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Code: rec.Code})
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	return auth == "Bearer "+s.opts.Token || auth == "token "+s.opts.Token
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// repoOK answers 404 unless the request names the served repository.
func (s *Server) repoOK(w http.ResponseWriter, r *http.Request) bool {
	if r.PathValue("owner") != s.opts.Owner || r.PathValue("repo") != s.opts.Repo {
		writeError(w, http.StatusNotFound, "Not Found")
		return false
	}
	return true
}

// validationError is GitHub's 422 body.
func validationError(w http.ResponseWriter, resource, field, code, message string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            []map[string]string{{"resource": resource, "field": field, "code": code, "message": message}},
		"documentation_url": "https://docs.github.com/rest",
	})
}

func writeError(w http.ResponseWriter, code int, message string) {
	writeJSON(w, code, map[string]string{"message": message, "documentation_url": "https://docs.github.com/rest"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Problems parsing JSON: %v", err))
		return false
	}
	return true
}

// Calls returns the requests answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Fail makes every request answer code until Fail(0).
func (s *Server) Fail(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCode = code
}
