#!/usr/bin/env bash
# make test-shared: start one control plane (cmd/devcluster), run every test
# package against it twice with the tests in shuffled order, stop it. Proves
# that each test owns its namespaces and Environments: no test depends on
# which tests ran before it, on this run or the previous one.
set -euo pipefail
BIN=${BIN:-.cache/bin}
dir=$(mktemp -d)
kubeconfig=$dir/kubeconfig
"$BIN/devcluster" --write-kubeconfig "$kubeconfig" >"$dir/devcluster.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do
  grep -q "control plane ready" "$dir/devcluster.log" && break
  kill -0 $pid 2>/dev/null || { cat "$dir/devcluster.log"; exit 1; }
  sleep 1
done
grep "control plane ready" "$dir/devcluster.log"
for run in 1 2; do
  echo "== run $run of 2 on the shared control plane"
  GITPLANE_TEST_KUBECONFIG=$kubeconfig go test -count=1 -shuffle=on ./...
done
