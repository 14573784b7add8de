package render

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// YAML writes objects as one YAML stream, each document behind "---".
func YAML(objs []*unstructured.Unstructured) ([]byte, error) {
	var buf bytes.Buffer
	if err := WriteYAML(&buf, objs); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteYAML writes objects to w as one YAML stream, each document behind
// "---", byte for byte as sigs.k8s.io/yaml.Marshal (the YAML kubectl and
// client-go write) writes each object.
//
// sigs.k8s.io/yaml goes through JSON and back through yaml.v2, which takes
// about 300 µs per object: 3 s for the 9,000 objects of 1000 Models. So
// objects are written here directly when every value in them has a form
// known to be what yaml.v2 writes (see yamlWriter), and through
// sigs.k8s.io/yaml otherwise. TestYAMLMatchesSigsYAML compares the two.
func WriteYAML(w io.Writer, objs []*unstructured.Unstructured) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	yw := newYAMLWriter()
	for _, o := range objs {
		doc, _, err := yw.write(o.Object)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", Key(o), err)
		}
		bw.WriteString("---\n")
		bw.Write(doc)
	}
	return bw.Flush()
}

// yamlWriter writes JSON-like values (maps with string keys, lists,
// strings, int64, bool, nil) in yaml.v2's block style: keys in yaml.v2's
// order (letters before digits, digit runs by value), lists under a key at
// the key's indentation, two spaces per level, "{}" and "[]" for empty
// collections. Strings are written plain when plainString proves yaml.v2
// would, and otherwise as yaml.v2 writes the string alone (quoted), which
// is what it writes in a document too as long as the string fits on one
// line: strings with a line break, non-ASCII or control characters, keys
// over 128 characters (no longer simple keys) and strings with a space
// that reach past column 80 (where yaml.v2 folds) make the object go
// through sigs.k8s.io/yaml. So do floats and other Go types.
type yamlWriter struct {
	buf    []byte
	quoted map[string]string // string → how yaml.v2 writes it alone
	keys   [][]string        // scratch: the sorted keys of a mapping, by depth
}

func newYAMLWriter() *yamlWriter {
	return &yamlWriter{quoted: map[string]string{}}
}

// yamlFoldColumn is yaml.v2's default line width: a space past it in a
// scalar may become a line break.
const yamlFoldColumn = 80

// write returns obj as sigs.k8s.io/yaml.Marshal writes it, and whether it
// was written here (direct) rather than by sigs.k8s.io/yaml. The result is
// valid until the next call.
func (w *yamlWriter) write(obj map[string]any) (doc []byte, direct bool, err error) {
	w.buf = w.buf[:0]
	if len(obj) == 0 {
		w.buf = append(w.buf, "{}\n"...)
		return w.buf, true, nil
	}
	if w.mapping(obj, 0, 0, false) {
		return w.buf, true, nil
	}
	doc, err = yaml.Marshal(obj)
	return doc, false, err
}

// mapping writes m's fields at indent; when inline, the first one follows
// a "- " already written. False when m holds a value yamlWriter leaves to
// sigs.k8s.io/yaml.
func (w *yamlWriter) mapping(m map[string]any, depth, indent int, inline bool) bool {
	for i, k := range w.sortedKeys(m, depth) {
		if i > 0 || !inline {
			w.indent(indent)
		}
		repr, ok := w.scalarString(k)
		if !ok || len(k) > 128 {
			return false
		}
		w.buf = append(w.buf, repr...)
		w.buf = append(w.buf, ':')
		if !w.value(m[k], depth, indent, indent+len(repr)+2, true) {
			return false
		}
	}
	return true
}

// sequence writes l's items at indent; when inline, the first one follows
// a "- " already written.
func (w *yamlWriter) sequence(l []any, depth, indent int, inline bool) bool {
	for i, e := range l {
		if i > 0 || !inline {
			w.indent(indent)
		}
		w.buf = append(w.buf, '-')
		if !w.value(e, depth, indent, indent+2, false) {
			return false
		}
	}
	return true
}

