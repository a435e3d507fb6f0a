#!/usr/bin/env bash
# Cross-builds every tests/kernels/*_test.cpp for aarch64 and runs it under
# qemu-aarch64: the NEON code paths (Highway's NEON target, which is also
# the quantized formats' integer kernels: int16 products through
# ReorderWidenMulAccumulate = vmlal_s16 / vmlal_high_s16) are tested on an
# x86 host, with -march=armv8-a+crypto (Highway 1.0.3 NEON needs AES); and
# the quantized-dot tests again with +dotprod, where q4_0, q4_1, q4_k, q5_0,
# q5_1, q6_k and q8_0 decode with sdot (GLM4_GEMV_NEON_DOTPROD); and all of
# them for SVE
# (-march=...+sve: Highway's SVE target, scalable for f32/bf16/f16, the
# quantized formats on 128-bit tags) with qemu's vector length at 256 and
# 512 bits (kernels_test at 512 only), where a kernel that assumes 128-bit
# lanes would fail. Then the
# whole model with +dotprod: golden-logit, GGUF and GLM-130B tests (its
# LayerNorm, GeGLU, NeoX rotary, shared-context attention), and the glm4
# command built with cmake/toolchains/aarch64-linux-gnu.cmake.
# Static binaries, Boost.Test header-only (GLM4_TEST_HEADER_ONLY), Highway
# header-only (HWY_COMPILE_ONLY_STATIC: no libhwy at link time). Each test
# is one compile and one emulator process: JOBS (default 2) of them run at
# once (scripts/parallel_jobs.sh), their logs printed when all have ended.
# Usage: scripts/test_arm64.sh [out_dir]   (default build-arm64/)
set -euo pipefail
# Each test prints how many of its cases ran, passed and were skipped.
export BOOST_TEST_REPORT_LEVEL=short BOOST_TEST_COLOR_OUTPUT=no
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/parallel_jobs.sh
OUT=${1:-build-arm64}
CXX=${CXX_ARM64:-aarch64-linux-gnu-g++}

need=()
command -v "$CXX" >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
[ -d /usr/include/boost/test ] || need+=(libboost-test-dev)
[ -f /usr/include/hwy/highway.h ] || need+=(libhwy-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}"
fi

# The cross compiler does not search /usr/include (x86 glibc lives there);
# expose only the architecture-independent header trees the tests need.
mkdir -p "$OUT/include"
for dir in boost hwy nlohmann; do
  [ -e /usr/include/$dir ] && ln -sfn /usr/include/$dir "$OUT/include/$dir"
done

FLAGS=(-std=c++20 -O2 -static -pthread -DHWY_COMPILE_ONLY_STATIC=1 -DGLM4_TEST_HEADER_ONLY
       -Iinclude -Itests -isystem "$OUT/include")
build_and_run() {  # name march source [qemu vector lengths in bits]
  local bin="$OUT/$1" vl
  printf '== [%4ds] %s (%s)\n' "$SECONDS" "$1" "$2"
  "$CXX" "${FLAGS[@]}" "-march=$2" "$3" -o "$bin"
  if [ $# -eq 3 ]; then qemu-aarch64 "$bin"; return; fi
  for vl in "${@:4}"; do
    printf '   SVE %s bits\n' "$vl"
    qemu-aarch64 -cpu "max,sve$vl=on" "$bin"
  done
}
run() { job "$1" build_and_run "$@"; }  # in the background, JOBS at a time
# The whole-model builds' (below) additions.
MODEL_FLAGS=("-DGLM4_TEST_DATA_DIR=\"$PWD/tests/data\"" -O1)

# The glm4 command, cross-built with CMake and the toolchain file (static,
# without the server), through the same end-to-end checks as on x86: greedy
# ids equal transformers' for the reference prompts, text mode equals the
# decoded --ids mode on the folder and every GGUF fixture. The longest job:
# started first.
command_checks() {  # name march [SVE vector length in bits]
  local dir="$OUT/cmake-$1" cpu=max
  [ $# -gt 2 ] && cpu="max,sve$3=on"
  printf '== [%4ds] glm4 command, %s (%s)\n' "$SECONDS" "$1" "$2"
  cmake -S . -B "$dir" --toolchain cmake/toolchains/aarch64-linux-gnu.cmake -DGLM4_AARCH64_MARCH="$2" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DGLM4_BUILD_TESTS=OFF -DGLM4_BUILD_EXAMPLES=OFF -DGLM4_INSTALL=OFF > "$dir.configure.log"
  cmake --build "$dir" --target glm4-cli -j 1 > "$dir.build.log"  # one of the JOBS
  "$CXX" "${FLAGS[@]}" "${MODEL_FLAGS[@]}" "-march=$2" tests/apps/reference_dump.cpp -o "$dir/reference_dump"
  for tool in glm4:bin/glm4 reference_dump:reference_dump; do
    printf '#!/bin/sh\nexec qemu-aarch64 -cpu %s "%s" "$@"\n' "$cpu" "$PWD/$dir/${tool#*:}" > "$dir/${tool%%:*}.sh"
    chmod +x "$dir/${tool%%:*}.sh"
  done
  "$dir/glm4.sh" --version
  for script in run_reference run_text; do
    bash "tests/apps/$script.sh" "$dir/glm4.sh" "$dir/reference_dump.sh" "$PWD/tests/data" "$dir/scratch-$script" ""
  done
}
job glm4_command_dotprod command_checks dotprod armv8.2-a+dotprod+crypto

# The kernel tests (attention's score and value loops run on the target's
# vectors too: key tiles of 4 floats on NEON, up to 16 on SVE).
sources=(tests/kernels/*_test.cpp)
for src in "${sources[@]}"; do
  name=$(basename "$src" .cpp)
  run "$name" armv8-a+crypto "$src"
done
run quant_dot_test_dotprod armv8.2-a+dotprod+crypto tests/kernels/quant_dot_test.cpp
for src in "${sources[@]}"; do
  name=$(basename "$src" .cpp)
  # kernels_test (float dots, threaded matmuls) is the slowest under qemu:
  # at 512 bits only, where a 128-bit assumption shows as much as at 256.
  lengths=(256 512)
  [ "$name" = kernels_test ] && lengths=(512)
  run "${name}_sve" armv8.2-a+sve+crypto "$src" "${lengths[@]}"
done
run quant_dot_test_sve_dotprod armv8.2-a+sve+dotprod+crypto tests/kernels/quant_dot_test.cpp 256

# The whole model: the golden-logit tests (every fixture folder against
# transformers), the GGUF fixtures against llama.cpp's bounds, GLM-130B's
# network against its reference and speculative decoding's exactness (a
# pass over a few tokens computes each as decode does), as on x86, for NEON with the dot-product
# extension (SVE runs the kernel and attention tests above at 256 and 512
# bits; its whole-model run took 160 s under qemu and left the CI budget).
# At -O1: these builds instantiate the whole model (and the command all ten
# file types), and -O1 halves their compile time under the CI budget; the
# checks are of results, which the optimization level does not change.
FLAGS+=("${MODEL_FLAGS[@]}")
for src in tests/model/golden_test.cpp tests/model/gguf_logits_test.cpp tests/model/glm130b_test.cpp \
  tests/model/speculative_test.cpp; do
  run "$(basename "$src" .cpp)_dotprod" armv8.2-a+dotprod+crypto "$src"
done
jobs_finish

printf '== [%4ds] ' "$SECONDS"
echo "arm64 kernel, whole-model and glm4 command tests passed"
