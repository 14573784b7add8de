package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldError is one problem in a config file, located by line, column and
// field path: "gateway.yaml:12:9: routes[0].bedrock.modelId: required".
type FieldError struct {
	File    string
	Line    int
	Col     int
	Path    string
	Message string
}

// Error formats the problem as file:line:col: path: message.
func (e FieldError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Col, e.Path, e.Message)
}

// ErrorList is every problem found in a config file, in file order.
type ErrorList []FieldError

// Error joins the problems, one a line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// decoder fills Go values from YAML nodes strictly, by json tag: unknown
// fields and wrong types are recorded with their positions and decoding
// goes on, so one run reports every problem.
type decoder struct {
	file string
	errs ErrorList
	pos  map[string][2]int // field path → line, column of its value
	// decodeErrs counts the errs of decoding; validation adds none at
	// their paths (a value that failed to decode is not also "required").
	decodeErrs int
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, FieldError{File: d.file, Line: n.Line, Col: n.Column, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.pos[path] = [2]int{n.Line, n.Column}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if v.Kind() != reflect.Pointer && reflect.PointerTo(v.Type()).Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expected a string, got %s", describe(n))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.fail(n, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decode(n, elem.Elem(), path)
		v.Set(elem)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			d.fail(n, path, "expected a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
			d.fail(n, path, "expected an integer, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.fail(n, path, "expected true or false, got %s", describe(n))
			return
		}
		b, _ := strconv.ParseBool(n.Value)
		v.SetBool(b)
	default:
		panic(fmt.Sprintf("config: unsupported field type %s", v.Type()))
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	fields, names := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		fpath := joinPath(path, key.Value)
		idx, ok := fields[key.Value]
		if !ok {
			d.fail(key, fpath, "unknown field (known fields: %s)", strings.Join(names, ", "))
			continue
		}
		if seen[key.Value] {
			d.fail(key, fpath, "given twice")
			continue
		}
		seen[key.Value] = true
		d.decode(val, v.Field(idx), fpath)
	}
}

// fieldsOf maps the json names of t's fields to their indexes.
func fieldsOf(t reflect.Type) (map[string]int, []string) {
	m := map[string]int{}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = i
		names = append(names, name)
	}
	return m, names
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// at returns the position of path's value, or of its nearest ancestor that
// was written, or 1:1.
func (d *decoder) at(path string) (int, int) {
	for {
		if p, ok := d.pos[path]; ok {
			return p[0], p[1]
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			if p, ok := d.pos[""]; ok {
				return p[0], p[1]
			}
			return 1, 1
		}
		path = path[:i]
	}
}

// errAt records a validation problem at path.
func (d *decoder) errAt(path, format string, args ...any) {
	for _, e := range d.errs[:d.decodeErrs] {
		if e.Path == path {
			return
		}
	}
	line, col := d.at(path)
	d.errs = append(d.errs, FieldError{File: d.file, Line: line, Col: col, Path: path, Message: fmt.Sprintf(format, args...)})
}
