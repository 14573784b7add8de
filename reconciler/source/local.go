package source

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	git "github.com/go-git/go-git/v5"
)

// openExisting opens the repository at path as git finds it: path itself
// when it is a bare repository, else the .git of path or of its closest
// parent holding one, which may be a linked work tree's .git file (git
// worktree add).
func openExisting(path string) (*git.Repository, error) {
	repo, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	}
	return repo, err
}

// OpenLocal opens the existing Git repository holding path — its work
// tree, a folder in it, or a bare repository — to read its commits as serve
// reads its clone: nothing is cloned or fetched, and the work tree itself
// is never read. Resolve takes any revision git understands (HEAD, main~1,
// a tag, a SHA); Fetch reads the repository's branches again. When path is
// a folder of the work tree, Tree and ChangedFiles are rooted at that
// folder (see Folder): the specs of a larger repository.
func OpenLocal(path string) (*Repo, error) {
	repo, err := openExisting(path)
	if err != nil {
		return nil, fmt.Errorf("opening Git repository %s: %w", path, err)
	}
	folder, err := folderIn(repo, path)
	if err != nil {
		return nil, err
	}
	rd := reader{dir: path, prefix: "refs/heads/", anyRevision: true,
		open: func() (*git.Repository, error) { return openExisting(path) }}
	r := &Repo{opts: Options{URL: path}, log: slog.Default(), reader: rd, folder: folder}
	snap, err := rd.snapshot()
	if err != nil {
		return nil, err
	}
	r.state.Store(snap)
	return r, nil
}

// Folder is the folder of the repository that Tree and ChangedFiles are
// rooted at, slash-separated; "" for its root.
func (r *Repo) Folder() string { return r.folder }

// folderIn returns path's slash-separated location inside the repository's
// work tree; "" for its root or a bare repository.
func folderIn(repo *git.Repository, path string) (string, error) {
	wt, err := repo.Worktree()
	if errors.Is(err, git.ErrIsBareRepository) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("opening the work tree of %s: %w", path, err)
	}
	root, err := filepath.EvalSymlinks(wt.Filesystem.Root())
	if err != nil {
		return "", fmt.Errorf("locating the work tree of %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("locating %s: %w", path, err)
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return "", fmt.Errorf("locating %s: %w", path, err)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return "", fmt.Errorf("locating %s in %s: %w", path, root, err)
	}
	if rel = filepath.ToSlash(rel); rel == "." {
		return "", nil
	}
	return rel, nil
}
