package webhook

import (
	"context"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Receiver gets verified events, one at a time and in arrival order. Its
// methods should return quickly (e.g. by triggering a Coalescer): the next
// event waits for them.
type Receiver interface {
	Push(ctx context.Context, ev PushEvent)
	PullRequest(ctx context.Context, ev PREvent)
}

// PushEvent is a push to a branch.
type PushEvent struct {
	Repo       string // owner/name
	Branch     string // without refs/heads/
	SHA        string // the branch's new head
	Before     string // the branch's previous head
	DeliveryID string
}

// PREvent is a pull request that was opened, synchronized, reopened or
// closed.
type PREvent struct {
	Repo       string // owner/name of the base repository
	Number     int
	Action     string // opened, synchronize, reopened or closed
	Merged     bool   // for closed: whether it was merged
	HeadSHA    string
	HeadRef    string // head branch name
	BaseRef    string // base branch name
	DeliveryID string
}

// prActions are the pull_request actions passed on.
var prActions = map[string]bool{"opened": true, "synchronize": true, "reopened": true, "closed": true}

// pushEvent converts a push; ok is false for tags and branch deletions.
func pushEvent(e *github.PushEvent, delivery string) (PushEvent, bool) {
	branch, isBranch := strings.CutPrefix(e.GetRef(), "refs/heads/")
	if !isBranch || e.GetDeleted() || branch == "" {
		return PushEvent{}, false
	}
	return PushEvent{
		Repo:       e.GetRepo().GetFullName(),
		Branch:     branch,
		SHA:        e.GetAfter(),
		Before:     e.GetBefore(),
		DeliveryID: delivery,
	}, true
}

// prEvent converts a pull_request event; ok is false for other actions.
func prEvent(e *github.PullRequestEvent, delivery string) (PREvent, bool) {
	if !prActions[e.GetAction()] || e.GetPullRequest() == nil {
		return PREvent{}, false
	}
	pr := e.GetPullRequest()
	return PREvent{
		Repo:       e.GetRepo().GetFullName(),
		Number:     pr.GetNumber(),
		Action:     e.GetAction(),
		Merged:     pr.GetMerged(),
		HeadSHA:    pr.GetHead().GetSHA(),
		HeadRef:    pr.GetHead().GetRef(),
		BaseRef:    pr.GetBase().GetRef(),
		DeliveryID: delivery,
	}, true
}

// repositoryOf returns the owner/name of the repository a parsed event is
// about ("" when the payload names none).
func repositoryOf(parsed any) string {
	switch e := parsed.(type) {
	case *github.PushEvent:
		return e.GetRepo().GetFullName()
	case *github.PullRequestEvent:
		return e.GetRepo().GetFullName()
	}
	return ""
}
