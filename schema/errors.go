package schema

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// FieldError is one problem in a spec, located by file, line, column and
// field path: "models/llama.yaml:12:9: spec.resources.gpu.memory: ...".
type FieldError struct {
	File    string
	Line    int
	Col     int
	Path    string // field path such as spec.routes[0].model.name; empty for syntax errors
	Message string
}

func (e FieldError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Col, e.Path, e.Message)
}

// ErrorList is every problem found in a repository, in file order.
type ErrorList []FieldError

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Sort orders the errors by file, line, column, path and message.
func (l ErrorList) Sort() {
	slices.SortStableFunc(l, func(a, b FieldError) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Message, b.Message))
	})
}

// errAt records an error at a field path of a spec.
func (l *ErrorList) errAt(src *Source, path, format string, args ...any) {
	line, col := src.Pos(path)
	*l = append(*l, FieldError{File: src.File, Line: line, Col: col, Path: path, Message: fmt.Sprintf(format, args...)})
}

// positions maps field paths to the line and column of their values.
type positions map[string][2]int

func (p positions) lookup(path string, defaultLine int) (line, col int) {
	for {
		if lc, ok := p[path]; ok {
			return lc[0], lc[1]
		}
		if path == "" {
			return defaultLine, 1
		}
		path = parentPath(path)
	}
}

// parentPath strips the last element: a.b[2].c → a.b[2] → a.b → a → "".
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		return path[:strings.LastIndexByte(path, '[')]
	}
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

func joinPath(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}
