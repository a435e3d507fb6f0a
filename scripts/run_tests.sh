#!/usr/bin/env bash
# The full check, as CI runs it (.ci/run):
#   1. Release build of everything in build/, the whole test suite;
#   2. every ```cpp block of README.md and docs/*.md compiled
#      (scripts/check_doc_snippets.sh, -fsyntax-only), so the docs keep up;
#   3. AddressSanitizer + UBSan build in build-asan/, the tests of the
#      error paths (bad and truncated files), where memory bugs would hide;
#   4. `cmake --install` to a temporary prefix and tests/consumer built
#      against it with find_package, as a user's project would;
#   5. the kernel tests cross-built for aarch64 and run under qemu;
#   6. the kernel tests built for the other x86 targets (AVX2; AVX-512 VNNI
#      without VBMI), run where the CPU has them.
# JOBS (default 2) sets build and test parallelism; ASAN_TESTS the ctest
# regex of stage 3 ('.' runs the whole suite under the sanitizers).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JOBS=${JOBS:-2}
ASAN_TESTS=${ASAN_TESTS:-'error|bad|gguf|safetensors'}

stage() { printf '\n== [%4ds] %s\n' "$SECONDS" "$*"; }
SECONDS=0

bash scripts/install_deps.sh

stage "1/6 Release build and full test suite (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$JOBS"
ctest --test-dir build --output-on-failure -j "$JOBS"

stage "2/6 README.md and docs/*.md code blocks compile"
SNIPPET_JOBS=$JOBS bash scripts/check_doc_snippets.sh

stage "3/6 ASan + UBSan build, tests matching /$ASAN_TESTS/ (build-asan/)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLM4_BUILD_EXAMPLES=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# Every test executable is named like its test, so only the chosen ones are built.
mapfile -t asan_targets < <(ctest --test-dir build-asan -N -R "$ASAN_TESTS" 2>/dev/null |
                            sed -n 's/^ *Test *#[0-9]*: *//p')
if [ ${#asan_targets[@]} -eq 0 ]; then
  echo "no test matches /$ASAN_TESTS/" >&2
  exit 1
fi
cmake --build build-asan -j "$JOBS" --target "${asan_targets[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$JOBS" -R "$ASAN_TESTS"

stage "4/6 install, then tests/consumer built against the installed package"
prefix=$(mktemp -d /tmp/glm4-install.XXXXXX)
consumer_build=$(mktemp -d /tmp/glm4-consumer.XXXXXX)
trap 'rm -rf "$prefix" "$consumer_build"' EXIT
cmake --install build --prefix "$prefix"
cmake -S tests/consumer -B "$consumer_build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix"
cmake --build "$consumer_build" -j "$JOBS"
"$consumer_build/consumer" tests/data/models/glm4-small

stage "5/6 kernel tests on ARM64 (cross-built, run under qemu-aarch64)"
bash scripts/test_arm64.sh build-arm64

stage "6/6 kernel tests for the AVX2 and AVX-512 VNNI (no VBMI) targets"
bash scripts/test_x86_targets.sh build-x86-targets

stage "all checks passed"
