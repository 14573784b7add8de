// Package version is gitplane's build version: one value for `gitplane
// version`, the image tag render gives a Gateway's runtime, and `make image`.
package version

import "strings"

// Version is set at link time (the Makefile passes
// -ldflags "-X github.com/gitplane/gitplane/render/version.Version=<git describe>");
// "dev" in tests and plain go builds, so renders are deterministic.
var Version = "dev"

// ImageRepository is where gitplane's own image is published.
const ImageRepository = "ghcr.io/gitplane/gitplane"

// Tag is Version as an OCI tag: characters a tag may not hold ('+', '/',
// ...) become '-', and it is cut to 128 characters.
func Tag() string {
	t := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '-'
	}, Version)
	if t == "" || t[0] == '.' || t[0] == '-' {
		t = "v" + t
	}
	return t[:min(len(t), 128)]
}

// Image is gitplane's own image at this build's version.
func Image() string { return ImageRepository + ":" + Tag() }
