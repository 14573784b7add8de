package cli

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gitplane/gitplane/schema"
)

// hostSecret is a line of /etc/passwd: it must appear in no output.
const hostSecret = "root:x:0:0"

// runWithin runs the CLI and fails the test if it does not return in time
// (a FIFO read without care waits forever for a writer).
func runWithin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		c, o, e := run(t, args...)
		done <- result{c, o, e}
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr
	case <-time.After(time.Minute):
		t.Fatalf("gitplane %s did not return", strings.Join(args, " "))
		return 0, "", ""
	}
}

// TestWorkTreeRefusesWhatLeavesIt runs validate and render on checkouts
// with symbolic links out of the repository and special files: each is
// refused with a clear error, and no host file's content is printed.
func TestWorkTreeRefusesWhatLeavesIt(t *testing.T) {
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Skip("no /etc/passwd")
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		args  []string // after the verb's DIR, which is appended first
		verb  string
		want  string
	}{
		{"spec linked to /etc/passwd", func(t *testing.T, dir string) {
			symlink(t, "/etc/passwd", filepath.Join(dir, "models/evil.yaml"))
		}, nil, "validate", "reading models/evil.yaml: stat models/evil.yaml: symbolic link models/evil.yaml leaves the tree"},
		{"spec linked out of the repository by a relative path", func(t *testing.T, dir string) {
			symlink(t, "../../../../../../../../../../etc/passwd", filepath.Join(dir, "models/evil.yaml"))
		}, nil, "validate", "symbolic link models/evil.yaml leaves the tree"},
		{"spec linked to /dev/zero", func(t *testing.T, dir string) {
			symlink(t, "/dev/zero", filepath.Join(dir, "models/zero.yaml"))
		}, nil, "validate", "symbolic link models/zero.yaml leaves the tree"},
		{"a FIFO named .yaml", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "models/fifo.yaml"), 0o644); err != nil {
				t.Skip("mkfifo:", err)
			}
		}, nil, "validate", "models/fifo.yaml: is a named pipe, not a regular file"},
		{"a character device named .yaml", func(t *testing.T, dir string) {
			if err := syscall.Mknod(filepath.Join(dir, "models/zero.yaml"), syscall.S_IFCHR|0o644, 1<<8|5); err != nil {
				t.Skip("mknod (needs CAP_MKNOD):", err)
			}
		}, nil, "validate", "models/zero.yaml: is a character device, not a regular file"},
		{"overlay file linked to /etc/passwd, read by a configMapGenerator", func(t *testing.T, dir string) {
			overlay := filepath.Join(dir, "overlays/prod")
			symlink(t, "/etc/passwd", filepath.Join(overlay, "users.txt"))
			appendFile(t, filepath.Join(overlay, "kustomization.yaml"), "configMapGenerator:\n- {name: users, namespace: models, files: [users.txt]}\n")
		}, []string{"--env", "prod"}, "render", "symbolic link overlays/prod/users.txt leaves the tree"},
		{"the same, validated", func(t *testing.T, dir string) {
			overlay := filepath.Join(dir, "overlays/prod")
			symlink(t, "/etc/passwd", filepath.Join(overlay, "users.txt"))
			appendFile(t, filepath.Join(overlay, "kustomization.yaml"), "configMapGenerator:\n- {name: users, namespace: models, files: [users.txt]}\n")
		}, nil, "validate", "symbolic link overlays/prod/users.txt leaves the tree"},
		{"overlay reading a file outside its folder", func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, "overlays/prod/kustomization.yaml"), "configMapGenerator:\n- {name: users, namespace: models, files: [/etc/passwd]}\n")
		}, nil, "validate", `overlays/prod/kustomization.yaml:14:44: configMapGenerator[0].files[0]: absolute path "/etc/passwd" is not allowed: an overlay may only read files of the repository`},
		{"spec over the size limit", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "models/big.yaml"), "# "+strings.Repeat("x", 50<<20)+"\n")
		}, nil, "validate", "models/big.yaml:1:1: file is 52428803 bytes; the limit is 4194304 bytes (4 MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySpecs(t)
			tt.setup(t, dir)
			code, stdout, stderr := runWithin(t, append([]string{tt.verb, dir}, tt.args...)...)
			if code == ExitOK {
				t.Errorf("exit code 0, want an error")
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not contain %q:\n%s", tt.want, stderr)
			}
			if strings.Contains(stdout+stderr, hostSecret) {
				t.Errorf("a host file's content is in the output:\n%s%s", stdout, stderr)
			}
		})
	}
}

// TestWorkTreeFollowsLinksInside: a relative link that stays inside the
// repository is followed, as serve's Git reader follows it.
func TestWorkTreeFollowsLinksInside(t *testing.T) {
	dir := copySpecs(t)
	if err := os.Rename(filepath.Join(dir, "models/llama.yaml"), filepath.Join(dir, "llama.spec")); err != nil {
		t.Fatal(err)
	}
	symlink(t, "../llama.spec", filepath.Join(dir, "models/llama.yaml"))
	code, stdout, stderr := run(t, "validate", dir)
	if code != ExitOK || !strings.Contains(stdout, "2 Models") {
		t.Errorf("exit code %d; stdout: %s; stderr: %s", code, stdout, stderr)
	}
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, name, data string) {
	t.Helper()
	old, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, name, string(old)+data)
}

// TestWorkTreeReadsNoMoreThanTheLimit reads a file larger than the limit
// every way a caller can: each stops with the size error.
func TestWorkTreeReadsNoMoreThanTheLimit(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big.yaml"), strings.Repeat("x", 100))
	w, err := openWorkTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.maxBytes = 10
	reads := map[string]func() (int, error){
		"fs.ReadFile": func() (int, error) { data, err := fs.ReadFile(w, "big.yaml"); return len(data), err },
		"io.ReadAll": func() (int, error) {
			f, err := w.Open("big.yaml")
			if err != nil {
				return 0, err
			}
			defer f.Close()
			data, err := io.ReadAll(f)
			return len(data), err
		},
		"io.Copy": func() (int, error) {
			f, err := w.Open("big.yaml")
			if err != nil {
				return 0, err
			}
			defer f.Close()
			n, err := io.Copy(io.Discard, f)
			return int(n), err
		},
	}
	for name, read := range reads {
		n, err := read()
		var big *schema.FileTooLargeError
		if !errors.As(err, &big) || n > 10 {
			t.Errorf("%s read %d bytes, error %v; want at most 10 and a FileTooLargeError", name, n, err)
		}
	}
}
