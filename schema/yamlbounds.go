package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// nodeCounter counts a document's YAML nodes with every alias counted as a
// copy of the node it names, without expanding anything: the count of an
// anchored node is computed once and reused at each of its aliases, so
// counting is linear in the size of the text. Counts saturate at max+1.
type nodeCounter struct {
	max      int
	anchored map[*yaml.Node]int // counts of anchored nodes; -1 while counting one
}

func newNodeCounter(max int) *nodeCounter {
	return &nodeCounter{max: max, anchored: map[*yaml.Node]int{}}
}

func (c *nodeCounter) count(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 1
		}
		return c.count(n.Alias)
	}
	if n.Anchor != "" {
		if v, ok := c.anchored[n]; ok {
			if v < 0 { // an anchor inside itself: unbounded
				return c.max + 1
			}
			return v
		}
		c.anchored[n] = -1
	}
	total := 1
	for _, child := range n.Content {
		if total += c.count(child); total > c.max {
			total = c.max + 1
			break
		}
	}
	if n.Anchor != "" {
		c.anchored[n] = total
	}
	return total
}

// crossing returns the node at which a pre-order count of n, which is over
// budget, goes over it: the alias whose expansion does, or the node whose
// own children do.
func (c *nodeCounter) crossing(n *yaml.Node, budget int) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n
	}
	budget-- // n itself
	for _, child := range n.Content {
		s := c.count(child)
		if s > budget {
			return c.crossing(child, budget)
		}
		budget -= s
	}
	return n
}

// yamlDocuments decodes the documents of data one at a time, checking each
// against the limits, and calls fn with every document's root. It returns
// the nodes counted, aliases expanded; a document over a limit ends the
// file with limitErr, a syntax error ends it with syntaxErr.
func yamlDocuments(file string, data []byte, lim Limits, fn func(root *yaml.Node)) (nodes int, limitErr *FieldError, syntaxErr error) {
	lim = lim.WithDefaults()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for docs := 0; ; docs++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			return nodes, nil, nil
		}
		if err != nil {
			return nodes, nil, err
		}
		if docs == lim.MaxDocumentsPerFile {
			return nodes, &FieldError{File: file, Line: root.Line, Col: root.Column,
				Message: fmt.Sprintf("file has more than %d YAML documents, the limit per file", lim.MaxDocumentsPerFile)}, nil
		}
		c := newNodeCounter(lim.MaxNodesPerDocument)
		n := c.count(&root)
		if n > lim.MaxNodesPerDocument {
			return nodes, nodeLimitError(file, &root, c.crossing(&root, lim.MaxNodesPerDocument), lim.MaxNodesPerDocument), nil
		}
		nodes += n
		fn(&root)
	}
}

func nodeLimitError(file string, doc, at *yaml.Node, max int) *FieldError {
	e := &FieldError{File: file, Line: at.Line, Col: at.Column}
	if at.Kind == yaml.AliasNode {
		e.Message = fmt.Sprintf("alias *%s takes the document past %d YAML nodes, the limit per document (every use of an alias counts the nodes it names)", at.Value, max)
		return e
	}
	if len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	e.Line, e.Col = doc.Line, doc.Column
	e.Message = fmt.Sprintf("document has more than %d YAML nodes, the limit per document", max)
	return e
}

// CheckYAML checks the YAML documents of a file against the limits on
// documents per file and nodes per document, without expanding aliases,
// and returns the nodes it counted (aliases expanded) and the document
// over a limit, if any. Text that is not YAML is not a problem here: a
// file's YAML syntax is its reader's concern.
func (l Limits) CheckYAML(file string, data []byte) (nodes int, over *FieldError) {
	nodes, over, _ = yamlDocuments(file, data, l, func(*yaml.Node) {})
	return nodes, over
}
