package preview

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gitplane/gitplane/reconciler"
)

func fileURL(path string, line int) string {
	return fmt.Sprintf("https://github.com/acme/specs/blob/%s/%s#L%d", headSHA, path, line)
}

const headSHA = "0123456789abcdef0123456789abcdef01234567"


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
	previews := previewAll(t, Input{Base: base, Head: head, HeadSHA: headSHA, FileURL: fileURL,
		PlanOptions: reconciler.PlanOptions{Prune: true}}, "prod", "staging")
	md := Markdown(previews, MarkdownOptions{})
	golden(t, "offline-change.md", md)
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
