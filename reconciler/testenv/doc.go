// Package testenv is no stage of the loop but its test bed. It runs a real
// local control plane — etcd from Debian and a
// kube-apiserver built from k8s.io/kubernetes — with the upstream Karpenter and
// Istio CRDs loaded. Tests call Config once per test binary; the Makefile
// (`make controlplane`) installs and builds what it needs under .cache/.
package testenv
