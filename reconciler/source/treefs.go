package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// maxLinkHops bounds symbolic-link resolution, as the kernel's ELOOP does.
const maxLinkHops = 40

// treeFS is an fs.FS over one commit's tree. Every access to the object store
// goes through st's lock.
type treeFS struct {
	st      *store
	root    *object.Tree
	modTime time.Time
	trees   map[plumbing.Hash]*object.Tree // decoded subtrees; guarded by st.mu
}

var (
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
	_ fs.ReadLinkFS = (*treeFS)(nil)
)

// node is a resolved path: the root (entry nil) or a tree entry.
type node struct {
	name  string // base name, "." for the root
	entry *object.TreeEntry
}

func (n node) isDir() bool {
	return n.entry == nil || n.entry.Mode == filemode.Dir || n.entry.Mode == filemode.Submodule
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// lookup resolves name; follow says whether a symbolic link in the last
// element is followed (links in earlier elements always are). Callers hold
// f.st.mu.
func (f *treeFS) lookup(op, name string, follow bool) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, pathErr(op, name, fs.ErrInvalid)
	}
	p := name
	for hops := 0; hops <= maxLinkHops; hops++ {
		n, rest, err := f.walk(p, follow)
		if err != nil {
			return node{}, pathErr(op, name, err)
		}
		if rest == "" {
			return n, nil
		}
		p = rest // a link was found; rest is the path it leads to
	}
	return node{}, pathErr(op, name, errors.New("too many levels of symbolic links"))
}

// walk descends p one element at a time. It returns the node reached, or,
// on meeting a symbolic link to follow, the rewritten path in rest.
func (f *treeFS) walk(p string, follow bool) (n node, rest string, err error) {
	if p == "." {
		return node{name: "."}, "", nil
	}
	elems := strings.Split(p, "/")
	tree := f.root
	for i, elem := range elems {
		if tree == nil { // inside a submodule, which has no entries
			return node{}, "", fs.ErrNotExist
		}
		e := findEntry(tree, elem)
		if e == nil {
			return node{}, "", fs.ErrNotExist
		}
		last := i == len(elems)-1
		if e.Mode == filemode.Symlink && (!last || follow) {
			target, err := f.linkTarget(e)
			if err != nil {
				return node{}, "", err
			}
			next := path.Join(path.Join(elems[:i]...), target, path.Join(elems[i+1:]...))
			if path.IsAbs(target) || !fs.ValidPath(next) {
				return node{}, "", fmt.Errorf("symbolic link %s leaves the tree", path.Join(elems[:i+1]...))
			}
			return node{}, next, nil
		}
		if last {
			return node{name: elem, entry: e}, "", nil
		}
		if tree, err = f.subtree(e); err != nil {
			return node{}, "", err
		}
	}
	panic("unreachable")
}

func findEntry(t *object.Tree, name string) *object.TreeEntry {
	for i := range t.Entries {
		if t.Entries[i].Name == name {
			return &t.Entries[i]
		}
	}
	return nil
}

// subtree returns the tree of a directory entry, nil for a submodule.
func (f *treeFS) subtree(e *object.TreeEntry) (*object.Tree, error) {
	switch e.Mode {
	case filemode.Dir:
		// Every path lookup descends from the root: decode each tree once,
		// or walking a folder of n files decodes it n times.
		if t, ok := f.trees[e.Hash]; ok {
			return t, nil
		}
		t, err := f.st.repo.TreeObject(e.Hash)
		if err != nil {
			return nil, err
		}
		if f.trees == nil {
			f.trees = map[plumbing.Hash]*object.Tree{}
		}
		f.trees[e.Hash] = t
		return t, nil
	case filemode.Submodule:
		return nil, nil
	}
	return nil, errors.New("not a directory")
}

func (f *treeFS) linkTarget(e *object.TreeEntry) (string, error) {
	data, err := f.blob(e)
	return string(data), err
}

func (f *treeFS) blob(e *object.TreeEntry) ([]byte, error) {
	b, err := f.st.repo.BlobObject(e.Hash)
	if err != nil {
		return nil, err
	}
	rc, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func (f *treeFS) info(n node) (fs.FileInfo, error) {
	fi := &fileInfo{name: n.name, modTime: f.modTime}
	switch {
	case n.isDir():
		fi.mode = fs.ModeDir | 0o555
	case n.entry.Mode == filemode.Symlink:
		fi.mode = fs.ModeSymlink | 0o777
	case n.entry.Mode == filemode.Executable:
		fi.mode = 0o555
	default:
		fi.mode = 0o444
	}
	if !n.isDir() {
		b, err := f.st.repo.BlobObject(n.entry.Hash)
		if err != nil {
			return nil, err
		}
		fi.size = b.Size
	}
	return fi, nil
}

// readDir lists a directory sorted by name (git orders trees differently).
func (f *treeFS) readDir(n node) ([]fs.DirEntry, error) {
	if !n.isDir() {
		return nil, errors.New("not a directory")
	}
	tree := f.root
	if n.entry != nil {
		var err error
		if tree, err = f.subtree(n.entry); err != nil || tree == nil {
			return []fs.DirEntry{}, err
		}
	}
	out := make([]fs.DirEntry, 0, len(tree.Entries))
	for i := range tree.Entries {
		out = append(out, &dirEntry{fsys: f, n: node{name: tree.Entries[i].Name, entry: &tree.Entries[i]}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}
