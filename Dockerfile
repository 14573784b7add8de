# gitplane's image for people who build with Docker (or Buildah, Podman,
# Kaniko). `make image` builds the same image without a daemon
# (cmd/imagebuild): static binary, CA certificates, user 65532.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t ghcr.io/gitplane/gitplane:<version> .
#
# VERSION is the tag render gives Gateways that set no spec.image, so tag
# the image with it.

FROM golang:1.26-bookworm AS build
ENV GOTOOLCHAIN=local CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/gitplane/gitplane/render/version.Version=${VERSION}" \
      -o /out/gitplane ./cmd/gitplane

# distroless static: CA certificates, /etc/passwd with nonroot (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title=gitplane \
      org.opencontainers.image.source=https://github.com/gitplane/gitplane \
      org.opencontainers.image.version=${VERSION}
COPY --from=build /out/gitplane /usr/local/bin/gitplane
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/gitplane"]
