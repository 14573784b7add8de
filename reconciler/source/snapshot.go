package source

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

const remotePrefix = "refs/remotes/" + remoteName + "/"

// snapshot is the state of one successful fetch: the refs it saw and a
// repository handle opened after it, so its object index knows every pack
// that fetch wrote. Snapshots are never changed, only replaced.
type snapshot struct {
	refs map[string]string // short name → commit SHA
	st   *store
}

// store serialises access to one go-git repository handle: go-git's
// filesystem storage and its caches are not safe for concurrent use.
type store struct {
	mu   sync.Mutex
	repo *git.Repository
}

// reader opens the repository snapshots read: the bare clone Open keeps,
// or the existing repository OpenLocal was given.
type reader struct {
	dir  string
	open func() (*git.Repository, error)
	// prefix selects the refs served, by short name: the clone's remote
	// branches, or a local repository's branches.
	prefix string
	// anyRevision lets Resolve take any revision go-git resolves; the
	// clone resolves only its refs and commit SHAs.
	anyRevision bool
}

func mirrorReader(dir string) reader {
	return reader{dir: dir, prefix: remotePrefix, open: func() (*git.Repository, error) { return git.PlainOpen(dir) }}
}

func (rd reader) snapshot() (*snapshot, error) {
	repo, err := rd.open()
	if err != nil {
		return nil, fmt.Errorf("opening Git repository %s: %w", rd.dir, err)
	}
	iter, err := repo.References()
	if err != nil {
		return nil, fmt.Errorf("listing refs in %s: %w", rd.dir, err)
	}
	refs := map[string]string{}
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		name := ref.Name().String()
		if ref.Type() == plumbing.HashReference && strings.HasPrefix(name, rd.prefix) {
			refs[strings.TrimPrefix(name, rd.prefix)] = ref.Hash().String()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading refs in %s: %w", rd.dir, err)
	}
	return &snapshot{refs: refs, st: &store{repo: repo}}, nil
}

func (s *store) resolveCommit(rev string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := s.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

func (s *store) commit(sha string) (*object.Commit, error) {
	if len(sha) != 40 || !isHex(sha) {
		return nil, fmt.Errorf("%q is not a full commit SHA", sha)
	}
	c, err := s.repo.CommitObject(plumbing.NewHash(sha))
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", sha, err)
	}
	return c, nil
}

// ErrNoFolder says a commit lacks the folder a Repo is rooted at.
var ErrNoFolder = errors.New("no such folder")

// Tree returns a read-only view of the tree of commit sha (of its folder,
// for a Repo rooted at one; ErrNoFolder when the commit has none). Files
// are read from the object store when opened. Names follow io/fs rules and
// ReadDir is sorted by name, as with os.DirFS; symbolic links that stay
// inside the tree are followed; submodules appear as empty directories.
func (r *Repo) Tree(sha string) (fs.FS, error) {
	st := r.state.Load().st
	st.mu.Lock()
	defer st.mu.Unlock()
	c, err := st.commit(sha)
	if err != nil {
		return nil, err
	}
	root, err := st.folderTree(c, r.folder)
	if err != nil {
		return nil, err
	}
	return &treeFS{st: st, root: root, modTime: c.Committer.When}, nil
}

// ChangedFiles lists, sorted, the paths added, removed or modified between
// two commits, inside the Repo's folder and relative to it. An empty base,
// or one without the folder, lists every file of head.
func (r *Repo) ChangedFiles(baseSHA, headSHA string) ([]string, error) {
	st := r.state.Load().st
	st.mu.Lock()
	defer st.mu.Unlock()
	head, err := st.tree(headSHA, r.folder)
	if err != nil {
		return nil, err
	}
	var base *object.Tree // nil diffs against the empty tree
	if baseSHA != "" {
		if base, err = st.tree(baseSHA, r.folder); errors.Is(err, ErrNoFolder) {
			base = nil
		} else if err != nil {
			return nil, err
		}
	}
	changes, err := object.DiffTree(base, head)
	if err != nil {
		return nil, fmt.Errorf("diffing %s..%s: %w", baseSHA, headSHA, err)
	}
	seen := map[string]bool{}
	for _, ch := range changes {
		seen[ch.From.Name] = true
		seen[ch.To.Name] = true
	}
	delete(seen, "")
	return sortedKeys(seen), nil
}

// tree is the tree of folder ("" the root) at commit sha.
func (s *store) tree(sha, folder string) (*object.Tree, error) {
	c, err := s.commit(sha)
	if err != nil {
		return nil, err
	}
	return s.folderTree(c, folder)
}

// folderTree is the tree of folder ("" the root) at commit c; ErrNoFolder
// when c has no such directory.
func (s *store) folderTree(c *object.Commit, folder string) (*object.Tree, error) {
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading tree of commit %s: %w", c.Hash, err)
	}
	if folder == "" {
		return t, nil
	}
	sub, err := t.Tree(folder)
	if errors.Is(err, object.ErrDirectoryNotFound) {
		return nil, fmt.Errorf("commit %s: %s: %w", c.Hash, folder, ErrNoFolder)
	} else if err != nil {
		return nil, fmt.Errorf("reading %s at commit %s: %w", folder, c.Hash, err)
	}
	return sub, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
