package schema

import (
	"fmt"
	"io"
	"io/fs"
)

// Limits bound how much a repository can make gitplane read, parse and
// build. A repository is untrusted input (a pull request): without bounds a
// 500-byte YAML file whose aliases name each other ("billion laughs") grows
// to gigabytes inside kustomize. The defaults are far above what a real
// repository needs; a zero field takes its default.
type Limits struct {
	// MaxFileBytes is the largest file gitplane reads: a spec file or a
	// file of an overlay folder. Default 4 MiB.
	MaxFileBytes int64
	// MaxTotalBytes bounds the spec files of a repository together, and the
	// files of one overlay folder together. Default 64 MiB.
	MaxTotalBytes int64
	// MaxDocumentsPerFile bounds the YAML documents of one file. Default 10000.
	MaxDocumentsPerFile int
	// MaxNodesPerDocument bounds the YAML nodes of one document, counting
	// every use of an alias as a copy of the node it names. Default 250000.
	MaxNodesPerDocument int
	// MaxTotalNodes bounds the YAML nodes, aliases expanded, of the spec
	// files of a repository together, and of the files of one overlay
	// folder together. Default 1000000.
	MaxTotalNodes int
	// MaxObjectsPerEnvironment bounds the objects one Environment renders
	// to (checked by render.Renderer). Default 50000.
	MaxObjectsPerEnvironment int
}

// DefaultLimits returns the limits a zero Limits stands for.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes:             4 << 20,
		MaxTotalBytes:            64 << 20,
		MaxDocumentsPerFile:      10000,
		MaxNodesPerDocument:      250000,
		MaxTotalNodes:            1000000,
		MaxObjectsPerEnvironment: 50000,
	}
}

// WithDefaults returns l with every zero or negative field set to its default.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	orDefault(&l.MaxFileBytes, d.MaxFileBytes)
	orDefault(&l.MaxTotalBytes, d.MaxTotalBytes)
	orDefault(&l.MaxDocumentsPerFile, d.MaxDocumentsPerFile)
	orDefault(&l.MaxNodesPerDocument, d.MaxNodesPerDocument)
	orDefault(&l.MaxTotalNodes, d.MaxTotalNodes)
	orDefault(&l.MaxObjectsPerEnvironment, d.MaxObjectsPerEnvironment)
	return l
}

func orDefault[T int | int64](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// FileTooLargeError is ReadFile's error for a file over Limits.MaxFileBytes.
type FileTooLargeError struct {
	Name  string
	Size  int64 // -1 when the file's size was not known before reading
	Limit int64
}

func (e *FileTooLargeError) Error() string { return e.Name + ": " + e.Message() }

// Message is the error without the file name, for a FieldError.
func (e *FileTooLargeError) Message() string {
	if e.Size < 0 {
		return fmt.Sprintf("file is larger than %s, the limit", byteSize(e.Limit))
	}
	return fmt.Sprintf("file is %s; the limit is %s", byteSize(e.Size), byteSize(e.Limit))
}

// ReadFile reads a regular file of fsys, never more than l.MaxFileBytes:
// a larger file is a *FileTooLargeError, told by its size before it is
// opened, or by reading one byte past the limit (a file that grows). Named
// pipes, devices and sockets are refused before they are opened: reading
// one could block forever or never end.
func (l Limits) ReadFile(fsys fs.FS, name string) ([]byte, error) {
	max := l.WithDefaults().MaxFileBytes
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: NotRegularError(info.Mode())}
	}
	if info.Size() > max {
		return nil, &FileTooLargeError{Name: name, Size: info.Size(), Limit: max}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if int64(len(data)) > max {
		return nil, &FileTooLargeError{Name: name, Size: -1, Limit: max}
	}
	return data, nil
}

// NotRegularError says why a file of the given mode is not read: it is a
// directory, named pipe, device, socket or other special file.
func NotRegularError(mode fs.FileMode) error {
	kind := "special file"
	switch {
	case mode.IsDir():
		kind = "directory"
	case mode&fs.ModeNamedPipe != 0:
		kind = "named pipe"
	case mode&fs.ModeCharDevice != 0:
		kind = "character device"
	case mode&fs.ModeDevice != 0:
		kind = "device"
	case mode&fs.ModeSocket != 0:
		kind = "socket"
	case mode&fs.ModeSymlink != 0:
		kind = "symbolic link"
	}
	return fmt.Errorf("is a %s, not a regular file", kind)
}

// byteSize prints n in bytes, with its MiB or KiB when it is a whole number of them.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d bytes (%d MiB)", n, n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d bytes (%d KiB)", n, n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
