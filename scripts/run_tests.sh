#!/usr/bin/env bash
# The full check, as CI runs it (.ci/run):
#   1. the folders of include/glm4 include each other without a cycle
#      (scripts/check_layering.sh); everything (library tests, the glm4
#      command's end-to-end scripts, the server over HTTP with the openai
#      client and a short load test, the examples) built with AddressSanitizer
#      and UBSan in build-asan/ and the whole suite run there, then the count
#      of cases skipped on this CPU. The optimized builds are stages 4-6's;
#   2. every ```cpp block of README.md and docs/*.md compiled
#      (scripts/check_doc_snippets.sh, -fsyntax-only), so the docs keep up;
#   3. ThreadSanitizer (build-tsan/): the thread pool, sessions sharing one
#      model from several threads, threads' calls meeting in the step
#      batcher's shared passes, and the server's request handling (its
#      slots, queue and cancellation, with requests on many threads);
#   4. the libFuzzer targets of tests/fuzz (clang, build-fuzz/): each replays
#      its committed corpus, then mutates for FUZZ_SECONDS (scripts/fuzz.sh);
#   5. the ways into the library, each built (Release, -march=native) and run
#      as a user's project would: `cmake --install` to a temporary prefix
#      (no lib/ in it) with tests/consumer (find_package), the same program
#      through pkg-config, test_package/ (the Conan recipe's test, without
#      Conan); tests/consumer_subdir (add_subdirectory),
#      tests/consumer_fetchcontent (FetchContent of this checkout); the vcpkg
#      port's steps (scripts/test_vcpkg_port.sh); JOBS of them at once;
#   6. ARM64 under qemu: the kernel and attention tests for NEON, +dotprod
#      and SVE; the golden-logit, GGUF and GLM-130B tests and the glm4
#      command (cmake/toolchains/aarch64-linux-gnu.cmake) with +dotprod;
#   7. the kernel tests built for the other x86 targets (AVX2; AVX-512 VNNI
#      without VBMI), run where the CPU has them.
# JOBS (default 2) sets build and test parallelism (stages 5-7 run their
# one-compile steps JOBS at a time: scripts/parallel_jobs.sh); FUZZ_SECONDS
# (default 15, for the 45-minute budget; `scripts/fuzz.sh campaign` is the
# long run) each fuzz target's mutation time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}

stage() { printf '\n== [%4ds] %s\n' "$SECONDS" "$*"; }
SECONDS=0

bash scripts/install_deps.sh --tests

# -Og: 0.6x the compile time of -O1 under ASan + UBSan (the stage-1 build,
# 2 jobs: 919 s against 1593 s) for the same test time (151 s against
# 145 s); -g1: line tables for the reports, a third less compile time than -g.
sanitized_build() {  # DIR SANITIZER_FLAGS [cmake args...]
  local dir=$1 flags=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-Og -g1" \
    -DCMAKE_CXX_FLAGS="$flags -fno-omit-frame-pointer" "$@"
}

stage "1/7 ASan + UBSan build of everything and the whole test suite (build-asan/)"
bash scripts/check_layering.sh >/dev/null  # the include folders form no cycle
sanitized_build build-asan "-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$JOBS"
bash scripts/report_skipped.sh build-asan

stage "2/7 README.md and docs/*.md code blocks compile"
SNIPPET_JOBS=$JOBS bash scripts/check_doc_snippets.sh

stage "3/7 ThreadSanitizer: thread pool, sessions sharing a model, step batcher, server (build-tsan/)"
tsan_tests=(runtime_thread_pool model_shared_model model_step_batcher server_engine_test)
sanitized_build build-tsan "-fsanitize=thread" -DGLM4_BUILD_EXAMPLES=OFF -DGLM4_BUILD_APPS=OFF
cmake --build build-tsan -j "$JOBS" --target "${tsan_tests[@]}"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan --output-on-failure -j "$JOBS" -R "^($(IFS='|'; echo "${tsan_tests[*]}"))\$"

stage "4/7 libFuzzer targets: corpus replay and ${FUZZ_SECONDS} s of mutation each (build-fuzz/)"
bash scripts/fuzz.sh build build-fuzz
bash scripts/fuzz.sh replay build-fuzz
bash scripts/fuzz.sh smoke build-fuzz "$FUZZ_SECONDS"

