package cli

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo makes a Git repository of examples/specs with a second commit
// that applies change to it, and returns its directory.
func gitRepo(t *testing.T, change func(dir string)) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := copySpecs(t)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "base")
	change(dir)
	git("add", "-A")
	git("commit", "-q", "--allow-empty", "-m", "head")
	return dir
}

func replaceIn(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s lacks %q", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPreviewOffline(t *testing.T) {
	dir := gitRepo(t, func(dir string) {
		replaceIn(t, filepath.Join(dir, "models", "llama.yaml"), "vllm-openai:v0.6.3", "vllm-openai:v0.7.0")
		replaceIn(t, filepath.Join(dir, "overlays", "prod", "priorityclass.yaml"), "value: 100000", "value: 200000")
	})
	// A change to the work tree that is not committed must not show.
	replaceIn(t, filepath.Join(dir, "models", "whisper.yaml"), "1.4.0", "9.9.9")
	tests := []struct {
		name    string
		args    []string
		code    int
		want    []string
		notWant []string
	}{
		{"one Environment", []string{"--env", "staging"}, ExitOK,
			[]string{"| [staging](#staging) | ✅ ready | 0 | 1 | 0 | 36 |", "**image vllm/vllm-openai**: `v0.6.3` → `v0.7.0`", "+        image: vllm/vllm-openai:v0.7.0"},
			[]string{"### prod", "9.9.9"}},
		{"affected Environments", nil, ExitOK,
			[]string{"### prod", "### staging", "scheduling.k8s.io/PriorityClass ml-serving"}, nil},
		{"head defaults to HEAD", []string{"--env", "prod"}, ExitOK, []string{"| [prod](#prod) | ✅ ready | 0 | 2 | 0 |"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"preview", dir, "--base", "main~1", "--offline"}, tt.args...)
			if tt.name != "head defaults to HEAD" {
				args = append(args, "--head", "main")
			}
			code, stdout, stderr := run(t, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(stdout, w) {
					t.Errorf("stdout has %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// TestPreviewInvalidHead prints the validation errors and exits 1.
func TestPreviewInvalidHead(t *testing.T) {
	dir := gitRepo(t, func(dir string) {
		replaceIn(t, filepath.Join(dir, "models", "llama.yaml"), "  image:", "  imag:")
	})
	var out, errb strings.Builder
	code := Run([]string{"preview", dir, "--env", "staging", "--base", "main~1", "--head", "main", "--offline"}, &out, &errb)
	if code != ExitFound || !strings.Contains(out.String(), "`models/llama.yaml:6:3` `spec.imag`: unknown field") {
		t.Errorf("exit %d (want 1), stdout:\n%s\nstderr: %s", code, out.String(), errb.String())
	}
}

func TestPreviewUsageErrors(t *testing.T) {
	dir := gitRepo(t, func(string) {})
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"preview", dir, "--offline"}, `required flag(s) "base" not set`},
		{[]string{"preview", dir, "--base", "nope", "--offline"}, `resolving "nope"`},
		{[]string{"preview", t.TempDir(), "--base", "main", "--offline"}, "opening Git repository"},
		{[]string{"preview", dir, "--base", "main", "--env", "nope", "--offline"}, `no Environment "nope"`},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, tt.args...)
		if code != ExitFailure || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tt.args[2:], code, stderr, tt.want)
		}
	}
}

