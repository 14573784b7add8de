package render

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"sigs.k8s.io/yaml"

	"github.com/gitplane/gitplane/schema"
)

// TestYAMLMatchesSigsYAML compares yamlWriter with sigs.k8s.io/yaml.Marshal,
// byte for byte: on rendered objects (most of which it must write itself:
// that is its point) and on random values made of what yaml.v2 treats
// specially.
func TestYAMLMatchesSigsYAML(t *testing.T) {
	t.Run("rendered", func(t *testing.T) {
		repos := map[string]fstest.MapFS{"examples": dirFS(t, "../examples/specs"), "generated": generatedSpecs(200)}
		for name, fsys := range repos {
			repo, err := schema.Load(fsys)
			if err != nil {
				t.Fatal(err)
			}
			for _, env := range repo.Environments {
				res, err := NewRenderer().Render(context.Background(), repo, fsys, env.Metadata.Name)
				if err != nil {
					t.Fatal(err)
				}
				w, direct := newYAMLWriter(), 0
				for _, o := range res.Objects {
					if compareYAML(t, w, o.Object) {
						direct++
					}
				}
				t.Logf("%s/%s: %d of %d objects written directly", name, env.Metadata.Name, direct, len(res.Objects))
				if direct < len(res.Objects)*95/100 {
					t.Errorf("%s/%s: only %d of %d objects written directly", name, env.Metadata.Name, direct, len(res.Objects))
				}
			}
		}
	})
	t.Run("random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		w, direct := newYAMLWriter(), 0
		const n = 20000
		for range n {
			if compareYAML(t, w, randomObject(rng, 0)) {
				direct++
			}
		}
		t.Logf("%d of %d random objects written directly", direct, n)
		if direct < n/4 {
			t.Errorf("only %d of %d random objects written directly: the comparison hardly tests yamlWriter", direct, n)
		}
	})
}

func FuzzYAMLString(f *testing.F) {
	for _, s := range yamlCorpus {
		f.Add(s, s)
	}
	w := newYAMLWriter()
	f.Fuzz(func(t *testing.T, key, value string) {
		compareYAML(t, w, map[string]any{key: value, "list": []any{value, map[string]any{key: value}}, "nested": map[string]any{"deeper": map[string]any{key: value}}})
	})
}

// compareYAML fails the test when yamlWriter and sigs.k8s.io/yaml differ
// on obj, and reports whether yamlWriter wrote obj itself.
func compareYAML(t *testing.T, w *yamlWriter, obj map[string]any) bool {
	t.Helper()
	want, wantErr := yaml.Marshal(obj)
	for range 4 {
		if again, _ := yaml.Marshal(obj); !bytes.Equal(again, want) {
			return false // keys yaml.v2 sorts by map iteration order: no reference
		}
	}
	got, direct, err := w.write(obj)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("errors differ: %v vs sigs.k8s.io/yaml %v", err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("yamlWriter (direct %v) differs from sigs.k8s.io/yaml for %#v:\n%s", direct, obj, diffLines(want, got))
	}
	return direct
}

// yamlCorpus is what yaml.v2 treats specially: words it reads as bools,
// nulls, numbers, timestamps, indicators, and the like.
var yamlCorpus = []string{
	"", " ", "a", "y", "Y", "yes", "No", "on", "OFF", "true", "False", "null", "Null", "~", "-", "--", "---", "...", "- a", "-a",
	"?", "? a", ":", "a:", "a:b", "a: b", "a :b", "#", "a#b", "a #b", "a # b", "&a", "*a", "!a", "|", ">", "'", "\"", "%a", "@a", "`a",
	"{", "}", "[", "]", ",", "a,b", "a, b", "[a]", "{a: b}", "0", "1", "-1", "+1", "007", "0x1F", "0o17", "0b101", "1_000", "1.5", ".5",
	"1e3", "1E-3", ".inf", "-.Inf", ".nan", "1:20", "190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "10Gi", "500m", "0.0.0.0/0",
	"10.0.0.0/16", "v1", "1.2.3", "a b", "a  b", " a", "a ", "a\tb", "a\nb", "a\n", "é", "a\u2028b", "a\x00b", "\ufeffa", "<<", "=", "a=b",
	"a%b", "a~b", "a@b", "a+b", "a/b", "A_B", "arn:aws:iam::111122223333:role/x", "http://example.com/a?b=c#d", "https://oidc.eks/id/X",
	strings.Repeat("word ", 20), strings.Repeat("x", 100), strings.Repeat("k", 130), "a" + strings.Repeat(" b", 45),
}

