package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Loader loads repositories like Load and keeps every file's decoded specs,
// keyed by path and a SHA-256 of the content, so loading again re-parses
// only the files that changed. Specs read from unchanged files are shared
// by the Repos it returns: treat them as read-only. A Loader is safe for
// concurrent use; loads run one at a time.
type Loader struct {
	limits Limits
	mu     sync.Mutex
	files  map[string]*parsedFile // path → the file as last loaded
}

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	// Limits bound the files read; zero fields take DefaultLimits.
	Limits Limits
}

// NewLoader returns a Loader with an empty cache and the default limits.
func NewLoader() *Loader {
	return NewLoaderWithOptions(LoaderOptions{})
}

// NewLoaderWithOptions returns a Loader with an empty cache.
func NewLoaderWithOptions(opts LoaderOptions) *Loader {
	return &Loader{limits: opts.Limits.WithDefaults(), files: map[string]*parsedFile{}}
}

// ContentIDFS is a file system that can name a file's content without
// reading it, e.g. by its Git blob hash: equal IDs mean equal content. A
// Loader given one reads only the files whose ID it has not seen.
type ContentIDFS interface {
	fs.FS
	ContentID(name string) (string, error)
}

// parsedFile is one file, split into documents, decoded and defaulted.
type parsedFile struct {
	path       string
	id         string // the ContentIDFS's ID of the content, if any
	sum        [sha256.Size]byte
	docs       []parsedDoc
	errs       ErrorList // YAML syntax, limit and decoding errors
	unreadable bool      // the file has a YAML syntax error or is over a limit
	overlays   []string  // overlay folders named by its Environments
	size       int64     // bytes
	nodes      int       // YAML nodes, aliases expanded
}

// parsedDoc is one document: a spec, or the error it is outside overlays.
type parsedDoc struct {
	spec    Spec
	notSpec FieldError
}

// Load reads, decodes and validates the repository in fsys; see Load.
func (l *Loader) Load(fsys fs.FS) (*Repo, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	files, err := l.readFiles(fsys)
	if err != nil {
		return nil, err
	}
	next := make(map[string]*parsedFile, len(files))
	for _, f := range files {
		next[f.path] = f
	}
	l.files = next
	return assemble(fsys, files)
}

// readFiles returns every spec file of fsys in walk order, reusing the
// parsed form of files whose content is unchanged and reading, hashing and
// parsing the others in parallel. Files over the limits are parsed files
// with an error.
func (l *Loader) readFiles(fsys fs.FS) ([]*parsedFile, error) {
	var files []*parsedFile
	var unknown []int // files whose content is not known to be unchanged
	var listed int64  // the files' sizes as listed, to stop early
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			if listed += info.Size(); listed > l.limits.MaxTotalBytes {
				// read no more: checkTotals reports the file, as for the sizes read
				files = append(files, &parsedFile{path: p, size: l.limits.MaxTotalBytes + 1})
				return fs.SkipAll
			}
		}
		var id string
		if ids, ok := fsys.(ContentIDFS); ok {
			if id, err = ids.ContentID(p); err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			if old, ok := l.files[p]; ok && old.id == id {
				files = append(files, old)
				return nil
			}
		}
		unknown = append(unknown, len(files))
		files = append(files, &parsedFile{path: p, id: id})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading specs: %w", err)
	}
	errs := make([]error, len(unknown)) // every unreadable file, in walk order
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, at := range unknown {
		g.Go(func() error {
			f := files[at]
			data, err := l.limits.ReadFile(fsys, f.path)
			var big *FileTooLargeError
			if errors.As(err, &big) {
				f.tooLarge(big)
				return nil
			}
			if err != nil {
				errs[i] = fmt.Errorf("reading specs: reading %s: %w", f.path, err)
				return nil
			}
			f.sum = sha256.Sum256(data)
			if old, ok := l.files[f.path]; ok && old.sum == f.sum && old.id == f.id {
				files[at] = old
				return nil
			}
			f.parse(data, l.limits)
			return nil
		})
	}
	_ = g.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l.checkTotals(files), nil
}

// checkTotals drops, in walk order, the files past the limits on the
// bytes and nodes of all spec files together, and puts an error in their
// place at the first of them.
func (l *Loader) checkTotals(files []*parsedFile) []*parsedFile {
	var size int64
	var nodes int
	for i, f := range files {
		size += f.size
		nodes += f.nodes
		msg := ""
		switch {
		case size > l.limits.MaxTotalBytes:
			msg = fmt.Sprintf("the spec files come to more than %s together, the limit; this file and the files after it are not read", byteSize(l.limits.MaxTotalBytes))
		case nodes > l.limits.MaxTotalNodes:
			msg = fmt.Sprintf("the spec files come to more than %d YAML nodes together (aliases expanded), the limit; this file and the files after it are not read", l.limits.MaxTotalNodes)
		default:
			continue
		}
		over := &parsedFile{path: f.path, unreadable: true, errs: ErrorList{{File: f.path, Line: 1, Col: 1, Message: msg}}}
		return append(files[:i:i], over)
	}
	return files
}

// tooLarge makes f a file that was not read because of its size.
func (f *parsedFile) tooLarge(err *FileTooLargeError) {
	f.unreadable = true
	f.errs = ErrorList{{File: f.path, Line: 1, Col: 1, Message: err.Message()}}
}

// parse splits the file into documents, decodes the gitplane specs and
// applies their defaults.
func (f *parsedFile) parse(data []byte, lim Limits) {
	f.size = int64(len(data))
	docs, nodes := parseDocuments(f.path, data, lim, &f.errs)
	f.nodes = nodes
	f.unreadable = len(f.errs) > 0
	f.overlays = overlayDirs(docs)
	sum := hex.EncodeToString(f.sum[:])
	for i, doc := range docs {
		spec := decodeSpec(doc, &f.errs)
		if spec == nil {
			f.docs = append(f.docs, parsedDoc{notSpec: notASpec(doc)})
			continue
		}
		spec.GetSource().Digest = sum + "#" + strconv.Itoa(i)
		f.docs = append(f.docs, parsedDoc{spec: spec})
	}
}
