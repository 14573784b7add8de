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
  $gp diff $DEMO/repo --env $env --color=always --skip-aws 2>/dev/null || [ $? -eq 1 ]
  echo ">> gitplane apply $DEMO/repo --env $env --prune"
  $gp apply $DEMO/repo --env $env --prune
}

# run_serve runs the GitOps loop on the demo repository (polling every two
# seconds; no GitHub here, so /status shows what commit statuses would say),
# pushes a change, and prints the pull-request preview of another one.
run_serve() {
  local gp=$BIN/gitplane addr=127.0.0.1:18080
  echo ">> gitplane serve --repo $DEMO/repo --env staging --poll '@every 2s' (log: $DEMO/serve.log)"
  $gp serve --repo "$PWD/$DEMO/repo" --env staging --poll '@every 2s' --listen $addr \
    --data-dir $DEMO/serve-data --wait 0 >$DEMO/serve.log 2>&1 &
  local pid=$!
  trap "kill $pid 2>/dev/null" EXIT
  wait_synced "$(git -C $DEMO/repo rev-parse HEAD)"
  echo ">> change models/whisper.yaml (replicas) and commit; polling picks it up"
  sed -i -E 's/max: ([0-9]+)/max: 9/' $DEMO/repo/models/whisper.yaml
  git -C $DEMO/repo -c user.name=demo -c user.email=demo@gitplane.dev commit -qam "whisper: up to 9 replicas"
  wait_synced "$(git -C $DEMO/repo rev-parse HEAD)"
  curl -fsS http://$addr/metrics | grep -E '^gitplane_(reconcile_duration_seconds_count|objects_applied_total)' | sed 's/^/   /'
  kill $pid; wait $pid 2>/dev/null || true; trap - EXIT

  echo ">> a pull request: branch 'bigger-llama' gives the llama Model 2 to 4 replicas; gitplane preview prints the comment serve would post"
  git -C $DEMO/repo checkout -qb bigger-llama
  printf '  replicas: {min: 2, max: 4}\n' >> $DEMO/repo/models/llama.yaml
  git -C $DEMO/repo -c user.name=demo -c user.email=demo@gitplane.dev commit -qam "llama: 2 to 4 replicas"
  git -C $DEMO/repo checkout -q main
  $gp preview $DEMO/repo --env staging --base main --head bigger-llama 2>/dev/null | head -60 || true
}

# wait_synced waits until serve's /status shows staging synced at sha.
wait_synced() {
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:18080/status?format=json" 2>/dev/null | grep -q "\"revision\": \"$1\"" &&
       curl -fsS "http://127.0.0.1:18080/status?format=json" | grep -qE '"result": "(success|failure)"'; then
      echo ">> /status:"; curl -fsS "http://127.0.0.1:18080/status?format=json" | sed 's/^/   /'
      return
    fi
    sleep 0.5
  done
  echo "serve did not sync $1 in 60s; see $DEMO/serve.log" >&2; tail -20 $DEMO/serve.log >&2; exit 1
}

case "${1:-up}" in
  up) up_controlplane; make_repo; run_gitplane; run_serve ;;
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
