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
	mu    sync.Mutex
	files map[string]*parsedFile // path → the file as last loaded
}

// NewLoader returns a Loader with an empty cache.
func NewLoader() *Loader {
	return &Loader{files: map[string]*parsedFile{}}
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
	errs       ErrorList // YAML syntax and decoding errors
	unreadable bool      // the file has a YAML syntax error
	overlays   []string  // overlay folders named by its Environments
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
// parsing the others in parallel.
func (l *Loader) readFiles(fsys fs.FS) ([]*parsedFile, error) {
	var files []*parsedFile
	var unknown []int // files whose content is not known to be unchanged
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
			data, err := fs.ReadFile(fsys, f.path)
			if err != nil {
				errs[i] = fmt.Errorf("reading specs: reading %s: %w", f.path, err)
				return nil
			}
			f.sum = sha256.Sum256(data)
			if old, ok := l.files[f.path]; ok && old.sum == f.sum && old.id == f.id {
				files[at] = old
				return nil
			}
			f.parse(data)
			return nil
		})
	}
	_ = g.Wait()
	return files, errors.Join(errs...)
}

// parse splits the file into documents, decodes the gitplane specs and
// applies their defaults.
func (f *parsedFile) parse(data []byte) {
	docs := parseDocuments(f.path, data, &f.errs)
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
