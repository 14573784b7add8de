#!/usr/bin/env bash
# make demo / make demo-down: run gitplane against a throwaway Git repo made
# from examples/, on the local control plane (reused when already running),
# then the AI gateway on the rendered config (`.ci/demo.sh gateway` alone).
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

# run_gateway starts `gitplane gateway` on the config rendered from
# examples/specs (staging), pointed at local stand-ins: Bedrock and SageMaker
# (gateway/provider/awsfake, SigV4 checked), a model server, and a real
# redis-server with a password. It shows a completion, a stream, a 401, a
# 403, a 429, a fallback, the access log and the metrics.
run_gateway() {
  local gp=$BIN/gitplane gd=$BIN/gatewaydemo dir=$DEMO/gateway
  local api=http://127.0.0.1:18180 metrics=http://127.0.0.1:18190
  local pids=()
  rm -rf $dir; mkdir -p $dir
  stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
  trap stop_all EXIT
  echo ">> the AI gateway: gitplane gateway on the config rendered from examples/specs (staging)"
  head -c 18 /dev/urandom | base64 | tr -d '+/=\n' > $dir/redis-password
  redis-server --port 18184 --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --requirepass "$(cat $dir/redis-password)" >$dir/redis.log 2>&1 &
  pids+=($!)
  $gd config --specs examples/specs --env staging --out $dir --redis-password-file $dir/redis-password
  $gd aws >$dir/aws.log 2>&1 & pids+=($!)
  $gd model >$dir/model.log 2>&1 & local model=$!; pids+=($model)
  (set -a; . $dir/aws.env; exec $gp gateway --config $dir/config.yaml) >$dir/access.log 2>$dir/gateway.err &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fsS $metrics/readyz >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS $metrics/readyz >/dev/null || { cat $dir/gateway.err $dir/access.log >&2; exit 1; }
  echo "   stand-ins: $(cat $dir/aws.log) · $(cat $dir/model.log); redis-server 127.0.0.1:18184 (password from a file)"
  key() { cat $dir/keys/$1; }
  chat() { # caller model [extra JSON fields]
    curl -sS $api/v1/chat/completions -H "Authorization: Bearer $(key $1)" -H 'Content-Type: application/json' \
      -d "{\"model\": \"$2\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]${3:+, $3}}" "${@:4}"
  }
  echo ">> team-search → claude-sonnet (Bedrock Converse, SigV4): a completion"
  chat team-search claude-sonnet | jq -c '{model, content: .choices[0].message.content, usage}' | sed 's/^/   /'
  echo ">> team-other (not listed: all routes) → llama-3-8b (the Model), streamed with usage"
  chat team-other llama-3-8b '"stream": true, "stream_options": {"include_usage": true}' -N | sed -n 's/^data: //p' |
    grep -v '^\[DONE\]' | jq -rc 'if .choices == [] then "(usage chunk) \(.usage)" else "chunk \(.choices[0].delta | tostring)" end' | sed 's/^/   /'
  echo ">> team-fraud → fraud-scorer (SageMaker InvokeEndpoint)"
  chat team-fraud fraud-scorer | jq -c '{model, content: .choices[0].message.content}' | sed 's/^/   /'
  echo ">> a wrong key: 401"
  curl -sS -o /dev/stderr -w '   HTTP %{http_code}\n' $api/v1/chat/completions -H 'Authorization: Bearer sk-wrong' \
    -d '{"model": "claude-sonnet", "messages": []}' 2> >(jq -c .error | sed 's/^/   /')
  sleep 0.1
  echo ">> team-fraud → claude-sonnet (not in its routes): 403"
  chat team-fraud claude-sonnet | jq -c .error | sed 's/^/   /'
  echo ">> team-search asks for 500000 tokens; its limit is 400000 tokens/min: 429 at once"
  chat team-search claude-sonnet '"max_tokens": 500000' | jq -c .error | sed 's/^/   /'
  echo ">> team-search sends 40 requests at once; 300/min with a burst of 30 (counted in Redis): 429s with Retry-After"
  # the loop runs in the pipeline's subshell: sort ends when the last curl does
  for i in $(seq 1 40); do chat team-search claude-sonnet '' -D $dir/burst.$i -o /dev/null -w '%{http_code}\n' & done |
    sort | uniq -c | sed 's/^ */   /'
  grep -ilE '^HTTP/1.1 429' $dir/burst.* | head -1 | xargs grep -iE '^(HTTP|retry-after|x-ratelimit-(limit|remaining|reset)-requests)' |
    tr -d '\r' | sed 's/^/   /'
  echo ">> the model server is gone (a spot interruption): llama-3-8b falls back to claude-sonnet"
  kill $model; wait $model 2>/dev/null || true
  chat team-other llama-3-8b | jq -c '{model, content: .choices[0].message.content}' | sed 's/^/   /'
  sleep 0.3 # the gateway writes its access log in batches, every 100 ms
  echo ">> the access log: one JSON line per request, no prompt or completion text (one line per caller, model, route and status here):"
  jq -sc 'map(select(.caller != null)) | unique_by([.caller, .model, .route, .status]) | .[] |
    {caller, model, route, status, input_tokens, output_tokens, cost_usd, ttft_ms, latency_ms}' <$dir/access.log | sed 's/^/   /'
  echo ">> metrics ($metrics/metrics):"
  curl -fsS $metrics/metrics | grep -E '^gitplane_gateway_(requests_total|tokens_total|fallbacks_total|cost_usd_total|rate_limited_total)' | sed 's/^/   /'
  stop_all; trap - EXIT
}

case "${1:-up}" in
  up) up_controlplane; make_repo; run_gitplane; run_serve; run_gateway ;;
  gateway) run_gateway ;;
  down)
    if running; then
      pid=$(cat $PIDFILE); kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      echo ">> stopped control plane (pid $pid)"
    else
      echo ">> no demo control plane running"
    fi
    rm -f $PIDFILE ;;
  *) echo "usage: $0 up|gateway|down" >&2; exit 2 ;;
esac
