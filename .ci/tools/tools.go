//go:build tools

// Package tools pins the Kubernetes binaries gitplane's tests run against.
// The Makefile builds kube-apiserver from this module; nothing imports it.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
