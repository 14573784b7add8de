package source

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Open opens a file or directory; a file's content is read on first use.
func (f *treeFS) Open(name string) (fs.File, error) {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	n, err := f.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	info, err := f.info(n)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	if n.isDir() {
		return &dirFile{fsys: f, n: n, info: info, path: name}, nil
	}
	return &blobFile{fsys: f, n: n, info: info, path: name}, nil
}

// Stat describes a file, following symbolic links.
func (f *treeFS) Stat(name string) (fs.FileInfo, error) { return f.stat("stat", name, true) }

// Lstat describes a file without following a final symbolic link.
func (f *treeFS) Lstat(name string) (fs.FileInfo, error) { return f.stat("lstat", name, false) }

func (f *treeFS) stat(op, name string, follow bool) (fs.FileInfo, error) {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	n, err := f.lookup(op, name, follow)
	if err != nil {
		return nil, err
	}
	info, err := f.info(n)
	if err != nil {
		return nil, pathErr(op, name, err)
	}
	return info, nil
}

// ReadDir lists a directory sorted by name.
func (f *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	n, err := f.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	entries, err := f.readDir(n)
	if err != nil {
		return nil, pathErr("readdir", name, err)
	}
	return entries, nil
}

// ReadFile returns a file's content.
func (f *treeFS) ReadFile(name string) ([]byte, error) {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	n, err := f.lookup("read", name, true)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return nil, pathErr("read", name, errors.New("is a directory"))
	}
	data, err := f.blob(n.entry)
	if err != nil {
		return nil, pathErr("read", name, err)
	}
	return data, nil
}

// ReadLink returns the target of a symbolic link.
func (f *treeFS) ReadLink(name string) (string, error) {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	n, err := f.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.entry == nil || n.entry.Mode != filemode.Symlink {
		return "", pathErr("readlink", name, fs.ErrInvalid)
	}
	target, err := f.linkTarget(n.entry)
	if err != nil {
		return "", pathErr("readlink", name, err)
	}
	return target, nil
}

// blobFile is an open regular file. Its content is loaded on the first read.
type blobFile struct {
	fsys   *treeFS
	n      node
	info   fs.FileInfo
	path   string
	r      *bytes.Reader
	closed bool
}

func (b *blobFile) Stat() (fs.FileInfo, error) { return b.info, nil }

func (b *blobFile) Close() error {
	if b.closed {
		return pathErr("close", b.path, fs.ErrClosed)
	}
	b.closed = true
	return nil
}

func (b *blobFile) load(op string) error {
	if b.closed {
		return pathErr(op, b.path, fs.ErrClosed)
	}
	if b.r != nil {
		return nil
	}
	b.fsys.st.mu.Lock()
	data, err := b.fsys.blob(b.n.entry)
	b.fsys.st.mu.Unlock()
	if err != nil {
		return pathErr(op, b.path, err)
	}
	b.r = bytes.NewReader(data)
	return nil
}

func (b *blobFile) Read(p []byte) (int, error) {
	if err := b.load("read"); err != nil {
		return 0, err
	}
	return b.r.Read(p)
}

func (b *blobFile) ReadAt(p []byte, off int64) (int, error) {
	if err := b.load("read"); err != nil {
		return 0, err
	}
	return b.r.ReadAt(p, off)
}

func (b *blobFile) Seek(offset int64, whence int) (int64, error) {
	if err := b.load("seek"); err != nil {
		return 0, err
	}
	return b.r.Seek(offset, whence)
}

// dirFile is an open directory.
type dirFile struct {
	fsys    *treeFS
	n       node
	info    fs.FileInfo
	path    string
	entries []fs.DirEntry
	listed  bool
	closed  bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }

func (d *dirFile) Read([]byte) (int, error) {
	return 0, pathErr("read", d.path, errors.New("is a directory"))
}

func (d *dirFile) Close() error {
	if d.closed {
		return pathErr("close", d.path, fs.ErrClosed)
	}
	d.closed = true
	return nil
}

// ReadDir follows fs.ReadDirFile: n > 0 returns at most n entries and io.EOF
// at the end; n <= 0 returns the rest.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, pathErr("readdir", d.path, fs.ErrClosed)
	}
	if !d.listed {
		d.fsys.st.mu.Lock()
		entries, err := d.fsys.readDir(d.n)
		d.fsys.st.mu.Unlock()
		if err != nil {
			return nil, pathErr("readdir", d.path, err)
		}
		d.entries, d.listed = entries, true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	out := d.entries[:n:n]
	d.entries = d.entries[n:]
	return out, nil
}

// dirEntry describes one entry of a listed directory; Info reads the
// object's size only when asked.
type dirEntry struct {
	fsys *treeFS
	n    node
}

func (e *dirEntry) Name() string { return e.n.name }
func (e *dirEntry) IsDir() bool  { return e.n.isDir() }

func (e *dirEntry) Type() fs.FileMode {
	switch {
	case e.n.isDir():
		return fs.ModeDir
	case e.n.entry.Mode == filemode.Symlink:
		return fs.ModeSymlink
	}
	return 0
}

func (e *dirEntry) Info() (fs.FileInfo, error) {
	e.fsys.st.mu.Lock()
	defer e.fsys.st.mu.Unlock()
	return e.fsys.info(e.n)
}

func (e *dirEntry) String() string { return fs.FormatDirEntry(e) }

type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (i *fileInfo) Name() string       { return i.name }
func (i *fileInfo) Size() int64        { return i.size }
func (i *fileInfo) Mode() fs.FileMode  { return i.mode }
func (i *fileInfo) ModTime() time.Time { return i.modTime }
func (i *fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *fileInfo) Sys() any           { return nil }
func (i *fileInfo) String() string     { return fs.FormatFileInfo(i) }

// ContentID returns the Git blob hash of a file: equal hashes mean equal
// content, so callers (schema.Loader) can skip reading files they already
// parsed. It implements schema.ContentIDFS.
func (f *treeFS) ContentID(name string) (string, error) {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	n, err := f.lookup("contentid", name, true)
	if err != nil {
		return "", err
	}
	if n.isDir() {
		return "", pathErr("contentid", name, errors.New("is a directory"))
	}
	return "git-blob:" + n.entry.Hash.String(), nil
}
