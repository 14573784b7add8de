package schema

import (
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Repo is every spec of a repository, sorted by namespace and name.
type Repo struct {
	Environments []*Environment
	Models       []*Model
	Gateways     []*Gateway
}

// document is one YAML document of a file, before it is decoded.
type document struct {
	file       string
	node       *yaml.Node // the document's root mapping
	apiVersion string
	kind       string
}

// Load reads every .yaml and .yml file under fsys (folders starting with a
// dot are skipped), decodes the gitplane specs, applies defaults and
// validates the whole repository. When anything is wrong it returns the
// repository read so far and an ErrorList with every problem. A Loader does
// the same and re-parses only the files that changed since its last load.
func Load(fsys fs.FS) (*Repo, error) {
	return NewLoader().Load(fsys)
}

// assemble puts the parsed files, in walk order, together into a repository
// and validates it. Documents that are not gitplane kinds are skipped inside
// overlay folders and are errors elsewhere.
func assemble(fsys fs.FS, files []*parsedFile) (*Repo, error) {
	var errs ErrorList
	var overlays []string
	unreadable := false // some file has a YAML syntax error
	for _, f := range files {
		errs = append(errs, f.errs...)
		overlays = append(overlays, f.overlays...)
		unreadable = unreadable || f.unreadable
	}
	repo := &Repo{}
	for _, f := range files {
		for _, d := range f.docs {
			switch {
			case d.spec != nil:
				repo.add(d.spec)
			case !inOverlay(f.path, overlays):
				errs = append(errs, d.notSpec)
			}
		}
	}
	repo.sort()
	validateRepo(fsys, repo, unreadable, &errs)
	if len(errs) > 0 {
		errs.Sort()
		return repo, errs
	}
	return repo, nil
}

func (r *Repo) add(s Spec) {
	switch s := s.(type) {
	case *Environment:
		r.Environments = append(r.Environments, s)
	case *Model:
		r.Models = append(r.Models, s)
	case *Gateway:
		r.Gateways = append(r.Gateways, s)
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseDocuments splits a file into its YAML documents, within the limits
// on documents and nodes (see yamlDocuments). A syntax error or a document
// over a limit ends the file and is recorded, a syntax error with the line
// the parser names. It returns the nodes counted, aliases expanded.
func parseDocuments(file string, data []byte, lim Limits, errs *ErrorList) ([]document, int) {
	var docs []document
	nodes, limitErr, err := yamlDocuments(file, data, lim, func(root *yaml.Node) {
		if len(root.Content) == 0 || root.Content[0].Tag == "!!null" {
			return // empty document
		}
		doc := document{file: file, node: root.Content[0]}
		if doc.node.Kind == yaml.MappingNode {
			doc.apiVersion = scalarField(doc.node, "apiVersion")
			doc.kind = scalarField(doc.node, "kind")
		}
		docs = append(docs, doc)
	})
	if limitErr != nil {
		*errs = append(*errs, *limitErr)
	}
	if err != nil {
		*errs = append(*errs, syntaxError(file, err))
	}
	return docs, nodes
}

// syntaxError locates a yaml.v3 syntax error.
func syntaxError(file string, err error) FieldError {
	line, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// yaml.v3 counts lines from 0 for parser errors ("did not find
		// expected ...") and from 1 for scanner errors
		if strings.HasPrefix(msg, "did not find expected") {
			line++
		}
	}
	return FieldError{File: file, Line: line, Col: 1, Message: "invalid YAML: " + msg}
}

func scalarField(m *yaml.Node, key string) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1].Value
		}
	}
	return ""
}

// overlayDirs returns the overlay folders named by Environments, cleaned.
func overlayDirs(docs []document) []string {
	var dirs []string
	for _, doc := range docs {
		if doc.apiVersion != APIVersion || doc.kind != KindEnvironment {
			continue
		}
		if spec := mappingField(doc.node, "spec"); spec != nil {
			if o := scalarField(spec, "overlay"); o != "" {
				dirs = append(dirs, path.Clean(strings.TrimPrefix(o, "./")))
			}
		}
	}
	return dirs
}

func mappingField(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.MappingNode {
			return m.Content[i+1]
		}
	}
	return nil
}

func inOverlay(file string, overlays []string) bool {
	return slices.ContainsFunc(overlays, func(dir string) bool {
		return dir == "." || strings.HasPrefix(file, dir+"/")
	})
}

// decodeSpec decodes a document of a gitplane kind and applies its
// defaults; it returns nil for any other document.
func decodeSpec(doc document, errs *ErrorList) Spec {
	if doc.apiVersion != APIVersion || !slices.Contains([]string{KindEnvironment, KindModel, KindGateway}, doc.kind) {
		return nil
	}
	var spec Spec
	switch doc.kind {
	case KindEnvironment:
		spec = &Environment{}
	case KindModel:
		spec = &Model{}
	case KindGateway:
		spec = &Gateway{}
	}
	src := spec.GetSource()
	*src = Source{File: doc.file, Line: doc.node.Line, pos: positions{}}
	d := &decoder{src: src, errs: errs, failed: map[string]bool{}}
	d.decode(doc.node, reflect.ValueOf(spec).Elem(), "")
	written := make(positions, len(src.pos))
	for p, lc := range src.pos {
		if !d.failed[p] {
			written[p] = lc
		}
	}
	applyDefaults(spec, written)
	return spec
}

func notASpec(doc document) FieldError {
	e := FieldError{File: doc.file, Line: doc.node.Line, Col: doc.node.Column}
	switch {
	case doc.node.Kind != yaml.MappingNode:
		e.Message = fmt.Sprintf("expected a mapping with apiVersion and kind, got %s", describe(doc.node))
	case doc.apiVersion == "" || doc.kind == "":
		e.Message = "not a gitplane spec: apiVersion and kind are required (kustomize files belong in an Environment's overlay folder)"
	case doc.apiVersion != APIVersion:
		e.Path = "apiVersion"
		e.Message = fmt.Sprintf("unsupported apiVersion %q for kind %s: gitplane reads %s (Kubernetes objects belong in an Environment's overlay folder)", doc.apiVersion, doc.kind, APIVersion)
	default:
		e.Path = "kind"
		e.Message = fmt.Sprintf("unknown kind %q: must be one of Environment, Model, Gateway", doc.kind)
	}
	return e
}

// sort orders each kind by namespace and name, then file, for determinism.
func (r *Repo) sort() {
	sortSpecs(r.Environments)
	sortSpecs(r.Models)
	sortSpecs(r.Gateways)
}

func sortSpecs[S Spec](specs []S) {
	slices.SortStableFunc(specs, func(a, b S) int {
		am, bm := a.GetMeta(), b.GetMeta()
		if c := strings.Compare(am.Namespace, bm.Namespace); c != 0 {
			return c
		}
		if c := strings.Compare(am.Name, bm.Name); c != 0 {
			return c
		}
		return strings.Compare(a.GetSource().File, b.GetSource().File)
	})
}
