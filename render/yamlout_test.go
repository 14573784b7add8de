package render_test

import (
	"bytes"
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

// TestYAMLMatchesSigsYAML compares yamlWriter with sigs.k8s.io/yaml.Marshal,
// byte for byte: on rendered objects (most of which it must write itself:
// that is its point) and on random values made of what yaml.v2 treats
// specially.
func TestYAMLMatchesSigsYAML(t *testing.T) {
	t.Run("rendered", func(t *testing.T) {
		repos := map[string]fs.FS{"examples": os.DirFS("../examples/specs"), "generated": generatedRepo(200)}
		for name, fsys := range repos {
			repo, err := schema.Load(fsys)
			if err != nil {
				t.Fatal(err)
			}
			for _, env := range repo.Environments {
				res, err := render.NewRenderer().Render(context.Background(), repo, fsys, env.Metadata.Name)
				if err != nil {
					t.Fatal(err)
				}
				w, direct := render.NewYAMLWriter(), 0
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
		w, direct := render.NewYAMLWriter(), 0
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
	w := render.NewYAMLWriter()
	f.Fuzz(func(t *testing.T, key, value string) {
		compareYAML(t, w, map[string]any{key: value, "list": []any{value, map[string]any{key: value}}, "nested": map[string]any{"deeper": map[string]any{key: value}}})
	})
}

// compareYAML fails the test when yamlWriter and sigs.k8s.io/yaml differ
// on obj, and reports whether yamlWriter wrote obj itself. Objects it
// leaves to sigs.k8s.io/yaml, and objects with keys yaml.v2 does not
// order strictly (its output then depends on map iteration), are not
// compared.
func compareYAML(t *testing.T, w *render.YAMLWriter, obj map[string]any) bool {
	t.Helper()
	got, direct, err := w.Write(obj)
	if !direct || !strictlyOrdered(obj) {
		return direct
	}
	want, wantErr := yaml.Marshal(obj)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("errors differ: %v vs sigs.k8s.io/yaml %v", err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("yamlWriter differs from sigs.k8s.io/yaml for %#v:\nsigs.k8s.io/yaml:\n%s\nyamlWriter:\n%s", obj, want, got)
	}
	return true
}

// strictlyOrdered reports whether yaml.v2's key order is a strict weak
// order on the keys of every map in v, so that its sort has one answer.
func strictlyOrdered(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		var keys []string
		for k, e := range t {
			if !strictlyOrdered(e) {
				return false
			}
			keys = append(keys, k)
		}
		less := render.YAMLKeyLess
		for _, a := range keys {
			for _, b := range keys {
				if a != b && less(a, b) == less(b, a) {
					return false // neither or both before the other
				}
				for _, c := range keys {
					if less(a, b) && less(b, c) && !less(a, c) {
						return false
					}
				}
			}
		}
	case []any:
		for _, e := range t {
			if !strictlyOrdered(e) {
				return false
			}
		}
	}
	return true
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
