// Command image builds gitplane's OCI image without a container daemon
// (make image): the static binary given, CA certificates, user 65532, into
// an OCI layout directory and an OCI archive next to it.
//
//	go run ./cmd/imagebuild --binary .cache/image/gitplane-linux-amd64 --version v0.3.0 --out .cache/image
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	image "github.com/gitplane/gitplane/cmd/imagebuild/ociimage"
	gpversion "github.com/gitplane/gitplane/render/version"
)

func main() {
	binary := flag.String("binary", "", "static gitplane binary (CGO_ENABLED=0, GOOS=linux)")
	version := flag.String("version", "dev", "version label and tag")
	arch := flag.String("arch", "amd64", "the binary's GOARCH")
	out := flag.String("out", ".cache/image", "output directory: <out>/oci (layout) and <out>/gitplane.tar (OCI archive)")
	repo := flag.String("repository", "ghcr.io/gitplane/gitplane", "image repository for the ref name")
	flag.Parse()
	if err := run(*binary, *version, *arch, *out, *repo); err != nil {
		slog.Error("image build failed", "err", err)
		os.Exit(1)
	}
}

func run(binary, version, arch, out, repo string) error {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return fmt.Errorf("reading the binary: %w", err)
	}
	created := time.Unix(0, 0)
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		created = time.Unix(sec, 0)
	}
	img, err := image.Build(image.Options{Binary: bin, Version: version, Arch: arch, Created: created, Source: "https://github.com/gitplane/gitplane"})
	if err != nil {
		return err
	}
	gpversion.Version = version
	ref := repo + ":" + gpversion.Tag() // the tag render gives Gateways
	layoutDir, archive := filepath.Join(out, "oci"), filepath.Join(out, "gitplane.tar")
	if err := image.WriteLayout(layoutDir, img, ref); err != nil {
		return err
	}
	if err := image.TarLayout(layoutDir, archive, created); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s\n  layout  %s\n  archive %s (docker load -i / podman load -i / skopeo copy oci-archive:%s docker://%s)\n",
		ref, digest, layoutDir, archive, archive, ref)
	return nil
}
