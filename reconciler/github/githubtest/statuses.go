package githubtest

import (
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

var validStates = map[string]bool{"error": true, "failure": true, "pending": true, "success": true}

// createStatus is POST /repos/{owner}/{repo}/statuses/{sha}.
func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	if !s.repoOK(w, r) {
		return
	}
	var in struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	switch {
	case !validStates[in.State]:
		validationError(w, "Status", "state", "custom", "state is not included in the list")
		return
	case utf8.RuneCountInString(in.Description) > 140:
		validationError(w, "Status", "description", "custom", "description is too long (maximum is 140 characters)")
		return
	}
	if in.Context == "" {
		in.Context = "default"
	}
	s.mu.Lock()
	st := Status{ID: s.id(), SHA: r.PathValue("sha"), State: in.State, Context: in.Context,
		Description: in.Description, TargetURL: in.TargetURL, CreatedAt: time.Now().UTC()}
	s.statuses = append(s.statuses, st)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.statusJSON(r, st))
}

func (s *Server) statusJSON(r *http.Request, st Status) map[string]any {
	return map[string]any{
		"url":         fmt.Sprintf("http://%s/repos/%s/%s/statuses/%s", r.Host, s.opts.Owner, s.opts.Repo, st.SHA),
		"id":          st.ID,
		"node_id":     fmt.Sprintf("SC_%d", st.ID),
		"state":       st.State,
		"description": st.Description,
		"target_url":  st.TargetURL,
		"context":     st.Context,
		"created_at":  st.CreatedAt.Format(time.RFC3339),
		"updated_at":  st.CreatedAt.Format(time.RFC3339),
		"creator":     userJSON(r, s.opts.User),
	}
}

// id returns a fresh ID; callers hold s.mu.
func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

// Statuses returns the statuses posted for sha, oldest first.
func (s *Server) Statuses(sha string) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Status
	for _, st := range s.statuses {
		if st.SHA == sha {
			out = append(out, st)
		}
	}
	return out
}
