#!/usr/bin/env bash
# make demo / make demo-down: run gitplane against a throwaway Git repo made
# from examples/, on the local control plane (reused when already running).
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=.demo
BIN=.cache/bin
PIDFILE=$DEMO/devcluster.pid
export KUBECONFIG=$PWD/$DEMO/kubeconfig

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

up_controlplane() {
  mkdir -p $DEMO
  if running && [ -f "$KUBECONFIG" ]; then
    echo ">> control plane already running (pid $(cat $PIDFILE)); reusing it"
    return
  fi
  echo ">> starting the local control plane (etcd + kube-apiserver + Karpenter/Istio CRDs)"
  rm -f "$KUBECONFIG"
  nohup $BIN/devcluster --write-kubeconfig "$KUBECONFIG" >$DEMO/devcluster.log 2>&1 &
  echo $! >$PIDFILE
  for _ in $(seq 1 120); do
    grep -q "control plane ready" $DEMO/devcluster.log 2>/dev/null && { grep "control plane ready" $DEMO/devcluster.log; return; }
    running || { cat $DEMO/devcluster.log; echo "control plane failed to start" >&2; exit 1; }
    sleep 0.5
  done
  echo "control plane did not become ready in 60s; see $DEMO/devcluster.log" >&2
  exit 1
}

make_repo() {
  rm -rf $DEMO/repo
  cp -r examples/specs $DEMO/repo
  git -C $DEMO/repo init -q -b main
  git -C $DEMO/repo add -A
  git -C $DEMO/repo -c user.name=demo -c user.email=demo@gitplane.dev commit -qm "initial specs"
  echo ">> spec repo $DEMO/repo at $(git -C $DEMO/repo rev-parse --short HEAD):"
  (cd $DEMO/repo && git ls-files | sed 's/^/   /')
}

run_gitplane() {
  local gp=$BIN/gitplane
  echo ">> gitplane validate $DEMO/repo"
  $gp validate $DEMO/repo
  for env in staging prod; do
    $gp render $DEMO/repo --env $env -o $DEMO/rendered/$env >/dev/null
    echo ">> gitplane render --env $env: $(ls $DEMO/rendered/$env | wc -l) objects in $DEMO/rendered/$env"
  done
  echo ">> the apply engine (gitplane apply) is not built yet: nothing is written to the cluster"
}

case "${1:-up}" in
  up) up_controlplane; make_repo; run_gitplane ;;
  down)
    if running; then
      pid=$(cat $PIDFILE); kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      echo ">> stopped control plane (pid $pid)"
    else
      echo ">> no demo control plane running"
    fi
    rm -f $PIDFILE ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
