package github

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	gh "github.com/google/go-github/v62/github"
)

// Options configures a Client.
type Options struct {
	// BaseURL is the API root: empty for api.github.com, else GitHub
	// Enterprise's (https://ghe.example.com/api/v3/) or a test server's.
	BaseURL string
	// Token authenticates as a bearer token; it is never logged.
	Token       string
	Owner, Repo string
	// Login is the login the token acts as, whose comments are gitplane's
	// own: for a GitHub App installation token its bot, "<app-slug>[bot]"
	// (see AppBotLogin), since GET /user answers such a token 403. Empty:
	// asked of GET /user once.
	Login string
	// HTTPClient is used when set (timeouts, proxies); a client with a
	// 30-second timeout otherwise.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Client talks to one repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
	log         *slog.Logger

	loginMu sync.Mutex
	login   string // Options.Login, or GET /user's answer once known
}

// New returns a Client for opts.Owner/opts.Repo.
func New(opts Options) (*Client, error) {
	if opts.Owner == "" || opts.Repo == "" {
		return nil, errors.New("github: owner and repo are required")
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	c := gh.NewClient(hc)
	if opts.Token != "" {
		c = c.WithAuthToken(opts.Token)
	}
	if opts.BaseURL != "" {
		var err error
		if c, err = c.WithEnterpriseURLs(opts.BaseURL, opts.BaseURL); err != nil {
			return nil, fmt.Errorf("github: API URL %q: %w", opts.BaseURL, err)
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Client{gh: c, owner: opts.Owner, repo: opts.Repo, login: opts.Login, log: log.With("github", opts.Owner+"/"+opts.Repo)}, nil
}

// RepoFromURL returns owner and repository name of a git remote URL:
// https://host/owner/name(.git), ssh://git@host/owner/name(.git) or
// git@host:owner/name(.git).
func RepoFromURL(remote string) (owner, repo string, err error) {
	p := remote
	if u, perr := url.Parse(remote); perr == nil && u.Scheme != "" && u.Host != "" {
		p = u.Path
	} else if at := strings.Index(remote, ":"); at > 0 && !strings.Contains(remote[:at], "/") {
		p = remote[at+1:] // scp-like git@host:owner/name
	}
	parts := strings.Split(strings.Trim(strings.TrimSuffix(p, ".git"), "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] == "" || parts[len(parts)-1] == "" {
		return "", "", fmt.Errorf("cannot tell owner/name from git URL %q", remote)
	}
	return parts[len(parts)-2], parts[len(parts)-1], nil
}
