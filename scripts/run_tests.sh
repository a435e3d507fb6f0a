#!/usr/bin/env bash
# The full check, as CI runs it (.ci/run):
#   1. the folders of include/glm4 include each other without a cycle
#      (scripts/check_layering.sh); Release build of everything in build/,
#      the whole test suite, and the count of cases skipped on this CPU;
#   2. every ```cpp block of README.md and docs/*.md compiled
#      (scripts/check_doc_snippets.sh, -fsyntax-only), so the docs keep up;
#   3. AddressSanitizer + UBSan build in build-asan/ (library tests; not
#      the command, whose end-to-end scripts are not test executables), the
#      tests of the error paths (bad and truncated files) and of the readers
#      of files from strangers (GGUF, safetensors, PyTorch zip/pickle),
#      where memory bugs would hide (ASAN_TESTS=. runs everything);
#   4. the ways into the library, each built and run as a user's project
#      would: `cmake --install` to a temporary prefix (no lib/ in it) with
#      tests/consumer (find_package), the same program through pkg-config,
#      test_package/ (the Conan recipe's test, without Conan);
#      tests/consumer_subdir (add_subdirectory), tests/consumer_fetchcontent
#      (FetchContent of this checkout); the vcpkg port's steps
#      (scripts/test_vcpkg_port.sh);
#   5. ARM64 under qemu: the kernel and attention tests for NEON, +dotprod
#      and SVE; the golden-logit, GGUF and GLM-130B tests and the glm4
#      command (cmake/toolchains/aarch64-linux-gnu.cmake) with +dotprod;
#   6. the kernel tests built for the other x86 targets (AVX2; AVX-512 VNNI
#      without VBMI), run where the CPU has them.
# JOBS (default 2) sets build and test parallelism; ASAN_TESTS the ctest
# regex of stage 3 ('.' runs the whole suite under the sanitizers).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JOBS=${JOBS:-2}
ASAN_TESTS=${ASAN_TESTS:-'error|bad|gguf|safetensors|torch_checkpoint'}

stage() { printf '\n== [%4ds] %s\n' "$SECONDS" "$*"; }
SECONDS=0

bash scripts/install_deps.sh

stage "1/6 Release build and full test suite (build/)"
bash scripts/check_layering.sh >/dev/null  # the include folders form no cycle
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$JOBS"
ctest --test-dir build --output-on-failure -j "$JOBS"
bash scripts/report_skipped.sh build

stage "2/6 README.md and docs/*.md code blocks compile"
SNIPPET_JOBS=$JOBS bash scripts/check_doc_snippets.sh

stage "3/6 ASan + UBSan build, tests matching /$ASAN_TESTS/ (build-asan/)"
# -O1 -g, the sanitizers' usual level: half the compile time of -O2.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DGLM4_BUILD_EXAMPLES=OFF -DGLM4_BUILD_APPS=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# Every test executable is named like its test, so only the chosen ones are
# built; -FA leaves out the fixture steps ctest would add (scripts, not
# targets: the SAT checkpoints' writer), which the run below still does.
mapfile -t asan_targets < <(ctest --test-dir build-asan -N -R "$ASAN_TESTS" -FA '.*' 2>/dev/null |
                            sed -n 's/^ *Test *#[0-9]*: *//p')
if [ ${#asan_targets[@]} -eq 0 ]; then
  echo "no test matches /$ASAN_TESTS/" >&2
  exit 1
fi
cmake --build build-asan -j "$JOBS" --target "${asan_targets[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$JOBS" -R "$ASAN_TESTS"

stage "4/6 the ways in: install (CMake, pkg-config, test_package), add_subdirectory, FetchContent, vcpkg port"
# Each consumer is built as a user would (Release, -march=native) and run on
# the shipped glm4-small; scripts/check_consumer_build.sh fails if a build
# compiled anything but the consumer (glm4's tests, examples or apps) or
# linked libhwy (glm4 uses only Highway's headers).
prefix=$(mktemp -d /tmp/glm4-install.XXXXXX)
consumers=$(mktemp -d /tmp/glm4-consumers.XXXXXX)
trap 'rm -rf "$prefix" "$consumers"' EXIT
model=tests/data/models/glm4-small
cmake --install build --prefix "$prefix"
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
  cmake --build "$consumers/$name" -j "$JOBS" 2>&1 | tee "$consumers/$name.log"
  bash scripts/check_consumer_build.sh "$consumers/$name.log" "$consumers/$name/consumer"
  "$consumers/$name/consumer" "$model"
}
build_consumer installed tests/consumer -DCMAKE_PREFIX_PATH="$prefix"
build_consumer subdir tests/consumer_subdir
build_consumer fetchcontent tests/consumer_fetchcontent
# pkg-config, no CMake: the flags of the installed glm4.pc.
export PKG_CONFIG_PATH="$prefix/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
if pkg-config --libs glm4 | grep -q hwy; then
  echo "pkg-config --libs glm4 links Highway: $(pkg-config --libs glm4)" >&2
  exit 1
fi
# shellcheck disable=SC2046  # pkg-config's output is a list of flags
g++ -std=c++20 -O2 -march=native $(pkg-config --cflags glm4) tests/consumer/main.cpp \
  -o "$consumers/pkgconfig-consumer" $(pkg-config --libs glm4)
bash scripts/check_consumer_build.sh /dev/null "$consumers/pkgconfig-consumer"
"$consumers/pkgconfig-consumer" "$model"
unset PKG_CONFIG_PATH
# The Conan recipe's test_package program, built without Conan (it writes its
# own random GGUF, so it takes no argument).
cmake -S test_package -B "$consumers/test_package" "${consumer_flags[@]}" -DCMAKE_PREFIX_PATH="$prefix"
cmake --build "$consumers/test_package" -j "$JOBS" 2>&1 | tee "$consumers/test_package.log"
bash scripts/check_consumer_build.sh "$consumers/test_package.log" "$consumers/test_package/test_package"
"$consumers/test_package/test_package"
# The vcpkg port's steps, emulated (docs/packaging.md says what that proves).
bash scripts/test_vcpkg_port.sh "$consumers/vcpkg"

stage "5/6 ARM64 under qemu-aarch64: kernel, whole-model and glm4 command tests"
bash scripts/test_arm64.sh build-arm64

stage "6/6 kernel tests for the AVX2 and AVX-512 VNNI (no VBMI) targets"
bash scripts/test_x86_targets.sh build-x86-targets

stage "all checks passed"
