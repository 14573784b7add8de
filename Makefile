# gitplane — build, test, benchmark and demo.
#
# Everything the tests need is installed or built here, so a fresh clone only
# needs Go, git and apt: etcd from Debian, kube-apiserver built from
# k8s.io/kubernetes through the Go module proxy (.ci/tools), and the upstream
# Karpenter and Istio CRDs read from the Go module cache.

SHELL        := /bin/bash
export GOTOOLCHAIN := local
# Static binaries, as kubectl's: no libc, and kustomize's Go-plugin loader
# (which gitplane disables) no longer makes the linker export every symbol:
# a third smaller, and 30 MiB less resident memory per gitplane process.
export CGO_ENABLED := 0

CACHE        := $(CURDIR)/.cache
BIN          := $(CACHE)/bin
CRDS         := $(CACHE)/crds
KUBE_VERSION := $(shell awk '$$1=="require" && $$2=="k8s.io/kubernetes" {print $$3}' .ci/tools/go.mod)
KARPENTER    := github.com/aws/karpenter-provider-aws@v1.15.1
ISTIO_API    := istio.io/api@v1.31.4

export KUBEBUILDER_ASSETS := $(BIN)
export GITPLANE_CRDS      := $(CRDS)

# The version goes into the binary (gitplane version, and the image render
# gives Gateways: ghcr.io/gitplane/gitplane:<version>) and tags make image.
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -s -w -X github.com/gitplane/gitplane/render/version.Version=$(VERSION)
IMAGE_DIR    := $(CACHE)/image
IMAGE_ARCH   ?= $(shell go env GOARCH)

.PHONY: all build image test test-shared vet unit bench demo demo-gateway demo-down FORCE controlplane redis crds clean help

all: build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build the gitplane CLI (and the demo's devcluster) into .cache/bin
	@mkdir -p $(BIN)
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/gitplane ./cmd/gitplane
	go build -o $(BIN)/devcluster ./cmd/devcluster

# No Docker daemon: go-containerregistry writes the image (cmd/imagebuild).
# docker load -i .cache/image/gitplane.tar, or push it with crane/skopeo.
image: ## build the OCI image (static binary, CA certificates, user 65532) into .cache/image
	@mkdir -p $(IMAGE_DIR)
	GOOS=linux GOARCH=$(IMAGE_ARCH) go build -trimpath -ldflags '$(LDFLAGS)' -o $(IMAGE_DIR)/gitplane-linux-$(IMAGE_ARCH) ./cmd/gitplane
	go run ./cmd/imagebuild --binary $(IMAGE_DIR)/gitplane-linux-$(IMAGE_ARCH) --version $(VERSION) --arch $(IMAGE_ARCH) --out $(IMAGE_DIR)

controlplane: $(BIN)/etcd $(BIN)/kube-apiserver crds ## install etcd, build kube-apiserver, fetch CRDs

# The gateway's rate-limit tests share a real redis-server between two
# gateway processes (gateway/internal/redistest finds it on PATH).
redis: $(BIN)/redis-server ## install redis-server (Debian) for the gateway tests

$(BIN)/redis-server:
	@mkdir -p $(BIN)
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo ">> installing redis-server from Debian"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server >/dev/null; }
	ln -sf "$$(command -v redis-server)" $@

$(BIN)/etcd:
	@mkdir -p $(BIN)
	@command -v etcd >/dev/null 2>&1 || { \
	  echo ">> installing etcd-server from Debian"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq etcd-server >/dev/null; }
	ln -sf "$$(command -v etcd)" $@

# go mod download exits non-zero for modules whose go line is newer than ours
# (karpenter-provider-aws), but still downloads the zip and prints its path.

# The binary's name carries the version so that bumping .ci/tools/go.mod rebuilds it.
$(BIN)/kube-apiserver: $(BIN)/kube-apiserver-$(KUBE_VERSION)
	ln -sf kube-apiserver-$(KUBE_VERSION) $@

$(BIN)/kube-apiserver-$(KUBE_VERSION): .ci/tools/go.mod .ci/tools/go.sum
	@mkdir -p $(BIN)
	@echo ">> building kube-apiserver $(KUBE_VERSION) (first build takes a few minutes)"
	cd .ci/tools && go build -o $@ k8s.io/kubernetes/cmd/kube-apiserver

crds: $(CRDS)/.done

$(CRDS)/.done: Makefile
	@mkdir -p $(CRDS)
	@echo ">> extracting CRDs: $(KARPENTER), $(ISTIO_API)"
	@set -euo pipefail; \
	modzip() { (cd /tmp && go mod download -json "$$1" || true) | sed -n 's/.*"Zip": "\(.*\)",/\1/p'; }; \
	kz=$$(modzip $(KARPENTER)); iz=$$(modzip $(ISTIO_API)); \
	test -f "$$kz" || { echo "module zip of $(KARPENTER) not found"; exit 1; }; \
	test -f "$$iz" || { echo "module zip of $(ISTIO_API) not found"; exit 1; }; \
	for f in karpenter.sh_nodepools karpenter.k8s.aws_ec2nodeclasses karpenter.sh_nodeclaims; do \
	  unzip -p "$$kz" "$(KARPENTER)/pkg/apis/crds/$$f.yaml" > $(CRDS)/$$f.yaml; done; \
	unzip -p "$$iz" "$(ISTIO_API)/kubernetes/customresourcedefinitions.gen.yaml" > $(CRDS)/istio.yaml
	@touch $@

vet:
	go vet ./...

test: controlplane redis vet ## install what is missing, vet, run all tests (integration included)
	go test -count=1 -shuffle=on ./...

test-shared: controlplane redis build ## the whole suite twice, shuffled, on one shared control plane (cmd/devcluster)
	@.ci/test-shared.sh

unit: ## fast tests only (no control plane)
	go test -short ./...

bench: controlplane build ## run the benchmarks and print figures
	GITPLANE_BIN=$(BIN)/gitplane go test -run '^$$' -bench . -benchmem -benchtime=1x -timeout 60m ./...

demo: controlplane redis build $(BIN)/gatewaydemo ## start the local control plane, run gitplane against examples/, then the AI gateway
	@.ci/demo.sh up

demo-gateway: redis build $(BIN)/gatewaydemo ## only the AI gateway part of the demo (no control plane)
	@.ci/demo.sh gateway

$(BIN)/gatewaydemo: FORCE
	go build -o $@ ./.ci/gatewaydemo

FORCE:

demo-down: ## stop what demo started
	@.ci/demo.sh down

clean:
	rm -rf $(CACHE)
