package render

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// positions finds the line and column of a field of a kustomization, for
// error messages. Keys match without regard to case, as kustomize decodes
// them; when several keys match, the last one is the one kustomize keeps.
type positions struct {
	root *yaml.Node // the document's root, nil when the text is not YAML
}

func newPositions(data []byte) positions {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return positions{}
	}
	return positions{root: doc.Content[0]}
}

// of returns the position of the value at a field path such as
// configMapGenerator[0].files[1], or of the nearest parent that exists;
// 1:1 without a document.
func (p positions) of(field string) (line, col int) {
	n := p.root
	if n == nil {
		return 1, 1
	}
	line, col = n.Line, n.Column
	for _, seg := range strings.Split(field, ".") {
		if seg == "" {
			break
		}
		name, rest, _ := strings.Cut(seg, "[")
		if n = mapValue(n, name); n == nil {
			return line, col
		}
		line, col = n.Line, n.Column
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			rest = strings.TrimPrefix(after, "[")
			i, err := strconv.Atoi(idx)
			for n.Kind == yaml.AliasNode {
				n = n.Alias
			}
			if err != nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return line, col
			}
			n = n.Content[i]
			line, col = n.Line, n.Column
		}
	}
	return line, col
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var found *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, key) {
			found = n.Content[i+1]
		}
	}
	return found
}
