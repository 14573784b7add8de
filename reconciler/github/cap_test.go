package github

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestUpsertMarkdownCaps: a preview of 1000 diffs (about 10 MB, which once
// made 167 comments) takes at most MaxParts comments, each within GitHub's
// limit and with balanced blocks, the last saying it is cut; the parts of
// an earlier, longer comment are deleted.
func TestUpsertMarkdownCaps(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	if err := c.UpsertComment(ctx, 7, "preview", bodies(MaxParts+2, "stale")); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := range 1000 {
		b.WriteString(details(fmt.Sprintf("Deployment m-%04d", i), fence("diff", 300)))
	}
	if b.Len() < 5_000_000 {
		t.Fatalf("the test needs a large preview; it has %d bytes", b.Len())
	}
	if err := c.UpsertMarkdown(ctx, 7, "preview", b.String()); err != nil {
		t.Fatal(err)
	}
	got := previewOf(t, srv, 7, "preview")
	if len(got) == 0 || len(got) > MaxParts {
		t.Fatalf("%d comments for a %d-byte preview, want 1 to %d", len(got), b.Len(), MaxParts)
	}
	total := 0
	for i, cm := range got {
		total += len(cm.Body)
		if n := utf8.RuneCountInString(cm.Body); n > MaxCommentChars {
			t.Errorf("comment %d has %d characters", i+1, n)
		}
		if strings.Contains(cm.Body, "stale") {
			t.Errorf("comment %d still holds the earlier text", i+1)
		}
		if n := strings.Count(cm.Body, "\n```"); n%2 != 0 || strings.Count(cm.Body, "<details>") != strings.Count(cm.Body, "</details>") {
			t.Errorf("comment %d has unbalanced blocks", i+1)
		}
	}
	if last := got[len(got)-1].Body; !strings.Contains(last, "the rest of this preview is cut") {
		t.Errorf("the last comment does not say the preview is cut; it ends %q", last[max(0, len(last)-200):])
	}
	if n := len(srv.Comments(7)); n != len(got) {
		t.Errorf("%d comments on the PR, want only the %d parts: the earlier parts were not deleted", n, len(got))
	}
	t.Logf("%d-byte preview → %d comment(s), %d bytes", b.Len(), len(got), total)
}

func TestTruncateMarkdown(t *testing.T) {
	body := "intro\n" + details("Deployment", fence("diff", 100)) + "outro\n"
	for _, limit := range []int{0, 10, 200, 1000, len(body) - 1} {
		cut, didCut := TruncateMarkdown(body, limit)
		if !didCut || len(cut) > limit {
			t.Errorf("limit %d: %d bytes, cut %v", limit, len(cut), didCut)
		}
		if strings.Count(cut, "\n```")%2 != 0 || strings.Count(cut, "<details>") != strings.Count(cut, "</details>") {
			t.Errorf("limit %d: unbalanced blocks in %q", limit, cut)
		}
	}
	if cut, didCut := TruncateMarkdown(body, len(body)); didCut || cut != body {
		t.Errorf("a body that fits was cut")
	}
}
