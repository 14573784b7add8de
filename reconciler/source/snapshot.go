package source

import (
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

func newSnapshot(dir string) (*snapshot, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, fmt.Errorf("opening bare repository in %s: %w", dir, err)
	}
	iter, err := repo.References()
	if err != nil {
		return nil, fmt.Errorf("listing refs in %s: %w", dir, err)
	}
	refs := map[string]string{}
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		name := ref.Name().String()
		if ref.Type() == plumbing.HashReference && strings.HasPrefix(name, remotePrefix) {
			refs[strings.TrimPrefix(name, remotePrefix)] = ref.Hash().String()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading refs in %s: %w", dir, err)
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

// Tree returns a read-only view of the tree of commit sha. Files are read
// from the object store when opened. Names follow io/fs rules and ReadDir is
// sorted by name, as with os.DirFS; symbolic links that stay inside the tree
// are followed; submodules appear as empty directories.
func (r *Repo) Tree(sha string) (fs.FS, error) {
	st := r.state.Load().st
	st.mu.Lock()
	defer st.mu.Unlock()
	c, err := st.commit(sha)
	if err != nil {
		return nil, err
	}
	root, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading tree of commit %s: %w", sha, err)
	}
	return &treeFS{st: st, root: root, modTime: c.Committer.When}, nil
}

// ChangedFiles lists, sorted, the paths added, removed or modified between
// two commits. An empty base lists every file of head.
func (r *Repo) ChangedFiles(baseSHA, headSHA string) ([]string, error) {
	st := r.state.Load().st
	st.mu.Lock()
	defer st.mu.Unlock()
	head, err := st.tree(headSHA)
	if err != nil {
		return nil, err
	}
	var base *object.Tree // nil diffs against the empty tree
	if baseSHA != "" {
		if base, err = st.tree(baseSHA); err != nil {
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

func (s *store) tree(sha string) (*object.Tree, error) {
	c, err := s.commit(sha)
	if err != nil {
		return nil, err
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading tree of commit %s: %w", sha, err)
	}
	return t, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
