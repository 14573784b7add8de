package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/gitplane/gitplane/"

// stages ranks the module's packages in the order of the loop: a package
// may import only packages of a lower stage, or of its own prefix
// (reconciler/aws → reconciler/aws/irsa, gateway/api → gateway/auth). schema ← render ← engine (and its
// siblings: source, webhook, github, aws) ← preview ← server ← cmd.
var stages = []struct {
	prefix string
	stage  int
}{
	{"schema/gpu", 0}, {"render/version", 0}, {"gateway/config", 0},
	{"schema", 1},
	{"render", 2},
	{"reconciler/source", 3}, {"reconciler/webhook", 3}, {"reconciler/github", 3},
	{"reconciler/aws", 3}, {"reconciler/engine", 3}, {"reconciler/testenv", 3},
	{"reconciler/preview", 4},
	{"reconciler/server", 5},
	{"gateway", 6}, // the data plane: its own rules below
	{"examples", 7}, {"cmd", 7},
}

// gatewayMayNot are the import paths the gateway's request path stays clear
// of, directly or through its dependencies.
var gatewayMayNot = []string{module + "reconciler", module + "render", module + "schema", "k8s.io/client-go", "sigs.k8s.io/kustomize"}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// TestNoPackageImportsOneAbove: the import graph follows the loop's stages,
// and gateway/** depends on no control-plane package, client-go or
// kustomize.
func TestNoPackageImportsOneAbove(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(p.ImportPath, module)
		fromPrefix, from := stageOf(rel)
		if fromPrefix == "" {
			t.Errorf("%s: no stage; add it to stages", rel)
			continue
		}
		for _, imp := range p.Imports {
			dep, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			if toPrefix, to := stageOf(dep); toPrefix != fromPrefix && to >= from {
				t.Errorf("%s (stage %d) imports %s (stage %d)", rel, from, dep, to)
			}
		}
		if strings.HasPrefix(rel, "gateway/") && rel != "gateway/config" {
			for _, d := range p.Deps {
				for _, bad := range gatewayMayNot {
					if d == bad || strings.HasPrefix(d, bad+"/") {
						t.Errorf("%s depends on %s", rel, d)
					}
				}
			}
		}
	}
}

// stageOf is the stage of a package and the prefix that gives it (the
// longest that matches; "" when none does). Packages under one prefix may
// import each other.
func stageOf(rel string) (prefix string, stage int) {
	for _, s := range stages {
		if (rel == s.prefix || strings.HasPrefix(rel, s.prefix+"/")) && len(s.prefix) > len(prefix) {
			prefix, stage = s.prefix, s.stage
		}
	}
	return prefix, stage
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	return pkgs
}
