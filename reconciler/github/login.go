package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v62/github"
)

// AppBotLogin is the login a GitHub App's installation token acts as:
// "<slug>[bot]".
func AppBotLogin(slug string) string { return slug + "[bot]" }

// Login returns the login the token acts as: Options.Login when set, else
// GET /user's answer, asked once and kept. An installation token, which
// GET /user answers 403, needs Options.Login.
func (c *Client) Login(ctx context.Context) (string, error) {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if c.login != "" {
		return c.login, nil
	}
	u, _, err := c.gh.Users.Get(ctx, "")
	var ghErr *gh.ErrorResponse
	if errors.As(err, &ghErr) && ghErr.Response != nil && ghErr.Response.StatusCode == http.StatusForbidden {
		return "", fmt.Errorf("finding the token's own login: GET /user answered 403 (%s), as it does for a GitHub App installation token; name the App with --github-app-slug: %w", ghErr.Message, err)
	}
	if err != nil {
		return "", fmt.Errorf("finding the token's own login (GET /user): %w", err)
	}
	if u.GetLogin() == "" {
		return "", errors.New("finding the token's own login: GET /user answered no login")
	}
	c.login = u.GetLogin()
	return c.login, nil
}
