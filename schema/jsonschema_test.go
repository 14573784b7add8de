package schema_test

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/schematest"
)

// compiledSchema compiles gitplane's JSON Schema with a draft 2020-12
// validator, as an editor's language server would.
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := schema.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("gitplane.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("gitplane.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func instance(t *testing.T, yamlDoc string) any {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(yamlDoc))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestJSONSchemaAsStrictAsValidate: the examples pass the schema, and what
// validate rejects where JSON Schema can say it (ranges, patterns, path
// prefixes) an editor rejects too.
func TestJSONSchemaAsStrictAsValidate(t *testing.T) {
	s := compiledSchema(t)
	examples := os.DirFS("../examples/specs")
	err := fs.WalkDir(examples, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "overlays/") || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := fs.ReadFile(examples, p)
		if err != nil {
			return err
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			if err := s.Validate(instance(t, doc)); err != nil {
				t.Errorf("%s does not pass the JSON Schema: %v", p, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, old, new string }{
		{"port 70000", "  image:", "  port: 70000\n  image:"},
		{"Istio's sidecar port", "  image:", "  port: 15006\n  image:"},
		{"name not DNS-1035", "name: llama", "name: Bad_Name"},
		{"namespace not DNS-1123", "name: llama", "name: llama\n  namespace: Models"},
		{"health path without /", "  image:", "  healthPath: health\n  image:"},
		{"GPU count 0", "      memory: 24Gi", "      memory: 24Gi\n      count: 0"},
		{"GPU count 9", "      memory: 24Gi", "      memory: 24Gi\n      count: 9"},
		{"target CPU 101", "  image:", "  autoscaling: {targetCPUUtilization: 101}\n  image:"},
		{"min replicas 0", "  image:", "  replicas: {min: 0}\n  image:"},
		{"role ARN", "arn:aws:iam::111122223333:role/llama", "arn:aws:iam:111122223333:llama"},
		{"expose path", "    host: llama", "    host: llama\n    path: v1"},
		{"service account", "  image:", "  access: {serviceAccounts: [nobody]}\n  image:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(modelYAML, tt.old, tt.new, 1)
			if doc == modelYAML {
				t.Fatalf("%q not in the Model", tt.old)
			}
			if err := s.Validate(instance(t, doc)); err == nil {
				t.Errorf("the JSON Schema accepts a Model with %s", tt.name)
			}
			if _, err := schematest.Parse(map[string][]byte{"envs/staging.yaml": []byte(envYAML), "models/llama.yaml": []byte(doc)}); err == nil {
				t.Errorf("validate accepts a Model with %s, the schema does not: they disagree", tt.name)
			}
		})
	}
	for _, tt := range []struct{ name, old, new string }{
		{"account id", `accountId: "111122223333"`, `accountId: "1234"`},
		{"region", "region: us-east-1", "region: useast1"},
		{"price multiple", "    role: NodeRole", "    role: NodeRole\n    maxPriceMultiple: 0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(envYAML, tt.old, tt.new, 1)
			if err := s.Validate(instance(t, doc)); err == nil {
				t.Errorf("the JSON Schema accepts an Environment with a bad %s", tt.name)
			}
		})
	}
}
