#!/usr/bin/env bash
# glm4 serve end to end: starts the server on the small shipped model on a
# free loopback port, checks it with plain curl, then with the official
# openai npm client (server.test.mjs). The servers are always killed.
#
#   run_server_tests.sh GLM4_BINARY MODEL_DIR
#
# Exit: 0 passed, 1 failed, 77 skipped (node or npm is not installed; the
# curl checks have still run).
set -euo pipefail

glm4=${1:?usage: run_server_tests.sh GLM4_BINARY MODEL_DIR}
model=${2:?usage: run_server_tests.sh GLM4_BINARY MODEL_DIR}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# start NAME ARGS...: `glm4 serve` on port 0 (the kernel picks a free one);
# sets PORT from its "listening on http://127.0.0.1:PORT" line.
start() {
  local name=$1
  shift
  : >"$work/$name.log"
  "$glm4" serve "$model" --host 127.0.0.1 --port 0 -t 1 "$@" 2>"$work/$name.log" &
  pids+=($!)
  PORT=
  for _ in $(seq 1 300); do  # 30 s at most
    PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$work/$name.log" || true)
    [[ -n $PORT ]] && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/$name.log" >&2; fail "$name: glm4 serve exited"; }
    sleep 0.1
  done
  [[ -n $PORT ]] || { cat "$work/$name.log" >&2; fail "$name: not listening after 30 s"; }
  curl -sf --max-time 5 "http://127.0.0.1:$PORT/health" >/dev/null || fail "$name: /health does not answer"
}

# expect STATUS METHOD PATH [BODY]: the status, and the body in $work/body.
expect() {
  local status=$1 method=$2 path=$3 body=${4:-}
  local args=(-s --max-time 60 -o "$work/body" -w '%{http_code}' -X "$method" "http://127.0.0.1:$PORT$path")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  local got
  got=$(curl "${args[@]}") || true
  [[ $got == "$status" ]] || fail "$method $path: HTTP $got, expected $status: $(cat "$work/body")"
}
body_has() { grep -q -- "$1" "$work/body" || fail "response lacks $1: $(cat "$work/body")"; }

# 512: a prompt with a tool declared is some 350 tokens.
start main -c 512 --parallel 2 --queue 2 --alias glm4-small
main_port=$PORT
echo "glm4 serve on 127.0.0.1:$main_port"

expect 200 GET /health
body_has '"status":"ok"'
expect 200 GET /v1/models
body_has '"id":"glm4-small"'
expect 200 POST /v1/chat/completions '{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8,"temperature":0}'
body_has '"object":"chat.completion"'
body_has '"finish_reason"'
expect 200 POST /completions '{"prompt":"Hello","max_tokens":4}'
body_has '"object":"text_completion"'
expect 400 POST /v1/chat/completions '{"messages": ['
body_has '"type":"invalid_request_error"'
expect 400 POST /v1/chat/completions '{"messages":[{"role":"user","content":"Hi"}],"max_tokens":"many"}'
body_has '"param":"max_tokens"'
# Bytes that are not UTF-8: the parse error quoting them is still a 400.
expect 400 POST /v1/completions $'{"prompt":"caf\xc3\x28\xff"}'
body_has '"code":"invalid_json"'
expect 404 GET /v1/nowhere
body_has '"error"'
# A stream ends with [DONE].
curl -sN --max-time 60 -H 'Content-Type: application/json' \
  -d '{"messages":[{"role":"user","content":"Hi"}],"max_tokens":4,"stream":true}' \
  "http://127.0.0.1:$main_port/v1/chat/completions" >"$work/stream"
tail -n 2 "$work/stream" | grep -q '^data: \[DONE\]$' || fail "the stream does not end with data: [DONE]: $(cat "$work/stream")"
echo "curl checks passed"

start keyed -c 128 --api-key secret-key
keyed_port=$PORT
expect 401 GET /v1/models
body_has '"code":"invalid_api_key"'
expect 200 GET /health

start drafted -c 512 --draft 6 --draft-ngram-min 1 --alias glm4-small
drafted_port=$PORT

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed for the openai client tests (Debian: apt-get install nodejs npm)"
  exit 77
fi
(cd "$here" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $here"
BASE_URL="http://127.0.0.1:$main_port/v1" KEYED_BASE_URL="http://127.0.0.1:$keyed_port/v1" API_KEY=secret-key \
  DRAFTED_BASE_URL="http://127.0.0.1:$drafted_port/v1" \
  timeout 300 node --test --test-concurrency=1 "$here/server.test.mjs"

# SIGTERM: the server finishes what it is doing and exits 0.
kill -TERM "${pids[0]}"
for _ in $(seq 1 100); do kill -0 "${pids[0]}" 2>/dev/null || break; sleep 0.1; done
wait "${pids[0]}" && echo "SIGTERM: exited 0" || fail "glm4 serve did not exit 0 on SIGTERM: $(tail -3 "$work/main.log")"
