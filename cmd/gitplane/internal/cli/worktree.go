package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/gitplane/gitplane/schema"
)

// maxLinkHops bounds symbolic-link resolution, as the kernel's ELOOP does
// (and serve's Git reader).
const maxLinkHops = 40

// workTree is the file system of a checked-out repository, read as serve
// reads a commit (reconciler/source): a symbolic link is followed when its
// target is relative and stays inside the repository, and refused
// otherwise ("symbolic link x leaves the tree"); named pipes, devices and
// sockets are refused without being opened for reading; no file is read
// past the size limit. Specs are pull-request content: os.DirFS would
// follow models/x.yaml -> /etc/passwd and print it in validate's errors,
// read /dev/zero until memory runs out, and wait forever on a FIFO.
type workTree struct {
	root     *os.Root
	maxBytes int64
}

var (
	_ fs.ReadDirFS  = (*workTree)(nil)
	_ fs.ReadFileFS = (*workTree)(nil)
	_ fs.StatFS     = (*workTree)(nil)
)

// openWorkTree opens the repository in dir; its files are read whole, up
// to the spec loader's file-size limit.
func openWorkTree(dir string) (*workTree, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &workTree{root: root, maxBytes: schema.DefaultLimits().MaxFileBytes}, nil
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// resolve follows the symbolic links of name and returns the path, inside
// the tree, of what it names, with that file's Lstat.
func (w *workTree) resolve(op, name string) (string, fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return "", nil, pathErr(op, name, fs.ErrInvalid)
	}
	p := name
	for range maxLinkHops + 1 {
		real, info, next, err := w.walk(p)
		if err != nil {
			return "", nil, pathErr(op, name, err)
		}
		if next == "" {
			return real, info, nil
		}
		p = next // a link was found; next is the path it leads to
	}
	return "", nil, pathErr(op, name, errors.New("too many levels of symbolic links"))
}

// walk descends p one element at a time. It returns the path and Lstat of
// what p names, or, on meeting a symbolic link, the path it leads to.
func (w *workTree) walk(p string) (real string, info fs.FileInfo, next string, err error) {
	if p == "." {
		info, err := w.root.Lstat(".")
		return ".", info, "", err
	}
	elems := strings.Split(p, "/")
	for i := range elems {
		cur := path.Join(elems[:i+1]...)
		info, err := w.root.Lstat(cur)
		if err != nil {
			return "", nil, "", unwrapPathErr(err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := w.root.Readlink(cur)
			if err != nil {
				return "", nil, "", unwrapPathErr(err)
			}
			next := path.Join(path.Join(elems[:i]...), target, path.Join(elems[i+1:]...))
			if path.IsAbs(target) || !fs.ValidPath(next) {
				return "", nil, "", fmt.Errorf("symbolic link %s leaves the tree", cur)
			}
			return "", nil, next, nil
		}
		if i == len(elems)-1 {
			return cur, info, "", nil
		}
		if !info.IsDir() {
			return "", nil, "", errors.New("not a directory")
		}
	}
	panic("unreachable")
}

// unwrapPathErr drops the os package's PathError, whose path is the
// resolved one: callers name the path they were given.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Open opens a directory, or a regular file whose reads stop at the limit.
func (w *workTree) Open(name string) (fs.File, error) {
	real, info, err := w.resolve("open", name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		f, err := w.root.Open(real)
		if err != nil {
			return nil, pathErr("open", name, unwrapPathErr(err))
		}
		return f, nil
	}
	if !info.Mode().IsRegular() {
		return nil, pathErr("open", name, schema.NotRegularError(info.Mode()))
	}
	// O_NONBLOCK: should the file have become a FIFO since the Lstat, the
	// open does not wait for a writer, and the Stat below refuses it.
	f, err := w.root.OpenFile(real, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, pathErr("open", name, unwrapPathErr(err))
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = schema.NotRegularError(fi.Mode())
		}
		return nil, pathErr("open", name, unwrapPathErr(err))
	}
	return &limitedFile{f: f, name: name, max: w.maxBytes}, nil
}

// ReadFile reads a whole regular file of at most the size limit.
func (w *workTree) ReadFile(name string) ([]byte, error) {
	return schema.Limits{MaxFileBytes: w.maxBytes}.ReadFile(w, name)
}

// Stat describes the file name leads to.
func (w *workTree) Stat(name string) (fs.FileInfo, error) {
	_, info, err := w.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	return namedInfo{info, path.Base(name)}, nil
}

// ReadDir lists a directory sorted by name. Symbolic links are listed as
// such; whether they may be followed is told when they are opened.
func (w *workTree) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := w.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dir, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, pathErr("readdir", name, errors.New("not a directory"))
	}
	entries, err := dir.ReadDir(-1)
	if err != nil {
		return nil, pathErr("readdir", name, unwrapPathErr(err))
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// namedInfo is a FileInfo under the name it was asked by, as os.Stat gives.
type namedInfo struct {
	fs.FileInfo
	name string
}

func (i namedInfo) Name() string { return i.name }

// limitedFile is an open regular file that fails a read past the limit.
// It has no other methods than fs.File's: an embedded *os.File would give
// io.Copy a WriteTo that reads past the limit.
type limitedFile struct {
	f         *os.File
	name      string
	max, read int64
}

func (f *limitedFile) Stat() (fs.FileInfo, error) { return f.f.Stat() }
func (f *limitedFile) Close() error               { return f.f.Close() }

func (f *limitedFile) Read(p []byte) (int, error) {
	if f.read > f.max {
		return 0, &schema.FileTooLargeError{Name: f.name, Size: -1, Limit: f.max}
	}
	if room := f.max + 1 - f.read; int64(len(p)) > room {
		p = p[:room] // one byte past the limit tells a larger file
	}
	n, err := f.f.Read(p)
	if f.read += int64(n); f.read > f.max {
		return n - int(f.read-f.max), &schema.FileTooLargeError{Name: f.name, Size: -1, Limit: f.max}
	}
	return n, err
}
