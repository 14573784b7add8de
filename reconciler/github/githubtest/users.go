package githubtest

import (
	"fmt"
	"net/http"
	"strings"
)

// getUser is GET /user: the token's user, or 403 for an installation token,
// which acts as its App's bot and is not a user.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	if s.opts.InstallationToken {
		writeJSON(w, http.StatusForbidden, map[string]string{
			"message":           "Resource not accessible by integration",
			"documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
			"status":            "403",
		})
		return
	}
	writeJSON(w, http.StatusOK, userJSON(r, s.opts.User))
}

// userJSON is the simple user object GitHub embeds in comments and
// statuses: logins ending in [bot] are of type Bot.
func userJSON(r *http.Request, login string) map[string]any {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{
		"login":    login,
		"id":       loginID(login),
		"node_id":  fmt.Sprintf("U_%d", loginID(login)),
		"type":     typ,
		"url":      fmt.Sprintf("http://%s/users/%s", r.Host, login),
		"html_url": "https://github.com/" + login,
	}
}

// loginID is a stable made-up user ID.
func loginID(login string) int64 {
	var h int64 = 7
	for _, c := range login {
		h = (h*31 + int64(c)) % 1_000_000_007
	}
	return h
}
