package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gitplane/gitplane/schema"
)

// Cluster is the EKS cluster every test's control plane stands for: one
// API server is one cluster (gitplane records which on the first sync that
// writes), so the Environments of every copy of the examples name this one,
// whichever test syncs first. It is the examples' prod cluster.
var Cluster = struct{ Name, Region, AccountID string }{"ml-prod", "us-west-2", "111122223333"}

// Specs is a copy of examples/specs that belongs to one test: every
// Environment name and every namespace the specs render into carries the
// test's own suffix, so two tests syncing "the examples" on one control
// plane never share a namespaced object and no assertion depends on which
// tests ran before (Flux's generateName pattern). Cluster-scoped objects
// follow the Environment name (EC2NodeClass gitplane-<env>) or the namespace
// (NodePools <namespace>-<model>-...); an overlay's cluster-scoped objects
// (the prod overlay's PriorityClass) get the suffix. Every Environment
// names Cluster.
type Specs struct {
	Dir    string // the copy
	Suffix string // "-" and 6 hex digits
	opts   SpecsOptions
}

// SpecsOptions are the choices of ExampleSpecsWith.
type SpecsOptions struct {
	// OwnIngressNamespaces gives every Environment's Istio ingress gateway
	// namespace (spec.istio.ingressGatewayNamespace, istio-system by
	// default) the suffix too, for a test that must own the objects
	// rendered there (its ingress Gateway, its ALB Ingress). Without it
	// they stay in the namespaces the Istio install owns.
	OwnIngressNamespaces bool
}

// Env is the test's name of an example Environment: Env("staging") is
// "staging-1a2b3c".
func (s Specs) Env(name string) string { return name + s.Suffix }

// Namespace is the test's name of an example namespace: Namespace("models")
// is "models-1a2b3c".
func (s Specs) Namespace(ns string) string { return ns + s.Suffix }

// ExampleSpecs copies the repository's examples/specs into dst (created if
// missing) with names of this test's own; see Specs.
func ExampleSpecs(t testing.TB, dst string) Specs {
	t.Helper()
	return ExampleSpecsWith(t, dst, SpecsOptions{})
}

// ExampleSpecsWith is ExampleSpecs with options.
func ExampleSpecsWith(t testing.TB, dst string, opts SpecsOptions) Specs {
	t.Helper()
	s := Specs{Dir: dst, Suffix: UniqueName(""), opts: opts}
	src := filepath.Join(repoRoot(), "examples", "specs")
	if err := s.copyFrom(src); err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
	if err := s.renameClusterScoped(); err != nil {
		t.Fatalf("renaming the overlays' cluster-scoped objects: %v", err)
	}
	return s
}

// clusterScoped are the kinds an overlay may add that have no namespace to
// tell two copies apart: their names get the suffix, in every overlay file
// that says them (a patch's priorityClassName, say).
var clusterScoped = map[string]bool{"PriorityClass": true, "ClusterRole": true, "ClusterRoleBinding": true, "StorageClass": true}

func (s Specs) renameClusterScoped() error {
	overlays := filepath.Join(s.Dir, "overlays")
	var files []string
	names := map[string]bool{}
	err := filepath.WalkDir(overlays, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		files = append(files, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc struct {
				Kind     string `yaml:"kind"`
				Metadata struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
			}
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if clusterScoped[doc.Kind] && doc.Metadata.Name != "" {
				names[doc.Metadata.Name] = true
			}
		}
	})
	if err != nil || len(names) == 0 {
		return err
	}
	var alts []string
	for n := range names {
		alts = append(alts, regexp.QuoteMeta(n))
	}
	sort.Strings(alts)
	word := regexp.MustCompile(`\b(` + strings.Join(alts, "|") + `)\b`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(f, word.ReplaceAll(data, []byte("${1}"+s.Suffix)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (s Specs) copyFrom(src string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		out := filepath.Join(s.Dir, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".yaml") {
			if data, err = s.rename(data); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		return os.WriteFile(out, data, 0o644)
	})
}

// rename rewrites one YAML file's documents: Environment names, the
// environments a spec lists, and namespaces — a spec's own (its default
// made explicit) and any namespace field of an overlay's objects.
func (s Specs) rename(data []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		docs = append(docs, &doc)
	}
	before, err := encode(docs)
	if err != nil {
		return nil, err
	}
	for _, doc := range docs {
		if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
			s.renameDoc(doc.Content[0])
		}
	}
	after, err := encode(docs)
	if err != nil || bytes.Equal(before, after) {
		return data, err // a file with nothing to rename keeps its bytes
	}
	return after, nil
}