stage "5/7 the ways in: install (CMake, pkg-config, test_package), add_subdirectory, FetchContent, vcpkg port"
# Each consumer is built as a user would (Release, -march=native) and run on
# the shipped glm4-small; scripts/check_consumer_build.sh fails if a build
# compiled anything but the consumer (glm4's tests, examples or apps) or
# linked libhwy (glm4 uses only Highway's headers).
prefix=$(mktemp -d /tmp/glm4-install.XXXXXX)
consumers=$(mktemp -d /tmp/glm4-consumers.XXXXXX)
trap 'rm -rf "$prefix" "$consumers"' EXIT
model=tests/data/models/glm4-small
cmake --install build-asan --prefix "$prefix"
# Header-only: nothing architecture-dependent, so no lib/ (the CMake package
# and glm4.pc are under share/).
if [ -e "$prefix/lib" ] || [ -e "$prefix/lib64" ]; then
  echo "the install tree has a lib/ directory:" >&2
  find "$prefix"/lib* >&2
  exit 1
fi
for f in share/glm4/glm4Config.cmake share/glm4/glm4ConfigVersion.cmake share/glm4/glm4Targets.cmake \
         share/pkgconfig/glm4.pc include/glm4/glm4.hpp; do
  [ -f "$prefix/$f" ] || { echo "the install tree lacks $f" >&2; exit 1; }
done
consumer_flags=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-march=native)
build_consumer() {  # NAME SOURCE_DIR [cmake args...]: configure, build, check, run
  local name=$1 src=$2
  shift 2
  cmake -S "$src" -B "$consumers/$name" "${consumer_flags[@]}" "$@"
  cmake --build "$consumers/$name" -j 1 2>&1 | tee "$consumers/$name.log"
  bash scripts/check_consumer_build.sh "$consumers/$name.log" "$consumers/$name/consumer"
  "$consumers/$name/consumer" "$model"
}
# pkg-config, no CMake: the flags of the installed glm4.pc.
build_pkgconfig_consumer() {
  export PKG_CONFIG_PATH="$prefix/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  if pkg-config --libs glm4 | grep -q hwy; then
    echo "pkg-config --libs glm4 links Highway: $(pkg-config --libs glm4)" >&2
    return 1
  fi
  # shellcheck disable=SC2046  # pkg-config's output is a list of flags
  g++ -std=c++20 -O2 -march=native $(pkg-config --cflags glm4) tests/consumer/main.cpp \
    -o "$consumers/pkgconfig-consumer" $(pkg-config --libs glm4)
  bash scripts/check_consumer_build.sh /dev/null "$consumers/pkgconfig-consumer"
  "$consumers/pkgconfig-consumer" "$model"
}
# The Conan recipe's test_package program, built without Conan (it writes its
# own random GGUF, so it takes no argument).
build_test_package() {
  cmake -S test_package -B "$consumers/test_package" "${consumer_flags[@]}" -DCMAKE_PREFIX_PATH="$prefix"
  cmake --build "$consumers/test_package" -j 1 2>&1 | tee "$consumers/test_package.log"
  bash scripts/check_consumer_build.sh "$consumers/test_package.log" "$consumers/test_package/test_package"
  "$consumers/test_package/test_package"
}
# Each is one compile: JOBS of them at once (scripts/parallel_jobs.sh).
source scripts/parallel_jobs.sh
job installed build_consumer installed tests/consumer -DCMAKE_PREFIX_PATH="$prefix"
job subdir build_consumer subdir tests/consumer_subdir
job fetchcontent build_consumer fetchcontent tests/consumer_fetchcontent
job pkgconfig build_pkgconfig_consumer
job test_package build_test_package
# The vcpkg port's steps, emulated (docs/packaging.md says what that proves).
job vcpkg bash scripts/test_vcpkg_port.sh "$consumers/vcpkg"
jobs_finish

stage "6/7 ARM64 under qemu-aarch64: kernel, whole-model and glm4 command tests"
bash scripts/test_arm64.sh build-arm64

stage "7/7 kernel tests for the AVX2 and AVX-512 VNNI (no VBMI) targets"
bash scripts/test_x86_targets.sh build-x86-targets

stage "all checks passed"
