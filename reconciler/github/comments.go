package github

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// MaxCommentChars is GitHub's limit on a comment body.
const MaxCommentChars = 65536

var markerName = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)

// Comment is one part of a preview comment.
type Comment struct {
	ID   int64
	Part int
	Body string // including the marker line
}

// MarkerLine is the hidden line that identifies part n of the preview
// comment named marker.
func MarkerLine(marker string, part int) string {
	return fmt.Sprintf("<!-- gitplane:preview %s part %d -->", marker, part)
}

// PartLimit is the room left for a part's text after its marker line.
func PartLimit(marker string) int {
	return MaxCommentChars - len(MarkerLine(marker, 9999)) - 1
}

// MaxParts is the most comments one preview comment takes: a body longer
// than that is cut, and says so at its end. (A 1000-Model preview once took
// 167 comments.) Callers should keep their bodies within one part (see
// PartLimit); this is the backstop.
const MaxParts = 3

// UpsertMarkdown splits body into parts that fit GitHub's limit, at most
// MaxParts of them, and upserts them as the preview comment named marker;
// parts left from an earlier, longer comment are deleted.
func (c *Client) UpsertMarkdown(ctx context.Context, pr int, marker, body string) error {
	return c.UpsertComment(ctx, pr, marker, capParts(body, PartLimit(marker)))
}

// capParts splits body into at most MaxParts parts of limit bytes, cutting
// its end (and saying so) when it does not fit.
func capParts(body string, limit int) []string {
	parts := SplitMarkdown(body, limit)
	const note = "\n\n_… the rest of this preview is cut: it is longer than gitplane's comments may be._\n"
	for size := MaxParts * (limit - headerRoom); len(parts) > MaxParts; size -= limit / 8 {
		cut, _ := TruncateMarkdown(body, size-len(note))
		parts = SplitMarkdown(cut+note, limit)
	}
	return parts
}

// UpsertComment makes the pull request's preview comment named marker
// consist of bodies, one comment per part: existing parts are edited in
// place (left alone if unchanged), missing ones created, and surplus ones
// deleted.
func (c *Client) UpsertComment(ctx context.Context, pr int, marker string, bodies []string) error {
	if !markerName.MatchString(marker) {
		return fmt.Errorf("preview comment marker %q: use letters, digits and ._/-", marker)
	}
	if len(bodies) == 0 {
		return fmt.Errorf("preview comment %s on #%d: no parts", marker, pr)
	}
	existing, surplus, err := c.findParts(ctx, pr, marker)
	if err != nil {
		return err
	}
	for i, b := range bodies {
		part := i + 1
		full := MarkerLine(marker, part) + "\n" + b
		if len(full) > MaxCommentChars {
			return fmt.Errorf("preview comment %s on #%d: part %d has %d bytes, over GitHub's %d", marker, pr, part, len(full), MaxCommentChars)
		}
		if err := c.putPart(ctx, pr, existing[part], full); err != nil {
			return fmt.Errorf("preview comment %s on #%d, part %d/%d: %w", marker, pr, part, len(bodies), err)
		}
		delete(existing, part)
	}
	for _, cm := range existing { // parts beyond the new count
		surplus = append(surplus, cm.ID)
	}
	sort.Slice(surplus, func(i, j int) bool { return surplus[i] < surplus[j] })
	for _, id := range surplus {
		if _, err := c.gh.Issues.DeleteComment(ctx, c.owner, c.repo, id); err != nil {
			return fmt.Errorf("preview comment %s on #%d: deleting surplus comment %d: %w", marker, pr, id, err)
		}
	}
	c.log.Info("preview comment upserted", "pr", pr, "marker", marker, "parts", len(bodies), "deleted", len(surplus))
	return nil
}

// putPart edits cm to body, creates the part if cm is nil, and does
// nothing if cm already says body.
func (c *Client) putPart(ctx context.Context, pr int, cm *Comment, body string) error {
	switch {
	case cm == nil:
		_, _, err := c.gh.Issues.CreateComment(ctx, c.owner, c.repo, pr, &gh.IssueComment{Body: gh.String(body)})
		return err
	case cm.Body != body:
		_, _, err := c.gh.Issues.EditComment(ctx, c.owner, c.repo, cm.ID, &gh.IssueComment{Body: gh.String(body)})
		return err
	}
	return nil
}

// PreviewComments returns the parts of the preview comment named marker,
// in part order.
func (c *Client) PreviewComments(ctx context.Context, pr int, marker string) ([]Comment, error) {
	byPart, _, err := c.findParts(ctx, pr, marker)
	if err != nil {
		return nil, err
	}
	out := make([]Comment, 0, len(byPart))
	for _, cm := range byPart {
		out = append(out, *cm)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Part < out[j].Part })
	return out, nil
}

// findParts lists every comment of the pull request and returns the parts
// of marker by number (the oldest comment wins a number) and the IDs of
// duplicates. Only the token's own comments count: anyone can write the
// marker, and a comment of someone else's is never edited, deleted or taken
// for the preview.
func (c *Client) findParts(ctx context.Context, pr int, marker string) (map[int]*Comment, []int64, error) {
	me, err := c.Login(ctx)
	if err != nil {
		return nil, nil, err
	}
	re := regexp.MustCompile(`<!-- gitplane:preview ` + regexp.QuoteMeta(marker) + ` part (\d+) -->`)
	parts := map[int]*Comment{}
	var dups []int64
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.gh.Issues.ListComments(ctx, c.owner, c.repo, pr, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("listing comments of #%d: %w", pr, err)
		}
		for _, ic := range page {
			if !strings.EqualFold(ic.GetUser().GetLogin(), me) { // logins are case-insensitive
				continue
			}
			m := re.FindStringSubmatch(ic.GetBody())
			if m == nil {
				continue
			}
			n, _ := strconv.Atoi(m[1])
			if old, ok := parts[n]; ok && old.ID < ic.GetID() {
				dups = append(dups, ic.GetID())
				continue
			} else if ok {
				dups = append(dups, old.ID)
			}
			parts[n] = &Comment{ID: ic.GetID(), Part: n, Body: ic.GetBody()}
		}
		if resp.NextPage == 0 {
			return parts, dups, nil
		}
		opts.Page = resp.NextPage
	}
}

// MarkClosed puts note (e.g. "Closed: this preview is out of date.") at the
// top of part 1 of the preview comment named marker, once. With no preview
// comment it does nothing.
func (c *Client) MarkClosed(ctx context.Context, pr int, marker, note string) error {
	parts, err := c.PreviewComments(ctx, pr, marker)
	if err != nil || len(parts) == 0 || parts[0].Part != 1 {
		return err
	}
	head := MarkerLine(marker, 1) + "\n"
	rest := strings.TrimPrefix(parts[0].Body, head)
	if strings.HasPrefix(rest, note) {
		return nil
	}
	body := head + note + "\n\n" + rest
	if len(body) > MaxCommentChars {
		body = head + note
	}
	if _, _, err := c.gh.Issues.EditComment(ctx, c.owner, c.repo, parts[0].ID, &gh.IssueComment{Body: gh.String(body)}); err != nil {
		return fmt.Errorf("marking preview comment %s on #%d closed: %w", marker, pr, err)
	}
	return nil
}
