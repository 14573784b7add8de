package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/reconciler/github"
	"github.com/gitplane/gitplane/reconciler/server"
	"github.com/gitplane/gitplane/reconciler/source"
	"github.com/gitplane/gitplane/reconciler/webhook"
)

type serveFlags struct {
	config        string
	repo          string
	branch        string
	gitTokenFile  string
	gitSSHKeyFile string
	poll          string
	listen        string
	webhookSecret string
	githubToken   string
	githubAPIURL  string
	githubRepo    string
	githubAppSlug string
	publicURL     string
	envs          []string
	dataDir       string
	wait          time.Duration
	confirmPrune  bool
	clusterName   string
	clusterFlags
	aws awsFlags
}

func newServeCommand() *cobra.Command {
	f := &serveFlags{}
	c := &cobra.Command{
		Use:   "serve --repo URL [flags]",
		Short: "Run the GitOps loop: poll Git, receive GitHub webhooks, sync, report",
		Long: `Serve follows a Git repository of specs. Every Environment listed on the
default branch (or those named with --env) is synced when its branch moves:
rendered, planned, applied with prune, and waited for. Syncs are triggered
by polling (--poll, robfig/cron syntax) and by GitHub push webhooks
(--webhook-secret-file). Each sync posts commit statuses gitplane/<env>
(--github-token-file); pull requests get a preview comment.

Without a webhook secret serve accepts no deliveries and only dials out (to
Git, GitHub and the cluster): the mode for private clusters. The listener
then serves /healthz, /readyz, /metrics and /status only.

A YAML --config file may hold any flag by name (repo: ..., poll: ...);
flags given on the command line win.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfigFile(cmd.Flags(), f.config); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, f, slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil)))
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.config, "config", "", "YAML file with flag values (flags on the command line win)")
	fl.StringVar(&f.repo, "repo", "", "Git repository URL: https://, ssh://, git@host:path, file:// or a path (required)")
	fl.StringVar(&f.branch, "branch", "main", "branch that lists the Environments")
	fl.StringVar(&f.clusterName, "cluster-name", "", "sync only the Environments whose spec.cluster.name is this (default inside a cluster: the cluster recorded in gitplane-system/gitplane-cluster)")
	fl.StringVar(&f.gitTokenFile, "git-token-file", "", "file holding an HTTPS token for the repository")
	fl.StringVar(&f.gitSSHKeyFile, "git-ssh-key-file", "", "file holding an SSH private key for the repository")
	fl.StringVar(&f.poll, "poll", "@every 1m", `fetch schedule in robfig/cron syntax; "off" polls never`)
	fl.StringVar(&f.listen, "listen", ":8080", "address for /healthz, /readyz, /metrics, /status and webhooks")
	fl.StringVar(&f.webhookSecret, "webhook-secret-file", "", "file holding the GitHub webhook secret; webhooks are off without it")
	fl.StringVar(&f.githubToken, "github-token-file", "", "file holding a GitHub token for commit statuses and PR comments")
	fl.StringVar(&f.githubAPIURL, "github-api-url", "", "GitHub API root (GitHub Enterprise: https://HOST/api/v3/)")
	fl.StringVar(&f.githubRepo, "github-repo", "", "owner/name on GitHub (default: from --repo)")
	fl.StringVar(&f.githubAppSlug, "github-app-slug", "", "slug of the GitHub App whose installation token --github-token-file holds: serve's comments are then those of <slug>[bot] (default: the token's user, from GET /user)")
	fl.StringVar(&f.publicURL, "public-url", "", "URL serve is reachable at; statuses link to its /status page")
	fl.StringSliceVar(&f.envs, "env", nil, "Environments to sync (repeatable; default: every Environment on --branch)")
	fl.StringVar(&f.dataDir, "data-dir", "", "where the Git clone is kept (default: a directory under the user cache dir)")
	fl.DurationVar(&f.wait, "wait", engine.DefaultWait, "how long a sync waits for health (0: does not wait)")
	fl.BoolVar(&f.confirmPrune, "confirm-prune", false, "let a sync prune more than 25% of an Environment's inventory")
	f.clusterFlags.register(c)
	f.aws.bind(c)
	return c
}

func runServe(ctx context.Context, f *serveFlags, log *slog.Logger) error {
	if f.repo == "" {
		return errors.New("--repo is required")
	}
	schedule, err := source.ParseSchedule(f.poll)
	if err != nil {
		return err
	}
	dataDir, err := f.gitDir()
	if err != nil {
		return err
	}
	src, err := source.Open(ctx, source.Options{URL: f.repo, Dir: dataDir, TokenFile: f.gitTokenFile, SSHKeyFile: f.gitSSHKeyFile, Logger: log})
	if err != nil {
		return err
	}
	// serve plans again and again: every Engine keeps the live state in
	// watches.
	eopts := engine.DefaultOptions()
	eopts.Watch = true
	engines, err := f.engines(ctx, f.aws, connectOptions{inCluster: true, engine: eopts})
	if err != nil {
		return err
	}
	defer engines.close()
	gh, repoName, err := f.githubClient(log)
	if err != nil {
		return err
	}
	clusterName, err := f.servedCluster(ctx, engines, log)
	if err != nil {
		return err
	}
	opts := server.Options{
		Source: src, RepoName: repoName, Engines: engines, GitHub: gh, Environments: f.envs, ClusterName: clusterName,
		DefaultBranch: f.branch, Poll: schedule, PublicURL: f.publicURL, Wait: f.wait, Logger: log,
		PlanOptions: engine.PlanOptions{Prune: true, ConfirmPrune: f.confirmPrune},
	}
	if f.webhookSecret != "" {
		if !webhook.IsRepositoryName(repoName) {
			return fmt.Errorf("--webhook-secret-file: webhooks are acted on only for the followed GitHub repository, which cannot be told from --repo %q; set --github-repo owner/name", f.repo)
		}
		if opts.WebhookSecret, err = readSecretFile(f.webhookSecret); err != nil {
			return err
		}
	}
	if gh != nil {
		opts.Previewer = &server.GitHubPreviewer{
			Source: src, Engines: engines, DefaultBranch: f.branch, GitHub: gh, WebURL: f.githubWebURL(repoName),
			StatusURL: statusURL(f.publicURL), Environments: f.envs, PlanOptions: opts.PlanOptions, Logger: log,
			AWS: gpaws.New(ctx, gpaws.Options{Skip: f.aws.skip, Profile: f.aws.profile}),
		}
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	return serveHTTP(ctx, f.listen, srv, log)
}

// statusURL is serve's /status page under --public-url, "" without one.
func statusURL(public string) string {
	if public == "" {
		return ""
	}
	return strings.TrimSuffix(public, "/") + "/status"
}

// servedCluster is the cluster name whose Environments serve follows:
// --cluster-name, else, inside a cluster (no kubeconfig named), the one
// the cluster is recorded as; "" follows every Environment (each sync
// still checks the record).
func (f *serveFlags) servedCluster(ctx context.Context, engs *engines, log *slog.Logger) (string, error) {
	inCluster := engs.fixed != nil && !f.named(false) && os.Getenv("KUBERNETES_SERVICE_HOST") != ""
	if f.clusterName != "" || !inCluster {
		return f.clusterName, nil
	}
	c, ok, err := engs.fixed.RecordedCluster(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		log.Warn("serve runs in a cluster that is not recorded yet and --cluster-name is not set: following every Environment; the first sync records this cluster and Environments naming others then fail")
		return "", nil
	}
	log.Info("following the Environments of the cluster serve runs in", "cluster", c.String())
	return c.Name, nil
}

// serveHTTP runs the loop and its listener until ctx ends.
func serveHTTP(ctx context.Context, addr string, srv *server.Server, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server failed", "error", err)
		}
	}()
	log.Info("serving", "addr", ln.Addr().String())
	err = srv.Run(ctx)
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutdown)
	return err
}

// githubWebURL is the repository's web address, for links in previews:
// github.com, or the Enterprise host of --github-api-url.
func (f *serveFlags) githubWebURL(repoName string) string {
	if f.githubAPIURL == "" {
		return "https://github.com/" + repoName
	}
	u, err := url.Parse(f.githubAPIURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/" + repoName
}

func (f *serveFlags) gitDir() (string, error) {
	if f.dataDir != "" {
		return f.dataDir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no --data-dir and no user cache dir: %w", err)
	}
	return cache + "/gitplane/git", nil
}

// githubClient returns nil when no token is configured.
func (f *serveFlags) githubClient(log *slog.Logger) (*github.Client, string, error) {
	owner, name, err := github.RepoFromURL(f.repo)
	if f.githubRepo != "" {
		var ok bool
		owner, name, ok = strings.Cut(f.githubRepo, "/")
		if !ok {
			return nil, "", fmt.Errorf("--github-repo must be owner/name, not %q", f.githubRepo)
		}
		err = nil
	}
	repoName := f.repo
	if err == nil {
		repoName = owner + "/" + name
	}
	if f.githubToken == "" {
		return nil, repoName, nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("cannot tell the GitHub repository from --repo; set --github-repo: %w", err)
	}
	token, err := readSecretFile(f.githubToken)
	if err != nil {
		return nil, "", err
	}
	opts := github.Options{BaseURL: f.githubAPIURL, Token: string(token), Owner: owner, Repo: name, Logger: log}
	if f.githubAppSlug != "" {
		opts.Login = github.AppBotLogin(f.githubAppSlug)
	}
	gh, err := github.New(opts)
	return gh, repoName, err
}

func readSecretFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return []byte(s), nil
}

// applyConfigFile sets the flags named in a YAML file that were not given
// on the command line.
func applyConfigFile(flags *pflag.FlagSet, path string) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	var values map[string]any
	if err := yaml.UnmarshalStrict(data, &values); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	for name, v := range values {
		fl := flags.Lookup(name)
		if fl == nil || name == "config" {
			return fmt.Errorf("config %s: unknown setting %q", path, name)
		}
		if fl.Changed {
			continue
		}
		items, isList := v.([]any)
		if !isList {
			items = []any{v}
		}
		for _, item := range items {
			if err := flags.Set(name, fmt.Sprint(item)); err != nil {
				return fmt.Errorf("config %s: %s: %w", path, name, err)
			}
		}
	}
	return nil
}
