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
  local env=staging
  echo ">> gitplane apply $DEMO/repo --env $env --prune (first sync: everything is created)"
  $gp apply $DEMO/repo --env $env --prune
  echo ">> gitplane apply again: a no-op, nothing is written"
  $gp apply $DEMO/repo --env $env --prune | tail -1
  echo ">> change one spec: models/llama.yaml gets a new image tag"
  sed -i -E 's#(image: [^:]+:)[^ ]+#\1demo-'"$(date +%s)"'#' $DEMO/repo/models/llama.yaml
  git -C $DEMO/repo -c user.name=demo -c user.email=demo@gitplane.dev commit -qam "llama: new image"
  echo ">> gitplane diff $DEMO/repo --env $env (exit 1: there are changes)"
  $gp diff $DEMO/repo --env $env --color=always || [ $? -eq 1 ]
  echo ">> gitplane apply $DEMO/repo --env $env --prune"
  $gp apply $DEMO/repo --env $env --prune
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
