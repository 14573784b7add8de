package testenv_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/testenv"
	"github.com/gitplane/gitplane/render"
)

// TestExampleSpecsOwnNames: two copies render the same objects under names
// of their own — no object in common — and each still renders every Environment of the examples.
func TestExampleSpecsOwnNames(t *testing.T) {
	a := testenv.ExampleSpecs(t, t.TempDir())
	b := testenv.ExampleSpecs(t, t.TempDir())
	if a.Suffix == b.Suffix {
		t.Fatalf("two copies share the suffix %q", a.Suffix)
	}
	orig, err := render.Render(context.Background(), os.DirFS("../../examples/specs"), "prod")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, s := range []testenv.Specs{a, b} {
		for _, env := range []string{"staging", "prod"} {
			res, err := render.Render(context.Background(), os.DirFS(s.Dir), s.Env(env))
			if err != nil {
				t.Fatalf("rendering %s of the copy: %v", s.Env(env), err)
			}
			if env == "prod" && len(res.Objects) != len(orig.Objects) {
				t.Errorf("copy renders %d objects for prod, the examples %d", len(res.Objects), len(orig.Objects))
			}
			for _, o := range res.Objects {
				switch ns := o.GetNamespace(); {
				case strings.HasPrefix(ns, "istio-"): // Istio's install owns these
					if !strings.HasSuffix(o.GetName(), s.Env(env)) {
						t.Errorf("%s %s/%s: name not the copy's own", o.GetKind(), ns, o.GetName())
					}
				case ns != "" && !strings.HasSuffix(ns, s.Suffix):
					t.Errorf("%s %s/%s: namespace not the copy's own", o.GetKind(), ns, o.GetName())
				}
				id := o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
				if other, dup := seen[id]; dup && other != s.Suffix {
					t.Errorf("%s rendered by two copies", id)
				}
				seen[id] = s.Suffix
			}
		}
	}
}

// TestExampleSpecsOwnIngressNamespaces: with the option, every namespaced
// object is in a namespace of the copy's own, the ingress gateway's (given
// in prod, the default in staging) included, and prod still renders the
// examples' objects.
func TestExampleSpecsOwnIngressNamespaces(t *testing.T) {
	s := testenv.ExampleSpecsWith(t, t.TempDir(), testenv.SpecsOptions{OwnIngressNamespaces: true})
	orig, err := render.Render(context.Background(), os.DirFS("../../examples/specs"), "prod")
	if err != nil {
		t.Fatal(err)
	}
	for env, ingress := range map[string]string{"prod": "istio-ingress", "staging": "istio-system"} {
		res, err := render.Render(context.Background(), os.DirFS(s.Dir), s.Env(env))
		if err != nil {
			t.Fatalf("rendering %s of the copy: %v", s.Env(env), err)
		}
		if env == "prod" && len(res.Objects) != len(orig.Objects) {
			t.Errorf("copy renders %d objects for prod, the examples %d", len(res.Objects), len(orig.Objects))
		}
		inIngress := 0
		for _, o := range res.Objects {
			ns := o.GetNamespace()
			if ns != "" && !strings.HasSuffix(ns, s.Suffix) {
				t.Errorf("%s %s/%s: namespace not the copy's own", o.GetKind(), ns, o.GetName())
			}
			if ns == s.Namespace(ingress) {
				inIngress++
			}
		}
		if inIngress == 0 {
			t.Errorf("%s: nothing rendered into %s", env, s.Namespace(ingress))
		}
	}
}