func encode(docs []*yaml.Node) ([]byte, error) {
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	for _, doc := range docs {
		if err := enc.Encode(doc); err != nil {
			return nil, err
		}
	}
	err := enc.Close()
	return out.Bytes(), err
}

func (s Specs) renameDoc(m *yaml.Node) {
	kind := scalar(m, "kind")
	meta := value(m, "metadata")
	spec := value(m, "spec")
	switch {
	case kind == "Environment" && meta != nil:
		if n := value(meta, "name"); n != nil {
			n.Value = s.Env(n.Value)
		}
		onTestCluster(m, value(spec, "cluster"))
		if s.opts.OwnIngressNamespaces && spec != nil {
			ns := entry(entry(spec, "istio", yaml.MappingNode, ""), "ingressGatewayNamespace", yaml.ScalarNode, defaultIngressNamespace)
			ns.Value = s.Namespace(ns.Value)
		}
	case (kind == "Model" || kind == "Gateway") && meta != nil:
		ns := value(meta, "namespace")
		if ns == nil {
			def := schema.DefaultModelNamespace
			if kind == "Gateway" {
				def = schema.DefaultGatewayNamespace
			}
			ns = entry(meta, "namespace", yaml.ScalarNode, def)
		}
		ns.Value = s.Namespace(ns.Value)
		if routes := value(spec, "routes"); routes != nil && routes.Kind == yaml.SequenceNode {
			for _, r := range routes.Content {
				s.renameModelRef(value(r, "model"))
			}
		}
		if envs := value(spec, "environments"); envs != nil && envs.Kind == yaml.SequenceNode {
			for _, e := range envs.Content {
				e.Value = s.Env(e.Value)
			}
		}
	case meta != nil: // an overlay's own object
		if ns := value(meta, "namespace"); ns != nil {
			ns.Value = s.Namespace(ns.Value)
		}
	}
}

// onTestCluster moves an Environment onto Cluster: its cluster's name, and
// its region wherever the document says it (OIDC issuer, certificate), as
// validation wants them to agree.
func onTestCluster(doc, cluster *yaml.Node) {
	name, region := value(cluster, "name"), value(cluster, "region")
	if name == nil || region == nil {
		return
	}
	name.Value = Cluster.Name
	if old := region.Value; old != Cluster.Region {
		replaceScalars(doc, old, Cluster.Region)
	}
}

// replaceScalars replaces old with new in every scalar under n.
func replaceScalars(n *yaml.Node, old, new string) {
	if n.Kind == yaml.ScalarNode {
		n.Value = strings.ReplaceAll(n.Value, old, new)
	}
	for _, c := range n.Content {
		replaceScalars(c, old, new)
	}
}

// renameModelRef points a Gateway route's model reference at the Model's
// renamed namespace.
func (s Specs) renameModelRef(ref *yaml.Node) {
	if ref == nil || ref.Kind != yaml.MappingNode {
		return
	}
	ns := value(ref, "namespace")
	if ns == nil {
		ref.Content = append(ref.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "namespace"}, &yaml.Node{Kind: yaml.ScalarNode, Value: schema.DefaultModelNamespace})
		ns = ref.Content[len(ref.Content)-1]
	}
	ns.Value = s.Namespace(ns.Value)
}

// value is the value node of key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// defaultIngressNamespace is schema's default of
// spec.istio.ingressGatewayNamespace.
const defaultIngressNamespace = "istio-system"

// entry returns m's value of key, added as a node of kind (a scalar with
// value def) when m has none.
func entry(m *yaml.Node, key string, kind yaml.Kind, def string) *yaml.Node {
	if v := value(m, key); v != nil {
		return v
	}
	v := &yaml.Node{Kind: kind, Value: def}
	if kind == yaml.MappingNode {
		v.Tag = "!!map"
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	return v
}

func scalar(m *yaml.Node, key string) string {
	if v := value(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}