// value writes what follows "key:" or "-" for a field or item at indent;
// a scalar starts at column col.
func (w *yamlWriter) value(v any, depth, indent, col int, inMapping bool) bool {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			w.buf = append(w.buf, " {}\n"...)
			return true
		}
		if inMapping {
			w.buf = append(w.buf, '\n')
			return w.mapping(t, depth+1, indent+2, false)
		}
		w.buf = append(w.buf, ' ')
		return w.mapping(t, depth+1, indent+2, true)
	case []any:
		if len(t) == 0 {
			w.buf = append(w.buf, " []\n"...)
			return true
		}
		if inMapping { // yaml.v2 does not indent a list under a key
			w.buf = append(w.buf, '\n')
			return w.sequence(t, depth+1, indent, false)
		}
		w.buf = append(w.buf, ' ')
		return w.sequence(t, depth+1, indent+2, true)
	case string:
		repr, ok := w.scalarString(t)
		if !ok || strings.IndexByte(repr, ' ') >= 0 && col+len(repr) > yamlFoldColumn {
			return false
		}
		w.scalar(repr)
	case int64:
		w.buf = append(w.buf, ' ')
		w.buf = strconv.AppendInt(w.buf, t, 10)
		w.buf = append(w.buf, '\n')
	case bool:
		w.scalar(strconv.FormatBool(t))
	case nil:
		w.scalar("null")
	default:
		return false
	}
	return true
}

func (w *yamlWriter) scalar(repr string) {
	w.buf = append(w.buf, ' ')
	w.buf = append(w.buf, repr...)
	w.buf = append(w.buf, '\n')
}

func (w *yamlWriter) indent(n int) {
	for range n {
		w.buf = append(w.buf, ' ')
	}
}

// scalarString is how yaml.v2 writes s on one line; false when that is not
// known here.
func (w *yamlWriter) scalarString(s string) (string, bool) {
	if plainString(s) {
		return s, true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return "", false
		}
	}
	if q, ok := w.quoted[s]; ok {
		return q, q != ""
	}
	out, err := yaml.Marshal(s)
	q := strings.TrimSuffix(string(out), "\n")
	if err != nil || strings.Contains(q, "\n") {
		q = ""
	}
	w.quoted[s] = q
	return q, q != ""
}

// plainString is true for strings yaml.v2 surely writes as they are: a
// letter, then letters, digits, spaces and ._/-:=@+,%~ with no ": ", " #"
// or trailing ':' or space, and not one of the words YAML 1.1 reads as a
// bool or null. (Strings that start otherwise, like "8080", "10Gi" or
// "*", are asked of yaml.v2 once.)
func plainString(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c) || c >= '0' && c <= '9':
		case c == ':':
			if i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		case c == ' ':
			if i == len(s)-1 || s[i+1] == '#' || s[i+1] == ' ' {
				return false
			}
		case strings.IndexByte("._/-=@+,%~", c) >= 0:
		default:
			return false
		}
	}
	return !yaml11Word(s)
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// yaml11Word is true for the words yaml.v2 reads as a bool or null.
func yaml11Word(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL":
		return true
	}
	return false
}

// sortedKeys returns m's keys in yaml.v2's order, in the scratch slice of
// depth.
func (w *yamlWriter) sortedKeys(m map[string]any, depth int) []string {
	for len(w.keys) <= depth {
		w.keys = append(w.keys, nil)
	}
	keys := w.keys[depth][:0]
	for k := range m {
		keys = append(keys, k)
	}
	// yaml.v2's order is not a strict weak order for some keys ("007",
	// "0b101"), where its own output then depends on map iteration; a
	// byte-wise sort first makes this one depend on the keys only.
	slices.Sort(keys)
	sort.SliceStable(keys, func(i, j int) bool { return yamlKeyLess(keys[i], keys[j]) })
	w.keys[depth] = keys
	return keys
}

// yamlKeyLess is yaml.v2's order of two keys (yaml.v2 sorter.go): runs of
// digits compare by value, letters come before other characters. It is
// exact for ASCII keys; an object with another key is written by
// sigs.k8s.io/yaml.
func yamlKeyLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		al, bl := isLetter(a[i]), isLetter(b[i])
		if al && bl {
			return a[i] < b[i]
		}
		if al || bl {
			return bl
		}
		var an, bn int64
		if a[i] == '0' || b[i] == '0' {
			for j := i - 1; j >= 0 && isDigit(a[j]); j-- {
				if a[j] != '0' {
					an, bn = 1, 1
					break
				}
			}
		}
		ai, bi := i, i
		for ; ai < len(a) && isDigit(a[ai]); ai++ {
			an = an*10 + int64(a[ai]-'0')
		}
		for ; bi < len(b) && isDigit(b[bi]); bi++ {
			bn = bn*10 + int64(b[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return a[i] < b[i]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
