package ociimage_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	image "github.com/gitplane/gitplane/cmd/imagebuild/ociimage"
)

const testVersion = "v0.0.0-imagetest"

// buildGitplane builds the static gitplane binary the way make image does.
func buildGitplane(t *testing.T) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped under -short: builds the gitplane binary")
	}
	out := filepath.Join(t.TempDir(), "gitplane")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/gitplane/gitplane/render/version.Version="+testVersion,
		"-o", out, "./cmd/gitplane")
	cmd.Dir = "../../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// openArchive unpacks an OCI archive and returns its one image and the
// image's ref name.
func openArchive(t *testing.T, archive string) (v1.Image, string) {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			_ = os.MkdirAll(p, 0o755)
			continue
		}
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("not an OCI layout: %v", err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 {
		t.Fatalf("index: %v, %d manifests, want 1", err, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img, m.Manifests[0].Annotations["org.opencontainers.image.ref.name"]
}

// entry is a file of the image: its header and content.
type entry struct {
	*tar.Header
	data []byte
}

// files reads the image's flattened filesystem.
func files(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out["/"+strings.TrimSuffix(h.Name, "/")] = entry{h, b}
	}
}

// TestImage builds the image as make image does, opens the archive, checks
// its config and files, and runs the binary taken from its layer.
func TestImage(t *testing.T) {
	bin := buildGitplane(t)
	out := t.TempDir()
	cmd := exec.Command("go", "run", "./cmd/imagebuild", "--binary", writeFile(t, bin), "--version", testVersion, "--arch", runtime.GOARCH, "--out", out)
	cmd.Dir = "../../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the image: %v\n%s", err, b)
	}
	img, ref := openArchive(t, filepath.Join(out, "gitplane.tar"))
	if want := "ghcr.io/gitplane/gitplane:" + testVersion; ref != want {
		t.Errorf("ref name = %q, want %q", ref, want)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || len(c.Entrypoint) != 1 || c.Entrypoint[0] != image.BinaryPath || len(c.Cmd) != 0 {
		t.Errorf("config: user %q entrypoint %v cmd %v, want 65532:65532, [%s], none", c.User, c.Entrypoint, c.Cmd, image.BinaryPath)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH || c.Labels["org.opencontainers.image.version"] != testVersion {
		t.Errorf("platform %s/%s, version label %q", cf.OS, cf.Architecture, c.Labels["org.opencontainers.image.version"])
	}
	fs := files(t, img)
	h, ok := fs[image.BinaryPath]
	if !ok || h.Mode&0o111 == 0 || h.Uid != 0 {
		t.Fatalf("%s missing, not executable or not root's: %+v", image.BinaryPath, h.Header)
	}
	checkStatic(t, h.data)
	checkCerts(t, fs[image.CertsPath])
	if p := fs["/etc/passwd"]; !strings.Contains(string(p.data), "nonroot:x:65532:65532:") {
		t.Error("/etc/passwd lacks the nonroot user 65532")
	}
	if tmp, ok := fs["/tmp"]; !ok || tmp.Mode&0o1777 != 0o1777 {
		t.Errorf("/tmp is not world-writable and sticky: %+v", tmp.Header)
	}
	if home, ok := fs[image.Home]; !ok || home.Uid != image.UID {
		t.Errorf("%s is not owned by 65532", image.Home)
	}

	extracted := writeFile(t, h.data)
	got, err := exec.Command(extracted, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(got), "gitplane "+testVersion+" ") {
		t.Errorf("the image's gitplane version: %v\n%s", err, got)
	}
	// the binary in the image renders Gateways that run this very image
	rendered, err := exec.Command(extracted, "render", "../../../examples/specs", "--env", "staging").CombinedOutput()
	if err != nil || !strings.Contains(string(rendered), "image: "+ref+"\n") {
		t.Errorf("the image's gitplane renders the Gateway without image %s: %v", ref, err)
	}
}

func writeFile(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gitplane")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkStatic fails when the binary asks for a dynamic loader: the image has
// no libc.
func checkStatic(t *testing.T, bin []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("the binary is not ELF: %v", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked (PT_INTERP); build with CGO_ENABLED=0")
		}
	}
}

// checkCerts wants a PEM bundle with the roots AWS endpoints chain to.
func checkCerts(t *testing.T, h entry) {
	t.Helper()
	rest, n, amazon := h.data, 0, false
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatalf("certificate %d: %v", n, err)
		}
		n++
		amazon = amazon || c.Subject.CommonName == "Amazon Root CA 1"
	}
	if n < 100 || !amazon {
		t.Errorf("%s has %d certificates (Amazon Root CA 1: %v), want the NSS roots", image.CertsPath, n, amazon)
	}
}

// TestImageReproducible: the same binary gives the same digest and archive.
func TestImageReproducible(t *testing.T) {
	bin := []byte("\x7fELF not really a binary")
	var digests []v1.Hash
	var archives [][32]byte
	for range 2 {
		img, err := image.Build(image.Options{Binary: bin, Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		digests = append(digests, d)
		dir := t.TempDir()
		if err := image.WriteLayout(filepath.Join(dir, "oci"), img, "x:v1"); err != nil {
			t.Fatal(err)
		}
		if err := image.TarLayout(filepath.Join(dir, "oci"), filepath.Join(dir, "a.tar"), time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "a.tar"))
		archives = append(archives, sha256.Sum256(b))
	}
	if digests[0] != digests[1] || archives[0] != archives[1] {
		t.Errorf("two builds differ: digests %v, archives %x", digests, archives)
	}
}
