package preview

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/render"
	"github.com/gitplane/gitplane/schema"
)

func fileURL(path string, line int) string {
	return fmt.Sprintf("https://github.com/acme/specs/blob/%s/%s#L%d", headSHA, path, line)
}

const (
	headSHA = "0123456789abcdef0123456789abcdef01234567"
	baseSHA = "fedcba9876543210fedcba9876543210fedcba98" // the tip of the branch the change merges into
)

func previewAll(t *testing.T, in Input, envs ...string) []*EnvPreview {
	t.Helper()
	var out []*EnvPreview
	for _, env := range envs {
		in.Env = env
		p, err := Environment(context.Background(), in)
		if err != nil {
			t.Fatalf("Environment(%s): %v", env, err)
		}
		out = append(out, p)
	}
	return out
}

func TestOfflinePreviewGolden(t *testing.T) {
	base := exampleSpecs(t)
	head := apply(t, base,
		edit{"models/whisper.yaml", "whisper-server:1.4.0", "whisper-server:1.5.0"},
		edit{"models/whisper.yaml", "replicas: {min: 1, max: 3}", "replicas: {min: 2, max: 4}"},
		edit{"gateways/ai-gateway.yaml", "  - name: llama-3-8b\n    model:\n      name: llama-3-8b\n",
			"  - name: llama-3-70b\n    bedrock:\n      modelId: meta.llama3-70b-instruct-v1:0\n"},
		edit{file: "models/llama.yaml"},
	)
	in := Input{Base: base, Head: head, HeadSHA: headSHA, Onto: baseSHA, FileURL: fileURL, PlanOptions: engine.PlanOptions{Prune: true}}
	previews := previewAll(t, in, "prod", "staging")
	md := Markdown(previews, MarkdownOptions{})
	golden(t, "offline-change.md", md)
	// one Loader and Renderer for the whole change, as serve and the CLI
	// use: the same preview
	in.Loader, in.Renderer = schema.NewLoader(), render.NewRenderer()
	if shared := Markdown(previewAll(t, in, "prod", "staging"), MarkdownOptions{}); shared != md {
		t.Errorf("with a shared Loader and Renderer the preview differs:\n%s", shared)
	}
	for _, want := range []string{
		"karpenter.sh/NodePool models-llama-3-8b-spot",
		"ServiceAccount models/llama-3-8b",
		"prune blocked",
		"whisper-server",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
}

// TestInvalidHeadGolden previews a head with broken specs: the errors are
// listed as file:line:col links to the PR's files, nothing is planned.
func TestInvalidHeadGolden(t *testing.T) {
	base := exampleSpecs(t)
	head := apply(t, base,
		edit{"models/llama.yaml", "  image:", "  imag:"},
		edit{"models/whisper.yaml", "memory: 16G", "memory: 160G"},
	)
	previews := previewAll(t, Input{Base: base, Head: head, HeadSHA: headSHA, FileURL: fileURL}, "staging")
	p := previews[0]
	if !p.Failed || p.Plan != nil || len(p.ValidationErrors) == 0 {
		t.Fatalf("broken head: Failed %v, plan %v, %d validation errors; want failed, no plan, errors", p.Failed, p.Plan != nil, len(p.ValidationErrors))
	}
	md := Markdown(previews, MarkdownOptions{Footer: "Updated for " + headSHA[:7] + "."})
	golden(t, "invalid-head.md", md)
	if !strings.Contains(md, "[`models/llama.yaml:6:3`]("+fileURL("models/llama.yaml", 6)+")") {
		t.Errorf("the unknown field is not linked to models/llama.yaml line 6:\n%s", md)
	}
}

// TestRenderErrorFails reports a head that validates but cannot be
// rendered (its overlay is broken) as failed, without an error.
func TestRenderErrorFails(t *testing.T) {
	head := apply(t, exampleSpecs(t), edit{"overlays/prod/kustomization.yaml", "- priorityclass.yaml\n", "- missing.yaml\n"})
	p := previewAll(t, Input{Head: head}, "prod")[0]
	if !p.Failed || p.RenderError == "" || !strings.Contains(Markdown([]*EnvPreview{p}, MarkdownOptions{}), "could not be rendered") {
		t.Errorf("broken overlay: Failed %v, RenderError %q", p.Failed, p.RenderError)
	}
}

// TestEnvironmentErrors returns errors for what is not the change's fault.
func TestEnvironmentErrors(t *testing.T) {
	specs := exampleSpecs(t)
	if _, err := Environment(context.Background(), Input{Env: "nope", Head: specs}); err == nil || !strings.Contains(err.Error(), `no Environment "nope"`) {
		t.Errorf("unknown Environment: err = %v", err)
	}
	gone := apply(t, specs, edit{file: "environments/staging.yaml"}, edit{"models/whisper.yaml", "[staging, prod]", "[prod]"})
	p, err := Environment(context.Background(), Input{Env: "staging", Base: specs, Head: gone})
	if err != nil || p.Failed || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "removed") {
		t.Errorf("Environment removed at the head: %+v, %v; want a note", p, err)
	}
}
