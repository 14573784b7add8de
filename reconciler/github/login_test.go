package github

import (
	"context"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/github/githubtest"
)

// TestPreviewCommentIsOwn: a comment by someone else that carries the
// marker (here a forged "No changes") is neither edited nor taken for the
// preview; gitplane posts its own and, on the next run, edits only that.
func TestPreviewCommentIsOwn(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	forged := srv.AddComment(7, "mallory", MarkerLine("prod", 1)+"\n✅ No changes")
	forged2 := srv.AddComment(7, "Mallory", MarkerLine("prod", 2)+"\nmore")
	for _, body := range []string{"planned: 3 to delete", "planned: 4 to delete"} {
		if err := c.UpsertComment(ctx, 7, "prod", []string{body}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.MarkClosed(ctx, 7, "prod", "**Closed.**"); err != nil {
		t.Fatal(err)
	}
	got := srv.Comments(7)
	if len(got) != 3 {
		t.Fatalf("comments: %+v; want the two forged ones and gitplane's own", got)
	}
	if got[0] != forged || got[1] != forged2 {
		t.Errorf("another user's comments were changed: %+v", got[:2])
	}
	if own := got[2]; own.User != "gitplane[bot]" || own.Body != MarkerLine("prod", 1)+"\n**Closed.**\n\nplanned: 4 to delete" {
		t.Errorf("gitplane's comment = %+v", own)
	}
	parts, err := c.PreviewComments(ctx, 7, "prod")
	if err != nil || len(parts) != 1 || parts[0].ID != got[2].ID {
		t.Errorf("PreviewComments = %+v, %v; want only gitplane's own", parts, err)
	}
	if n := countPath(srv, "GET", "/user"); n != 1 {
		t.Errorf("GET /user called %d times, want once (cached)", n)
	}
}

// TestLoginOfInstallationToken: GET /user answers an App installation
// token 403; with the App's bot login configured the preview works and
// GET /user is not asked, without it nothing is written and the error says
// what to set.
func TestLoginOfInstallationToken(t *testing.T) {
	ctx := context.Background()
	srv := githubtest.New(t, githubtest.Options{Owner: "acme", Repo: "specs", Token: token, User: AppBotLogin("gitplane"), InstallationToken: true})
	srv.AddComment(7, "mallory", MarkerLine("prod", 1)+"\n✅ No changes")

	bare, err := New(Options{BaseURL: srv.BaseURL(), Token: token, Owner: "acme", Repo: "specs"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bare.UpsertComment(ctx, 7, "prod", []string{"preview"}); err == nil || !strings.Contains(err.Error(), "--github-app-slug") {
		t.Errorf("without a login: error %v, want one naming --github-app-slug", err)
	}
	if n := len(calls(srv, "POST")) + len(calls(srv, "PATCH")) + len(calls(srv, "DELETE")); n != 0 {
		t.Errorf("%d writes without knowing the token's login", n)
	}

	app, err := New(Options{BaseURL: srv.BaseURL(), Token: token, Owner: "acme", Repo: "specs", Login: AppBotLogin("gitplane")})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := app.UpsertComment(ctx, 7, "prod", []string{"preview"}); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Comments(7)
	if len(got) != 2 || got[0].Body != MarkerLine("prod", 1)+"\n✅ No changes" || got[1].User != "gitplane[bot]" {
		t.Errorf("comments: %+v", got)
	}
	if n := countPath(srv, "GET", "/user"); n != 1 { // the bare client's
		t.Errorf("GET /user called %d times, want only by the client without a login", n)
	}
}

func countPath(srv *githubtest.Server, method, path string) int {
	n := 0
	for _, c := range calls(srv, method) {
		if c.Path == path {
			n++
		}
	}
	return n
}