// TestPreviewPlansAgainstTheCluster checks that without --offline the
// preview asks the kubeconfig's cluster, and that a cluster it cannot plan
// against is an error (exit 2), not a preview.
func TestPreviewPlansAgainstTheCluster(t *testing.T) {
	api := &apiServer{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	writeKubeconfig(t, kubeconfig, "c", srv.URL)
	dir := gitRepo(t, func(string) {})
	code, stdout, stderr := run(t, "preview", dir, "--base", "main~1", "--env", "staging", "--kubeconfig", kubeconfig, "--skip-aws")
	if n := len(api.requests()); code != ExitFailure || stdout != "" || !strings.Contains(stderr, "previewing staging: planning against the cluster") || n == 0 {
		t.Errorf("exit %d, %d requests, stdout %q, stderr %q; want exit 2 after asking the cluster", code, n, stdout, stderr)
	}
}

// TestPreviewNothingAffected previews a change to documentation only.
func TestPreviewNothingAffected(t *testing.T) {
	dir := gitRepo(t, func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# specs\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	code, stdout, stderr := run(t, "preview", dir, "--base", "main~1", "--offline")
	if code != ExitOK || !strings.Contains(stdout, "This change touches no Environment.") || strings.Contains(stdout, "###") {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s", code, stdout, stderr)
	}
}

// TestPreviewFolder previews specs kept in a folder of a larger repository:
// files outside it are not read, and a base without the folder is a new
// repository.
func TestPreviewFolder(t *testing.T) {
	specs := copySpecs(t)
	dir := gitRepo(t, func(dir string) {
		if err := os.Rename(specs, filepath.Join(dir, "specs")); err != nil {
			t.Fatal(err)
		}
		// Outside the folder: would fail validation if it were read.
		if err := os.WriteFile(filepath.Join(dir, "not-a-spec.yaml"), []byte("kind: Other\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	code, stdout, stderr := run(t, "preview", filepath.Join(dir, "specs"), "--base", "main~1", "--head", "main", "--env", "staging", "--offline")
	if code != ExitOK || !strings.Contains(stdout, "| [staging](#staging) | ✅ ready | 37 | 0 | 0 | 0 |") {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s", code, stdout, stderr)
	}
}

// TestPreviewReadsCommitsAsServe: the commits are read as serve reads
// them (reconciler/source): a symbolic link that leaves the specs folder
// is refused, not followed, so the file it names is never printed.
func TestPreviewReadsCommitsAsServe(t *testing.T) {
	specs := copySpecs(t)
	dir := gitRepo(t, func(dir string) {
		if err := os.Rename(specs, filepath.Join(dir, "specs")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "private.yaml"), []byte("token: sk-live-outside-the-specs\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../../private.yaml", filepath.Join(dir, "specs", "models", "leak.yaml")); err != nil {
			t.Fatal(err)
		}
	})
	code, stdout, stderr := run(t, "preview", filepath.Join(dir, "specs"), "--base", "main~1", "--env", "staging", "--offline")
	if code != ExitFailure || !strings.Contains(stderr, "symbolic link models/leak.yaml leaves the tree") || strings.Contains(stdout+stderr, "sk-live-outside") {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s\nwant exit 2 refusing the link", code, stdout, stderr)
	}
}

// TestPreviewHonoursConfirmations: gitplane preview plans the change on top
// of --base, as serve's pull-request preview does, so a confirmation in the
// change naming the base commit lets the large prune through, and advice
// and notes name the base.
func TestPreviewHonoursConfirmations(t *testing.T) {
	removeAll := func(dir string) {
		for _, f := range []string{"models/llama.yaml", "models/whisper.yaml", "gateways/ai-gateway.yaml"} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	confirm := func(dir, sha string) {
		replaceIn(t, filepath.Join(dir, "environments", "staging.yaml"), "  name: staging\n",
			"  name: staging\n  annotations:\n    gitplane.dev/confirm-prune: \""+sha+"\"\n")
	}
	const other = "0123456"
	tests := []struct {
		name    string
		confirm func(base string) string // the SHA the change confirms; "" none
		want    []string                 // {base} is the base's abbreviated SHA
		notWant []string
	}{
		{"unconfirmed", func(string) string { return "" },
			[]string{"prune blocked: prune would delete", `annotate the Environment gitplane.dev/confirm-prune: "{base}" in this change`}, nil},
		{"confirmed for the base", func(base string) string { return base[:12] },
			[]string{"staging: gitplane.dev/confirm-prune confirms a prune of more than a quarter of the inventory for this change on top of {base}"},
			[]string{"prune blocked"}},
		{"confirmed for another commit", func(string) string { return other },
			[]string{"staging: gitplane.dev/confirm-prune names " + other + ", not {base}: it confirms nothing for this change",
				"prune blocked: prune would delete", `annotate the Environment gitplane.dev/confirm-prune: "{base}" in this change`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			dir := gitRepo(t, func(dir string) {
				base = revParse(t, dir, "HEAD")
				removeAll(dir)
				if sha := tt.confirm(base); sha != "" {
					confirm(dir, sha)
				}
			})
			code, stdout, stderr := run(t, "preview", dir, "--base", "main~1", "--head", "main", "--env", "staging", "--offline")
			if code != ExitOK {
				t.Fatalf("exit %d, want 0; stderr: %s\n%s", code, stderr, stdout)
			}
			plain := strings.ReplaceAll(stdout, `\`, "") // markdown escapes
			for _, w := range tt.want {
				if w = strings.ReplaceAll(w, "{base}", base[:7]); !strings.Contains(plain, w) {
					t.Errorf("preview lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(plain, w) {
					t.Errorf("preview has %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// revParse is the SHA git gives rev in the repository dir.
func revParse(t *testing.T, dir, rev string) string {
	t.Helper()
	cmd := exec.Command("git", "rev-parse", rev)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git rev-parse %s: %v", rev, err)
	}
	return strings.TrimSpace(string(out))
}
