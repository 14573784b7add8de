package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// writeBlockYAML appends obj to buf as a block-style YAML document, keys
// sorted, every string double-quoted (JSON escapes are valid YAML ones) and
// other scalars as JSON. kustomize's YAML parser reads block style in time
// linear in the document, while one-line JSON makes it hold and copy the
// whole token queue (every "{" may start a key), so this is what kustomize
// gets; the values it reads are the same.
func writeBlockYAML(buf *bytes.Buffer, obj M) error {
	buf.WriteString("---\n")
	if len(obj) == 0 {
		buf.WriteString("{}\n")
		return nil
	}
	return writeMapping(buf, obj, 0, false)
}

// writeMapping writes m's fields at indent; when inline, the first field
// follows a "- " already written.
func writeMapping(buf *bytes.Buffer, m map[string]any, indent int, inline bool) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 || !inline {
			buf.WriteString(strings.Repeat(" ", indent))
		}
		if err := writeScalar(buf, k); err != nil {
			return err
		}
		buf.WriteByte(':')
		if err := writeValue(buf, m[k], indent); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// writeValue writes what follows "key:" or "-": a nested block on the
// next lines, or a scalar on this one.
func writeValue(buf *bytes.Buffer, v any, indent int) error {
	switch t := v.(type) {
	case map[string]any:
		if len(t) > 0 {
			buf.WriteByte('\n')
			return writeMapping(buf, t, indent+2, false)
		}
	case []any:
		if len(t) > 0 {
			buf.WriteByte('\n')
			return writeSequence(buf, t, indent+2)
		}
	}
	buf.WriteByte(' ')
	if err := writeScalar(buf, v); err != nil {
		return err
	}
	buf.WriteByte('\n')
	return nil
}

func writeSequence(buf *bytes.Buffer, s []any, indent int) error {
	for i, item := range s {
		buf.WriteString(strings.Repeat(" ", indent))
		buf.WriteByte('-')
		var err error
		if m, ok := item.(map[string]any); ok && len(m) > 0 {
			buf.WriteByte(' ')
			err = writeMapping(buf, m, indent+2, true)
		} else {
			err = writeValue(buf, item, indent)
		}
		if err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return nil
}

// writeScalar writes v as JSON, which YAML reads as the same value; empty
// mappings and lists come out as {} and [].
func writeScalar(buf *bytes.Buffer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf.Write(data)
	return nil
}
