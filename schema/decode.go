package schema

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// decoder fills Go values from YAML nodes strictly: unknown fields, wrong
// types, missing required fields and values outside an enum are all
// recorded, with their positions, and decoding goes on to find the rest.
type decoder struct {
	src  *Source
	errs *ErrorList
	// failed holds the paths whose value could not be decoded: they count
	// as not written when defaults are applied.
	failed map[string]bool
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.failed[path] = true
	*d.errs = append(*d.errs, FieldError{File: d.src.File, Line: n.Line, Col: n.Column, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		d.src.pos[path] = [2]int{n.Line, n.Column}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
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
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		d.decodeString(n, v, path)
	case reflect.Int32:
		d.decodeInt(n, v, path)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.fail(n, path, "expected true or false, got %s", describe(n))
			return
		}
		b, _ := strconv.ParseBool(n.Value)
		v.SetBool(b)
	default:
		panic(fmt.Sprintf("schema: unsupported field type %s", v.Type()))
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := make(map[string]bool, len(n.Content)/2)
	keys := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if d.duplicate(keys, key, path) {
			continue
		}
		f, ok := fields.byName[key.Value]
		if !ok {
			d.fail(key, joinPath(path, key.Value), "unknown field %q (known fields: %s)", key.Value, strings.Join(fields.names, ", "))
			continue
		}
		seen[f.name] = true
		fv, fpath := v.FieldByIndex(f.index), joinPath(path, f.name)
		d.decode(val, fv, fpath)
		if f.enum != nil && fv.Kind() == reflect.String && fv.String() != "" && !slices.Contains(f.enum, fv.String()) {
			d.fail(val, fpath, "unsupported value %q: must be one of %s", fv.String(), strings.Join(f.enum, ", "))
		}
	}
	for _, f := range fields.list {
		if f.required && !seen[f.name] {
			d.fail(n, joinPath(path, f.name), "required field is missing")
		}
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	keys := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if d.duplicate(keys, n.Content[i], path) {
			continue
		}
		key := reflect.New(v.Type().Key()).Elem()
		val := reflect.New(v.Type().Elem()).Elem()
		d.decode(n.Content[i], key, path)
		d.decode(n.Content[i+1], val, joinPath(path, n.Content[i].Value))
		m.SetMapIndex(key, val)
	}
	v.Set(m)
}

// decodeString accepts strings and numbers (cpu: 2 is a fine quantity) but
// not booleans, which YAML turns "on" and "yes" into.
func (d *decoder) decodeString(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || !slices.Contains([]string{"!!str", "!!int", "!!float"}, n.Tag) {
		hint := ""
		if n.Tag == "!!bool" {
			hint = fmt.Sprintf(` (quote it: "%s")`, n.Value)
		}
		d.fail(n, path, "expected a string, got %s%s", describe(n), hint)
		return
	}
	v.SetString(n.Value)
}

func (d *decoder) decodeInt(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.fail(n, path, "expected an integer, got %s", describe(n))
		return
	}
	i, err := strconv.ParseInt(n.Value, 0, 32)
	if err != nil {
		d.fail(n, path, "integer %s out of range", n.Value)
		return
	}
	v.SetInt(i)
}

// describe names a node's type for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	kind := map[string]string{"!!str": "string", "!!int": "integer", "!!float": "number", "!!bool": "bool", "!!null": "null"}[n.Tag]
	if kind == "" {
		kind = n.Tag
	}
	return fmt.Sprintf("%s %q", kind, n.Value)
}

// field is a struct field as the schema sees it.
type field struct {
	name     string
	index    []int
	required bool
	enum     []string
	def      string
	doc      string
	typ      reflect.Type
}

type fieldSet struct {
	list   []field
	byName map[string]field
	names  []string
}

var fieldCache sync.Map // reflect.Type → *fieldSet

// fieldsOf lists a struct's schema fields by json tag, flattening inline
// embedded structs and skipping json:"-".
func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byName: map[string]field{}}
	collectFields(t, nil, fs)
	for _, f := range fs.list {
		fs.byName[f.name] = f
		fs.names = append(fs.names, f.name)
	}
	fieldCache.Store(t, fs)
	return fs
}

func collectFields(t reflect.Type, index []int, fs *fieldSet) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		idx := append(slices.Clone(index), i)
		if name == "-" || !sf.IsExported() {
			continue
		}
		if sf.Anonymous && strings.Contains(opts, "inline") {
			collectFields(sf.Type, idx, fs)
			continue
		}
		f := field{name: name, index: idx, required: sf.Tag.Get("required") == "true",
			def: sf.Tag.Get("default"), doc: sf.Tag.Get("doc"), typ: sf.Type}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		fs.list = append(fs.list, f)
	}
}

// duplicate reports (and fails on) a mapping key already seen in the same
// mapping, naming both positions, as sigs.k8s.io/yaml's strict mode and
// kubectl do; otherwise it records the key. YAML leaves duplicate keys
// undefined and most decoders quietly keep the last one.
func (d *decoder) duplicate(keys map[string]*yaml.Node, key *yaml.Node, path string) bool {
	if first, dup := keys[key.Value]; dup {
		d.fail(key, joinPath(path, key.Value), "duplicate key %q (first set at line %d, column %d)", key.Value, first.Line, first.Column)
		return true
	}
	keys[key.Value] = key
	return false
}
