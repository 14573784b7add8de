package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

const (
	remoteName = "origin"
	// DefaultFetchTimeout bounds one fetch when Options.FetchTimeout is zero.
	DefaultFetchTimeout = 2 * time.Minute
)

// refSpecs fetch every branch and every pull request's head. Pull requests
// land under refs/remotes/origin/pr/<number>.
var refSpecs = []config.RefSpec{
	"+refs/heads/*:refs/remotes/origin/*",
	"+refs/pull/*/head:refs/remotes/origin/pr/*",
}

// Options says which repository to mirror and where.
type Options struct {
	// URL of the repository: https://, ssh://, scp-like git@host:path,
	// file:// or a local path.
	URL string
	// Dir holds the bare clone; it is created if missing and reused if it
	// already holds one.
	Dir string
	// TokenFile holds a token sent as HTTP basic auth with user
	// x-access-token. It is read on every fetch.
	TokenFile string
	// SSHKeyFile holds a private key (no passphrase) for ssh URLs.
	SSHKeyFile string
	// SSHKnownHostsFile overrides the known_hosts files (default: the user's
	// and SSH_KNOWN_HOSTS).
	SSHKnownHostsFile string
	// FetchTimeout bounds one fetch; DefaultFetchTimeout if zero.
	FetchTimeout time.Duration
	// Logger receives fetch results; slog.Default() if nil.
	Logger *slog.Logger
}

// Status reports the last fetch.
type Status struct {
	LastAttempt time.Time
	LastSuccess time.Time
	// Err is the error of the last attempt, nil if it succeeded.
	Err error
}

// Repo is a local bare clone (Open) or an existing repository (OpenLocal).
// Fetch updates it; Resolve, Tree and ChangedFiles read the state of the
// last successful fetch. A failed fetch leaves that state as it was. Repo
// is safe for concurrent use.
type Repo struct {
	opts    Options
	log     *slog.Logger
	fetchMu sync.Mutex      // one fetch at a time
	fetcher *git.Repository // used only under fetchMu; nil for OpenLocal's
	state   atomic.Pointer[snapshot]
	// reader opens the repository a snapshot reads, with the refs it
	// serves and how revisions resolve.
	reader reader
	// folder roots Tree and ChangedFiles ("" the repository's root).
	folder string

	statusMu sync.Mutex
	status   Status
}

// Open creates or reuses the bare clone in opts.Dir and fetches. If the fetch
// fails but an earlier run left fetched refs in Dir, Open still returns the
// Repo serving those refs and reports the error through Status; with nothing
// fetched yet it returns the error.
func Open(ctx context.Context, opts Options) (*Repo, error) {
	if opts.URL == "" || opts.Dir == "" {
		return nil, errors.New("source: URL and Dir are required")
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("repo", redact(opts.URL))
	fetcher, err := initBare(opts.Dir, opts.URL)
	if err != nil {
		return nil, err
	}
	r := &Repo{opts: opts, log: log, fetcher: fetcher, reader: mirrorReader(opts.Dir)}
	snap, err := r.reader.snapshot()
	if err != nil {
		return nil, err
	}
	r.state.Store(snap)
	if err := r.Fetch(ctx); err != nil {
		if len(r.state.Load().refs) == 0 {
			return nil, err
		}
		log.Warn("fetch failed; serving the refs fetched before", "error", err)
	}
	return r, nil
}

// initBare opens the bare repository in dir, creating it if needed, and
// points its origin remote at url with gitplane's refspecs.
func initBare(dir, url string) (*git.Repository, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating git data dir: %w", err)
	}
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainInit(dir, true)
	}
	if err != nil {
		return nil, fmt.Errorf("opening bare repository in %s: %w", dir, err)
	}
	cfg, err := repo.Config()
	if err != nil {
		return nil, fmt.Errorf("reading git config in %s: %w", dir, err)
	}
	if prev, ok := cfg.Remotes[remoteName]; ok && (len(prev.URLs) != 1 || prev.URLs[0] != url) {
		// Another repository was cloned here: its refs must not be served.
		if err := removeRemoteRefs(repo); err != nil {
			return nil, fmt.Errorf("clearing refs of the previous remote in %s: %w", dir, err)
		}
	}
	cfg.Remotes[remoteName] = &config.RemoteConfig{Name: remoteName, URLs: []string{url}, Fetch: refSpecs}
	if err := repo.SetConfig(cfg); err != nil {
		return nil, fmt.Errorf("configuring remote in %s: %w", dir, err)
	}
	return repo, nil
}