const yamlAlphabet = "abcXYZ019 :#-./*&!'\"%@`{}[],?|>~=+_<\t\né"

func randomString(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return yamlCorpus[rng.IntN(len(yamlCorpus))]
	}
	alphabet := []rune(yamlAlphabet)
	n := rng.IntN(12)
	if rng.IntN(10) == 0 {
		n = 60 + rng.IntN(80)
	}
	var b strings.Builder
	for range n {
		if rng.IntN(4) == 0 {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		} else {
			b.WriteByte(byte('a' + rng.IntN(26)))
		}
	}
	return b.String()
}

func randomObject(rng *rand.Rand, depth int) map[string]any {
	m := map[string]any{}
	for range rng.IntN(6) {
		m[randomString(rng)] = randomValue(rng, depth+1)
	}
	return m
}

func randomValue(rng *rand.Rand, depth int) any {
	switch n := rng.IntN(12); {
	case n < 4 || depth > 4:
		return randomString(rng)
	case n == 4:
		return int64(rng.IntN(200000)) - 100000
	case n == 5:
		return rng.IntN(2) == 0
	case n == 6:
		return nil
	case n == 7:
		return rng.Float64() * 1000
	case n == 8:
		var l []any
		for range rng.IntN(4) {
			l = append(l, randomValue(rng, depth+1))
		}
		if l == nil {
			return []any{}
		}
		return l
	default:
		return randomObject(rng, depth)
	}
}

func dirFS(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fsWalk(dir, func(name string, data []byte) { out[name] = &fstest.MapFile{Data: data} })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fsWalk(dir string, fn func(name string, data []byte)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	return walkEntries(dir, "", entries, fn)
}

func walkEntries(root, prefix string, entries []os.DirEntry, fn func(string, []byte)) error {
	for _, e := range entries {
		name := prefix + e.Name()
		if e.IsDir() {
			sub, err := os.ReadDir(root + "/" + name)
			if err != nil {
				return err
			}
			if err := walkEntries(root, name+"/", sub, fn); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(root + "/" + name)
		if err != nil {
			return err
		}
		fn(name, data)
	}
	return nil
}

// generatedSpecs is an Environment and n Models of varied GPU, capacity
// and labels.
func generatedSpecs(n int) fstest.MapFS {
	fsys := fstest.MapFS{"env.yaml": {Data: []byte(`apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata: {name: gen}
spec:
  cluster: {name: gen, region: us-east-1, accountId: "111122223333", oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/X"}
  ingress: {certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/x", domain: gen.example.com}
  nodes: {role: NodeRole, subnetSelector: {a: b}, securityGroupSelector: {a: b}}
`)}}
	gpus := []string{"16G", "24Gi", "48G", "40G", "80Gi"}
	caps := []string{"spot", "on-demand", "spot-with-fallback"}
	for i := range n {
		spec := fmt.Sprintf(`apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: model-%04d, namespace: team-%d, labels: {team: t%d, cost-center: "%d"}}
spec:
  image: registry.example.com/server:v%d
  args: ["--port", "8080", "--max-model-len", "%d"]
  resources: {gpu: {memory: %s}, cpu: "2", memory: 8Gi}
  capacity: %s
  replicas: {min: 1, max: %d}
  iam: {roleArn: "arn:aws:iam::111122223333:role/model-%04d"}
  expose: {host: m%d, path: /v%d}
`, i, i%7, i%3, 1000+i, i%5, 1024*(i%8+1), gpus[i%len(gpus)], caps[i%len(caps)], 2+i%4, i, i, i%3)
		fsys[fmt.Sprintf("models/m%04d.yaml", i)] = &fstest.MapFile{Data: []byte(spec)}
	}
	return fsys
}
