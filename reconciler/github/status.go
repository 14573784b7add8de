package github

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"
)

const (
	defaultTimeout = 30 * time.Second
	// MaxDescription is GitHub's limit on a commit status description.
	MaxDescription = 140
)

// State is a commit status state.
type State string

// The states GitHub accepts.
const (
	Pending State = "pending"
	Success State = "success"
	Failure State = "failure"
	Error   State = "error"
)

// Status is one commit status.
type Status struct {
	Context     string // e.g. gitplane/prod or gitplane/preview/prod
	State       State
	Description string // truncated to MaxDescription characters
	TargetURL   string // optional
}

// SetStatus posts a commit status on sha.
func (c *Client) SetStatus(ctx context.Context, sha string, st Status) error {
	switch st.State {
	case Pending, Success, Failure, Error:
	default:
		return fmt.Errorf("setting status %s on %s: invalid state %q", st.Context, short(sha), st.State)
	}
	in := &gh.RepoStatus{
		State:       gh.String(string(st.State)),
		Context:     gh.String(st.Context),
		Description: gh.String(Truncate(st.Description, MaxDescription)),
	}
	if st.TargetURL != "" {
		in.TargetURL = gh.String(st.TargetURL)
	}
	if _, _, err := c.gh.Repositories.CreateStatus(ctx, c.owner, c.repo, sha, in); err != nil {
		return fmt.Errorf("setting status %s=%s on %s: %w", st.Context, st.State, short(sha), err)
	}
	c.log.Debug("commit status set", "sha", short(sha), "context", st.Context, "state", st.State)
	return nil
}

// Truncate shortens s to at most n characters, ending it with "…" if cut.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
