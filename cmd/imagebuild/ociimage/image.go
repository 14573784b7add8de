// Package image builds gitplane's OCI image without a container daemon
// (go-containerregistry): a static gitplane binary, CA certificates from
// golang.org/x/crypto/x509roots/fallback (the NSS trust store), a non-root
// user 65532 and nothing else, distroless-static style. The same binary and
// version give the same image digest.
package ociimage

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Paths and identity inside the image.
const (
	BinaryPath = "/usr/local/bin/gitplane"
	CertsPath  = "/etc/ssl/certs/ca-certificates.crt"
	UID        = 65532
	User       = "65532:65532"
	Home       = "/home/nonroot"
)

// Options describe the image.
type Options struct {
	// Binary is the static gitplane executable (CGO_ENABLED=0).
	Binary []byte
	// Version is the build's version (an image label).
	Version string
	// OS and Arch are the binary's platform. Default linux/amd64.
	OS, Arch string
	// Created is the time of every file and of the image config; the zero
	// value means the Unix epoch, so rebuilds are byte for byte equal.
	Created time.Time
	// Source is the repository URL for the org.opencontainers.image.source label.
	Source string
}

// Build returns the image: a base layer (users, CA certificates, /tmp, home)
// and an app layer (the binary), run as 65532 with gitplane as entrypoint.
func Build(opts Options) (v1.Image, error) {
	if len(opts.Binary) == 0 {
		return nil, fmt.Errorf("building image: no binary")
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	created = created.UTC()
	base, err := layer(baseFiles(), created)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	app, err := layer([]file{{path: "usr/local/bin/", dir: true}, {path: BinaryPath[1:], mode: 0o755, data: opts.Binary}}, created)
	if err != nil {
		return nil, fmt.Errorf("app layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "gitplane base: users, CA certificates", Comment: "cmd/imagebuild"}},
		mutate.Addendum{Layer: app, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "gitplane " + opts.Version, Comment: "cmd/imagebuild"}})
	if err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = or(opts.OS, "linux"), or(opts.Arch, "amd64")
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		User:       User,
		Entrypoint: []string{BinaryPath},
		WorkingDir: Home,
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=" + CertsPath, "HOME=" + Home},
		Labels: map[string]string{
			"org.opencontainers.image.title":   "gitplane",
			"org.opencontainers.image.version": opts.Version,
			"org.opencontainers.image.source":  opts.Source,
		},
	}
	return mutate.ConfigFile(img, cf)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// file is one entry of a layer.
type file struct {
	path string // without the leading slash
	dir  bool
	mode int64
	data []byte
}

func baseFiles() []file {
	return []file{
		{path: "etc/", dir: true},
		{path: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{path: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnonroot:x:65532:\n")},
		{path: "etc/nsswitch.conf", mode: 0o644, data: []byte("hosts: files dns\n")},
		{path: "etc/ssl/", dir: true},
		{path: "etc/ssl/certs/", dir: true},
		{path: CertsPath[1:], mode: 0o644, data: caBundle()},
		{path: "home/", dir: true},
		{path: "home/nonroot/", dir: true, mode: 0o700},
		{path: "tmp/", dir: true, mode: 0o1777},
	}
}

// caBundle is the NSS roots as PEM. Roots with constraints a PEM file cannot
// carry (distrust after a date) are left out rather than trusted fully.
func caBundle() []byte {
	var b bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate})
	}
	return b.Bytes()
}

// layer writes files into a gzipped tar layer, owned by root except the
// home directory, with one fixed time.
func layer(files []file, created time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.path, ModTime: created, Mode: f.mode, Format: tar.FormatPAX}
		if f.path == "home/nonroot/" {
			h.Uid, h.Gid = UID, UID
		}
		if f.dir {
			h.Typeflag = tar.TypeDir
			if h.Mode == 0 {
				h.Mode = 0o755
			}
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
}
