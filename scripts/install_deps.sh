#!/usr/bin/env bash
# Installs what building glm4.hpp needs on Debian/Ubuntu. Does nothing when
# everything is already there (no network needed then); otherwise runs
# apt-get non-interactively, through sudo when not root.
set -euo pipefail

DEPS=(build-essential cmake pkg-config libhwy-dev nlohmann-json3-dev libboost-test-dev libeigen3-dev libbenchmark-dev
      libcli11-dev libcpp-httplib-dev nodejs npm)
# --tests: also what only the checks need: clang and its libFuzzer runtime
# (the fuzz targets, scripts/fuzz.sh).
[ "${1:-}" = --tests ] && DEPS+=(clang libclang-rt-dev)

missing=()
for p in "${DEPS[@]}"; do
  # NodeSource's nodejs package ships npm and conflicts with Debian's.
  [ "$p" = npm ] && command -v npm > /dev/null && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "== build dependencies already installed"
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "== installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