func removeRemoteRefs(repo *git.Repository) error {
	iter, err := repo.References()
	if err != nil {
		return err
	}
	var names []plumbing.ReferenceName
	_ = iter.ForEach(func(ref *plumbing.Reference) error {
		if strings.HasPrefix(ref.Name().String(), remotePrefix) {
			names = append(names, ref.Name())
		}
		return nil
	})
	for _, name := range names {
		if err := repo.Storer.RemoveReference(name); err != nil {
			return err
		}
	}
	return nil
}

// Fetch brings new commits of every branch and pull request. It is
// incremental; being up to date is success. On error the refs of the last
// successful fetch stay in use.
func (r *Repo) Fetch(ctx context.Context) error {
	_, err := r.FetchChanges(ctx)
	return err
}

// Move is a ref whose commit changed in a fetch. From is empty for a new
// ref, To for a deleted one.
type Move struct {
	Ref, From, To string
}

// FetchChanges is Fetch, also returning the refs that moved, sorted by name.
func (r *Repo) FetchChanges(ctx context.Context) ([]Move, error) {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	start := time.Now()
	var moves []Move
	updated, err := r.fetch(ctx)
	if updated {
		var snap *snapshot
		if snap, err = r.reader.snapshot(); err == nil {
			moves = diffRefs(r.state.Swap(snap).refs, snap.refs)
		}
	}
	r.record(start, err)
	for _, m := range moves {
		r.log.Debug("ref moved", "ref", m.Ref, "from", m.From, "to", m.To)
	}
	return moves, err
}

func diffRefs(prev, next map[string]string) []Move {
	var moves []Move
	for name, sha := range next {
		if prev[name] != sha {
			moves = append(moves, Move{Ref: name, From: prev[name], To: sha})
		}
	}
	for name, sha := range prev {
		if _, ok := next[name]; !ok {
			moves = append(moves, Move{Ref: name, From: sha})
		}
	}
	sort.Slice(moves, func(i, j int) bool { return moves[i].Ref < moves[j].Ref })
	return moves
}

// fetch reports whether any ref changed; when none did, the current
// snapshot (and its object cache) stays. A repository opened with
// OpenLocal has no remote: its refs are read again.
func (r *Repo) fetch(ctx context.Context) (updated bool, err error) {
	if r.fetcher == nil {
		return true, nil
	}
	auth, err := authMethod(r.opts)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.FetchTimeout)
	defer cancel()
	err = r.fetcher.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   refSpecs,
		Auth:       auth,
		Force:      true,
		Prune:      true,
		Tags:       git.NoTags,
	})
	switch {
	case errors.Is(err, git.NoErrAlreadyUpToDate):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("fetching %s: %w", redact(r.opts.URL), err)
	}
	return true, nil
}

func (r *Repo) record(start time.Time, err error) {
	r.statusMu.Lock()
	defer r.statusMu.Unlock()
	r.status.LastAttempt, r.status.Err = start, err
	if err == nil {
		r.status.LastSuccess = start
	}
}

// Status returns the outcome of the last fetch.
func (r *Repo) Status() Status {
	r.statusMu.Lock()
	defer r.statusMu.Unlock()
	return r.status
}

// Refs returns the fetched refs by short name ("main", "pr/12") → SHA.
func (r *Repo) Refs() map[string]string {
	refs := r.state.Load().refs
	out := make(map[string]string, len(refs))
	for k, v := range refs {
		out[k] = v
	}
	return out
}

// Resolve returns the commit SHA of a branch name, "pr/<number>", or a full
// or abbreviated commit SHA present in the clone. In a repository opened
// with OpenLocal it resolves any revision git understands (HEAD, main~1, a
// tag).
func (r *Repo) Resolve(ref string) (string, error) {
	snap := r.state.Load()
	if sha, ok := snap.refs[ref]; ok {
		return sha, nil
	}
	if r.reader.anyRevision && ref != "" {
		if sha, err := snap.st.resolveCommit(ref); err == nil {
			return sha, nil
		}
	} else if isHex(ref) && len(ref) >= 4 {
		if sha, err := snap.st.resolveCommit(ref); err == nil {
			return sha, nil
		}
	}
	return "", fmt.Errorf("resolving %q in %s: %w", ref, redact(r.opts.URL), plumbing.ErrReferenceNotFound)
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return s != ""
}
