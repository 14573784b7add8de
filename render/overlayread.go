package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/gitplane/gitplane/schema"
)

// readOverlayTree reads the files of an overlay folder within the limits
// (size of each file and of all of them, YAML documents and nodes with
// aliases expanded) and checks the references of its kustomizations, all
// before kustomize sees any of it. Folders starting with a dot are
// skipped, as the spec loader skips them. Every problem found is in the
// returned schema.ErrorList; other errors are the file system's.
func readOverlayTree(fsys fs.FS, dir string, lim schema.Limits) (*overlayTree, error) {
	lim = lim.WithDefaults()
	t := &overlayTree{dir: dir, files: map[string][]byte{}}
	var errs schema.ErrorList
	var size int64
	var nodes int
	overTotal := func(p, what string) error {
		errs = append(errs, schema.FieldError{File: p, Line: 1, Col: 1,
			Message: fmt.Sprintf("the files of overlay %s come to more than %s together, the limit; this file and the files after it are not read", dir, what)})
		return fs.SkipAll
	}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		data, err := lim.ReadFile(fsys, p)
		var big *schema.FileTooLargeError
		if errors.As(err, &big) {
			errs = append(errs, schema.FieldError{File: p, Line: 1, Col: 1, Message: big.Message()})
			return nil
		}
		if err != nil {
			return err
		}
		if size += int64(len(data)); size > lim.MaxTotalBytes {
			return overTotal(p, fmt.Sprintf("%d bytes", lim.MaxTotalBytes))
		}
		n, ferr := lim.CheckYAML(p, data)
		if ferr != nil {
			errs = append(errs, *ferr)
			return nil
		}
		if nodes += n; nodes > lim.MaxTotalNodes {
			return overTotal(p, fmt.Sprintf("%d YAML nodes (aliases expanded)", lim.MaxTotalNodes))
		}
		t.files[strings.TrimPrefix(p, dir+"/")] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(errs) == 0 { // kustomizations are decoded only once they are known to be small
		errs = checkOverlayRefs(t, lim, &nodes)
		if len(errs) == 0 && nodes > lim.MaxTotalNodes {
			return nil, schema.ErrorList{{File: dir, Line: 1, Col: 1, Message: fmt.Sprintf(
				"the files and inline patches of overlay %s come to more than %d YAML nodes (aliases expanded), the limit", dir, lim.MaxTotalNodes)}}
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return t, nil
}

// CheckOverlays reads the overlay folder of every Environment of repo as
// Render does before it runs kustomize, and returns a schema.ErrorList of
// what Render would refuse: files over the limits, and references to
// anything but the overlay's own files (URLs, remote bases, absolute
// paths, paths leaving the folder, Helm charts, plugins). An overlay that
// does not exist or is not a path inside the repository is left to
// schema's validation, which reports it. Other errors are the file system's.
func CheckOverlays(fsys fs.FS, repo *schema.Repo, lim schema.Limits) error {
	var errs schema.ErrorList
	seen := map[string]bool{}
	for _, env := range repo.Environments {
		if env.Spec.Overlay == "" {
			continue
		}
		dir := overlayDir(env)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		_, err := readOverlayTree(fsys, dir, lim)
		var list schema.ErrorList
		switch {
		case errors.As(err, &list):
			errs = append(errs, list...)
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrInvalid):
		case err != nil:
			return fmt.Errorf("overlay %s of Environment %s: %w", dir, env.Metadata.Name, err)
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return errs
	}
	return nil
}

// overlayDir is an Environment's overlay folder as a path of the repository.
func overlayDir(env *schema.Environment) string {
	return path.Clean(strings.TrimPrefix(env.Spec.Overlay, "./"))
}
