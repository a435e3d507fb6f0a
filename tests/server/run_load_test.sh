#!/usr/bin/env bash
# glm4 serve under load and faults (load_test.mjs): SECONDS of CLIENTS
# concurrent clients (default 16) on the small shipped model, then SIGTERM
# with streams in flight. The node script starts and stops the server itself.
#
#   run_load_test.sh GLM4_BINARY MODEL_DIR SECONDS [CLIENTS]
#
# Exit: 0 passed, 1 failed, 77 skipped (node or npm is not installed).
set -euo pipefail

usage='usage: run_load_test.sh GLM4_BINARY MODEL_DIR SECONDS [CLIENTS]'
glm4=${1:?$usage}
model=${2:?$usage}
seconds=${3:?$usage}
clients=${4:-16}
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed for the load test (Debian: apt-get install nodejs npm)"
  exit 77
fi
if [[ ! -d $here/node_modules/openai ]]; then
  (cd "$here" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || { echo "FAIL: npm ci in $here" >&2; exit 1; }
fi
# A sanitizer's allocator holds freed memory back (ASan's quarantine), so
# resident memory says nothing about leaks there; LeakSanitizer does.
if grep -qaE '__(asan|tsan)_init' "$glm4"; then
  export LOAD_RSS_UNCHECKED="a sanitizer build, whose allocator keeps freed memory"
fi
# The run's own bound: the load, the warm-up and the SIGTERM check, with room.
timeout $((seconds + 240)) node "$here/load_test.mjs" "$glm4" "$model" "$seconds" "$clients"
