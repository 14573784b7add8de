package github

import (
	"context"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/github/githubtest"
)

func TestUpsertCommentCreatesOnceThenEdits(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	srv.AddComment(7, "alice", "LGTM")
	srv.AddComment(7, "gitplane[bot]", MarkerLine("staging", 1)+"\nstaging preview")
	srv.AddComment(8, "gitplane[bot]", MarkerLine("prod", 1)+"\nanother PR")

	if err := c.UpsertComment(ctx, 7, "prod", []string{"first render"}); err != nil {
		t.Fatal(err)
	}
	first := previewOf(t, srv, 7, "prod")
	if len(first) != 1 || first[0].Body != MarkerLine("prod", 1)+"\nfirst render" {
		t.Fatalf("after create: %+v", first)
	}
	if err := c.UpsertComment(ctx, 7, "prod", []string{"second render"}); err != nil {
		t.Fatal(err)
	}
	second := previewOf(t, srv, 7, "prod")
	if len(second) != 1 || second[0].ID != first[0].ID || !strings.HasSuffix(second[0].Body, "second render") {
		t.Fatalf("after edit: %+v, want comment %d edited", second, first[0].ID)
	}
	patches := len(calls(srv, "PATCH"))
	if err := c.UpsertComment(ctx, 7, "prod", []string{"second render"}); err != nil {
		t.Fatal(err)
	}
	if n := len(calls(srv, "PATCH")); n != patches {
		t.Errorf("an unchanged body was edited again (%d PATCH calls, want %d)", n, patches)
	}
	if n := len(calls(srv, "POST")); n != 1 {
		t.Errorf("%d comments created, want 1", n)
	}
	if got := srv.Comments(7); len(got) != 3 || got[0].Body != "LGTM" || !strings.HasSuffix(got[1].Body, "staging preview") {
		t.Errorf("other comments changed: %+v", got)
	}
	if got := srv.Comments(8); len(got) != 1 || !strings.HasSuffix(got[0].Body, "another PR") {
		t.Errorf("another PR's preview changed: %+v", got)
	}
}

// previewOf returns the stored comments of issue carrying marker, in order.
func previewOf(t *testing.T, srv *githubtest.Server, issue int, marker string) []githubtest.Comment {
	t.Helper()
	var out []githubtest.Comment
	for _, cm := range srv.Comments(issue) {
		if strings.Contains(cm.Body, "gitplane:preview "+marker+" part ") {
			out = append(out, cm)
		}
	}
	return out
}

func TestUpsertCommentParts(t *testing.T) {
	for _, tc := range []struct {
		name        string
		before      int // parts already posted
		after       int
		wantDeleted int
	}{
		{"grow from 1 to 3", 1, 3, 0},
		{"shrink from 3 to 1", 3, 1, 2},
		{"same 2", 2, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv := newClient(t)
			ctx := context.Background()
			if err := c.UpsertComment(ctx, 7, "prod", bodies(tc.before, "old")); err != nil {
				t.Fatal(err)
			}
			old := previewOf(t, srv, 7, "prod")
			if err := c.UpsertComment(ctx, 7, "prod", bodies(tc.after, "new")); err != nil {
				t.Fatal(err)
			}
			got := previewOf(t, srv, 7, "prod")
			if len(got) != tc.after {
				t.Fatalf("%d parts after upsert, want %d", len(got), tc.after)
			}
			for i, cm := range got {
				want := MarkerLine("prod", i+1) + "\n" + bodies(tc.after, "new")[i]
				if cm.Body != want {
					t.Errorf("part %d = %q, want %q", i+1, cm.Body, want)
				}
				if i < len(old) && cm.ID != old[i].ID {
					t.Errorf("part %d is comment %d, want the edited %d", i+1, cm.ID, old[i].ID)
				}
			}
			if n := len(calls(srv, "DELETE")); n != tc.wantDeleted {
				t.Errorf("%d deletions, want %d", n, tc.wantDeleted)
			}
		})
	}
}

// TestUpsertCommentPaginates finds a preview posted after 250 other
// comments, beyond the first pages.
func TestUpsertCommentPaginates(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	for range 250 {
		srv.AddComment(7, "bob", "chatter")
	}
	existing := srv.AddComment(7, "gitplane[bot]", MarkerLine("prod", 1)+"\nold")
	srv.AddComment(7, "gitplane[bot]", MarkerLine("prod", 1)+"\nduplicate from a race")
	if err := c.UpsertComment(ctx, 7, "prod", []string{"new"}); err != nil {
		t.Fatal(err)
	}
	got := previewOf(t, srv, 7, "prod")
	if len(got) != 1 || got[0].ID != existing.ID || !strings.HasSuffix(got[0].Body, "\nnew") {
		t.Fatalf("preview after upsert: %+v; want comment %d edited and the duplicate gone", got, existing.ID)
	}
	var pages []string
	for _, call := range calls(srv, "GET") {
		if strings.HasSuffix(call.Path, "/comments") {
			pages = append(pages, call.Query)
		}
	}
	if len(pages) != 3 || !strings.Contains(pages[2], "page=3") {
		t.Errorf("list calls %v, want 3 pages of 100", pages)
	}
}

func TestUpsertMarkdownSplitsLargePreview(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	var b strings.Builder
	for range 3 {
		b.WriteString(details("Deployment", fence("diff", 2000)))
	}
	if err := c.UpsertMarkdown(ctx, 7, "prod", b.String()); err != nil {
		t.Fatal(err)
	}
	got := previewOf(t, srv, 7, "prod")
	if len(got) < 2 {
		t.Fatalf("%d comments for a %d-byte preview, want several", len(got), b.Len())
	}
	for i, cm := range got {
		if !strings.HasPrefix(cm.Body, MarkerLine("prod", i+1)+"\n**(part ") {
			t.Errorf("comment %d starts %.80q", i+1, cm.Body)
		}
	}
	if err := c.UpsertMarkdown(ctx, 7, "prod", "all clean\n"); err != nil {
		t.Fatal(err)
	}
	if got := previewOf(t, srv, 7, "prod"); len(got) != 1 || got[0].Body != MarkerLine("prod", 1)+"\nall clean\n" {
		t.Fatalf("after shrinking: %+v", got)
	}
}

func TestMarkClosed(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	if err := c.MarkClosed(ctx, 7, "prod", "**Closed.**"); err != nil {
		t.Fatalf("MarkClosed without a preview: %v", err)
	}
	if err := c.UpsertComment(ctx, 7, "prod", []string{"diff"}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second call changes nothing
		if err := c.MarkClosed(ctx, 7, "prod", "**Closed.**"); err != nil {
			t.Fatal(err)
		}
	}
	got := previewOf(t, srv, 7, "prod")
	if want := MarkerLine("prod", 1) + "\n**Closed.**\n\ndiff"; len(got) != 1 || got[0].Body != want {
		t.Fatalf("closed preview = %+v, want body %q", got, want)
	}
	if n := len(calls(srv, "PATCH")); n != 1 {
		t.Errorf("%d edits, want 1", n)
	}
}

func TestUpsertCommentRejectsBadInput(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"marker with a comment end": func() error { return c.UpsertComment(ctx, 7, "x -->", []string{"a"}) },
		"no parts":                  func() error { return c.UpsertComment(ctx, 7, "prod", nil) },
		"part over the limit":       func() error { return c.UpsertComment(ctx, 7, "prod", []string{strings.Repeat("x", MaxCommentChars)}) },
	} {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := len(calls(srv, "POST")); n != 0 {
		t.Errorf("%d comments created from bad input", n)
	}
}
