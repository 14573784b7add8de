package githubtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxCommentChars is GitHub's limit on a comment body.
const MaxCommentChars = 65536

// listComments is GET /repos/{owner}/{repo}/issues/{number}/comments with
// per_page (default 30, at most 100) and page, and a Link header.
func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	issue, ok := s.issue(w, r)
	if !ok {
		return
	}
	perPage := queryInt(r, "per_page", 30)
	perPage = min(max(perPage, 1), 100)
	page := max(queryInt(r, "page", 1), 1)
	s.mu.Lock()
	var all []Comment
	for _, c := range s.comments {
		if c.Issue == issue {
			all = append(all, *c)
		}
	}
	s.mu.Unlock()
	last := max((len(all)+perPage-1)/perPage, 1)
	from, to := min((page-1)*perPage, len(all)), min(page*perPage, len(all))
	out := make([]map[string]any, 0, to-from)
	for _, c := range all[from:to] {
		out = append(out, s.commentJSON(r, c))
	}
	if link := linkHeader(r, page, last, perPage); link != "" {
		w.Header().Set("Link", link)
	}
	writeJSON(w, http.StatusOK, out)
}

// linkHeader builds GitHub's pagination header.
func linkHeader(r *http.Request, page, last, perPage int) string {
	rel := func(p int, name string) string {
		q := url.Values{"page": {strconv.Itoa(p)}, "per_page": {strconv.Itoa(perPage)}}
		return fmt.Sprintf("<http://%s%s?%s>; rel=%q", r.Host, r.URL.Path, q.Encode(), name)
	}
	var links []string
	if page > 1 {
		links = append(links, rel(page-1, "prev"), rel(1, "first"))
	}
	if page < last {
		links = append(links, rel(page+1, "next"), rel(last, "last"))
	}
	return strings.Join(links, ", ")
}

// createComment is POST /repos/{owner}/{repo}/issues/{number}/comments.
func (s *Server) createComment(w http.ResponseWriter, r *http.Request) {
	issue, ok := s.issue(w, r)
	if !ok {
		return
	}
	body, ok := commentBody(w, r)
	if !ok {
		return
	}
	c := s.AddComment(issue, s.opts.User, body)
	writeJSON(w, http.StatusCreated, s.commentJSON(r, c))
}

// editComment is PATCH /repos/{owner}/{repo}/issues/comments/{id}.
func (s *Server) editComment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.comment(w, r)
	if !ok {
		return
	}
	body, ok := commentBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	c.Body, c.UpdatedAt = body, time.Now().UTC()
	out := *c
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.commentJSON(r, out))
}

// deleteComment is DELETE /repos/{owner}/{repo}/issues/comments/{id}.
func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.comment(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	for i, x := range s.comments {
		if x == c {
			s.comments = append(s.comments[:i], s.comments[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func commentBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Body *string `json:"body"`
	}
	if !decodeBody(w, r, &in) {
		return "", false
	}
	switch {
	case in.Body == nil || strings.TrimSpace(*in.Body) == "":
		validationError(w, "IssueComment", "body", "missing_field", "body cannot be blank")
		return "", false
	case utf8.RuneCountInString(*in.Body) > MaxCommentChars:
		validationError(w, "IssueComment", "body", "custom", "Body is too long (maximum is 65536 characters)")
		return "", false
	}
	return *in.Body, true
}

func (s *Server) issue(w http.ResponseWriter, r *http.Request) (int, bool) {
	if !s.repoOK(w, r) {
		return 0, false
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 {
		writeError(w, http.StatusNotFound, "Not Found")
		return 0, false
	}
	return n, true
}

func (s *Server) comment(w http.ResponseWriter, r *http.Request) (*Comment, bool) {
	if !s.repoOK(w, r) {
		return nil, false
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.comments {
		if c.ID == id {
			return c, true
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
	return nil, false
}

func (s *Server) commentJSON(r *http.Request, c Comment) map[string]any {
	api := fmt.Sprintf("http://%s/repos/%s/%s", r.Host, s.opts.Owner, s.opts.Repo)
	return map[string]any{
		"id":                 c.ID,
		"node_id":            fmt.Sprintf("IC_%d", c.ID),
		"url":                fmt.Sprintf("%s/issues/comments/%d", api, c.ID),
		"html_url":           fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", s.opts.Owner, s.opts.Repo, c.Issue, c.ID),
		"issue_url":          fmt.Sprintf("%s/issues/%d", api, c.Issue),
		"body":               c.Body,
		"user":               userJSON(r, c.User),
		"created_at":         c.CreatedAt.Format(time.RFC3339),
		"updated_at":         c.UpdatedAt.Format(time.RFC3339),
		"author_association": "NONE",
	}
}

func queryInt(r *http.Request, name string, def int) int {
	if v, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil {
		return v
	}
	return def
}

// AddComment stores a comment as if user had posted it and returns it.
func (s *Server) AddComment(issue int, user, body string) Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC()
	c := &Comment{ID: s.id(), Issue: issue, User: user, Body: body, CreatedAt: now, UpdatedAt: now}
	s.comments = append(s.comments, c)
	return *c
}

// Comments returns the comments of an issue or pull request, oldest first.
func (s *Server) Comments(issue int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.Issue == issue {
			out = append(out, *c)
		}
	}
	return out
}
