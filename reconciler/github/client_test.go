package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	gh "github.com/google/go-github/v62/github"

	"github.com/gitplane/gitplane/reconciler/github/githubtest"
)

const token = "ghs_testtoken"

func newClient(t *testing.T) (*Client, *githubtest.Server) {
	t.Helper()
	srv := githubtest.New(t, githubtest.Options{Owner: "acme", Repo: "specs", Token: token})
	c, err := New(Options{BaseURL: srv.BaseURL(), Token: token, Owner: "acme", Repo: "specs"})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestSetStatus(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	sha := strings.Repeat("ab", 20)
	long := strings.Repeat("é", 200)
	steps := []Status{
		{Context: "gitplane/prod", State: Pending, Description: "applying 3 changes to prod"},
		{Context: "gitplane/prod", State: Success, Description: "prod: 2 updated, 1 created, 120 unchanged; healthy", TargetURL: "https://gitplane.example.com/status"},
		{Context: "gitplane/preview/prod", State: Failure, Description: long},
	}
	for _, st := range steps {
		if err := c.SetStatus(ctx, sha, st); err != nil {
			t.Fatalf("SetStatus(%s %s): %v", st.Context, st.State, err)
		}
	}
	got := srv.Statuses(sha)
	if len(got) != len(steps) {
		t.Fatalf("%d statuses stored, want %d", len(got), len(steps))
	}
	for i, st := range steps {
		want := Truncate(st.Description, MaxDescription)
		if got[i].Context != st.Context || got[i].State != string(st.State) || got[i].Description != want || got[i].TargetURL != st.TargetURL {
			t.Errorf("status %d = %+v, want %+v", i, got[i], st)
		}
	}
	if d := []rune(got[2].Description); len(d) != MaxDescription || d[len(d)-1] != '…' {
		t.Errorf("long description not truncated to %d characters with an ellipsis: %d", MaxDescription, len(d))
	}
	if err := c.SetStatus(ctx, sha, Status{Context: "gitplane/prod", State: "bogus"}); err == nil {
		t.Error("SetStatus with an invalid state succeeded")
	}
	if n := len(srv.Calls()); n != len(steps) {
		t.Errorf("%d calls, want %d: invalid states must not reach GitHub", n, len(steps))
	}
}

// TestFakeGitHubErrors checks the fake's error answers through go-github.
func TestFakeGitHubErrors(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		call func() (*gh.Response, error)
		code int
	}{
		{"invalid state", func() (*gh.Response, error) {
			_, r, err := c.gh.Repositories.CreateStatus(ctx, "acme", "specs", "abc", &gh.RepoStatus{State: gh.String("bogus")})
			return r, err
		}, 422},
		{"description over 140", func() (*gh.Response, error) {
			_, r, err := c.gh.Repositories.CreateStatus(ctx, "acme", "specs", "abc", &gh.RepoStatus{State: gh.String("success"), Description: gh.String(strings.Repeat("x", 141))})
			return r, err
		}, 422},
		{"unknown comment", func() (*gh.Response, error) {
			_, r, err := c.gh.Issues.EditComment(ctx, "acme", "specs", 999, &gh.IssueComment{Body: gh.String("x")})
			return r, err
		}, 404},
		{"body over 65536", func() (*gh.Response, error) {
			_, r, err := c.gh.Issues.CreateComment(ctx, "acme", "specs", 1, &gh.IssueComment{Body: gh.String(strings.Repeat("x", MaxCommentChars+1))})
			return r, err
		}, 422},
		{"blank body", func() (*gh.Response, error) {
			_, r, err := c.gh.Issues.CreateComment(ctx, "acme", "specs", 1, &gh.IssueComment{Body: gh.String(" ")})
			return r, err
		}, 422},
		{"other repository", func() (*gh.Response, error) {
			_, r, err := c.gh.Issues.ListComments(ctx, "acme", "other", 1, nil)
			return r, err
		}, 404},
		{"delete unknown comment", func() (*gh.Response, error) {
			return c.gh.Issues.DeleteComment(ctx, "acme", "specs", 999)
		}, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.call()
			var ge *gh.ErrorResponse
			if !errors.As(err, &ge) || resp == nil || resp.StatusCode != tc.code {
				t.Fatalf("err = %v, want a GitHub error with status %d", err, tc.code)
			}
		})
	}
	bad, err := New(Options{BaseURL: srv.BaseURL(), Token: "wrong", Owner: "acme", Repo: "specs"})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.SetStatus(ctx, "abc", Status{Context: "gitplane/prod", State: Pending})
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("SetStatus with a bad token: %v; want a 401 that does not show the token", err)
	}
}

func TestRepoFromURL(t *testing.T) {
	for url, want := range map[string]string{
		"https://github.com/acme/specs.git":      "acme/specs",
		"https://github.com/acme/specs":          "acme/specs",
		"ssh://git@github.com/acme/specs.git":    "acme/specs",
		"git@github.com:acme/specs.git":          "acme/specs",
		"https://ghe.example.com/org/team-specs": "org/team-specs",
		"https://github.com/acme":                "",
		"/srv/git/specs.git":                     "git/specs", // local paths: the last two elements
	} {
		owner, repo, err := RepoFromURL(url)
		got := owner + "/" + repo
		if want == "" {
			if err == nil {
				t.Errorf("RepoFromURL(%q) = %s, want an error", url, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("RepoFromURL(%q) = %s, %v; want %s", url, got, err, want)
		}
	}
}

func calls(srv *githubtest.Server, method string) []githubtest.Call {
	var out []githubtest.Call
	for _, c := range srv.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func bodies(n int, text string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", text, i+1)
	}
	return out
}

func TestFakeStatusCodes(t *testing.T) {
	c, srv := newClient(t)
	if err := c.UpsertComment(context.Background(), 7, "prod", []string{"hello"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{http.MethodGet: 200, http.MethodPost: 201}
	for _, call := range srv.Calls() {
		if call.Code != want[call.Method] {
			t.Errorf("%s %s answered %d, want %d", call.Method, call.Path, call.Code, want[call.Method])
		}
	}
}
