#!/usr/bin/env bash
# Builds every tests/kernels/*_test.cpp (and attention's test) for the other
# x86 targets the kernels have paths for, and runs them where this CPU can:
#   x86-64-v3 (+aes, pclmul)  AVX2: the int16 kernels, no VNNI; q4_0's, q4_k's
#                             and q6_k's AVX2 int8 decode kernels
#   cascadelake               AVX-512 VNNI without VBMI: int8 prefill panels,
#                             the same AVX2 int8 decode, int16 decode for the
#                             other formats (their int8 kernels need VBMI)
# (-march=native, the main build, covers VNNI + VBMI on a machine that has it.)
# Builds and runs JOBS (default 2) at once (scripts/parallel_jobs.sh).
# Usage: scripts/test_x86_targets.sh [out_dir]   (default build-x86-targets/)
set -euo pipefail
# Each test prints how many of its cases ran, passed and were skipped.
export BOOST_TEST_REPORT_LEVEL=short BOOST_TEST_COLOR_OUTPUT=no
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/parallel_jobs.sh
OUT=${1:-build-x86-targets}
mkdir -p "$OUT"
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)

run() {  # name "march flags" needed-cpu-flag source
  if [[ " $flags " != *" $3 "* ]]; then
    printf '== %s (-march=%s): skipped, this CPU lacks %s\n' "$1" "$2" "$3"
    return
  fi
  job "$1" build_and_run "$@"
}

build_and_run() {  # name "march flags" needed-cpu-flag source
  printf '== %s (-march=%s)\n' "$1" "$2"
  # shellcheck disable=SC2086
  g++ -std=c++20 -O2 -march=$2 -DHWY_COMPILE_ONLY_STATIC=1 -DGLM4_TEST_HEADER_ONLY -Iinclude -Itests "$4" \
    -o "$OUT/$1" -pthread
  "$OUT/$1"
}

for src in tests/kernels/*_test.cpp; do
  name=$(basename "$src" .cpp)
  run "${name}_avx2" "x86-64-v3 -maes -mpclmul" avx2 "$src"
  run "${name}_avx512vnni" cascadelake avx512_vnni "$src"
done
jobs_finish
echo "x86 target kernel tests passed"
