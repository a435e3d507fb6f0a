#!/usr/bin/env bash
# test_vcpkg_port.sh [WORK_DIR]: the steps of ports/glm4/portfile.cmake done
# by hand, for CI has no vcpkg client and no registry access:
#   1. configure this checkout with the portfile's OPTIONS (read from it) and
#      the variables vcpkg_cmake_configure adds, Release only;
#   2. install into a vcpkg-style package directory, packages/glm4_x64-linux;
#   3. the fixups: the CMake config already in share/glm4 (what
#      vcpkg_cmake_config_fixup(CONFIG_PATH share/glm4) expects), glm4.pc
#      without absolute paths (vcpkg_fixup_pkgconfig), copyright and usage
#      copied as the portfile does;
#   4. vcpkg's post-build rules for a header-only port: no lib/, debug/ or
#      bin/, share/glm4/copyright present, no absolute path of the source,
#      build or package directory in any installed file;
#   5. tests/consumer built against the package directory and run.
# docs/packaging.md says what this proves and what it does not.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=${1:-$(mktemp -d /tmp/glm4-vcpkg.XXXXXX)}
work=$(mkdir -p "$work" && cd "$work" && pwd)
port=ports/glm4
pkg=$work/packages/glm4_x64-linux
build=$work/buildtrees/glm4/x64-linux-rel
rm -rf "$pkg" "$build"

fail() { echo "test_vcpkg_port: $*" >&2; exit 1; }

# 1. The portfile's -D options, so this script cannot drift from it.
mapfile -t options < <(sed -n '/vcpkg_cmake_configure(/,/^)/p' "$port/portfile.cmake" |
                       grep -o -- '-D[A-Za-z0-9_]*=[A-Za-z0-9_]*')
[ ${#options[@]} -gt 0 ] || fail "no OPTIONS found in $port/portfile.cmake"
echo "port options: ${options[*]}"
# vcpkg_cmake_configure's own variables (VCPKG_BUILD_TYPE release: one config).
cmake -S . -B "$build" -G Ninja "${options[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$pkg" \
  -DCMAKE_INSTALL_LIBDIR:STRING=lib -DCMAKE_INSTALL_BINDIR:STRING=bin \
  -DFETCHCONTENT_FULLY_DISCONNECTED=ON -DCMAKE_EXPORT_NO_PACKAGE_REGISTRY=ON \
  -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DCMAKE_INSTALL_SYSTEM_RUNTIME_LIBS_SKIP=TRUE \
  2>&1 | tee "$work/config.log"
# 2. vcpkg_cmake_install: build (nothing to compile) and install.
cmake --build "$build" --target install 2>&1 | tee "$work/install.log"
if grep -q 'Building CXX' "$work/install.log"; then
  fail "the port's build compiled something; a header-only port builds nothing"
fi

# 3. The fixups. vcpkg_cmake_config_fixup(CONFIG_PATH share/glm4) finds the
#    package there and leaves it in share/${PORT} = share/glm4.
for f in glm4Config.cmake glm4ConfigVersion.cmake glm4Targets.cmake; do
  [ -f "$pkg/share/glm4/$f" ] || fail "share/glm4/$f missing: vcpkg_cmake_config_fixup would fail"
done
# The portfile removes debug/ and lib/; glm4's install must not create them at all.
for d in lib debug bin; do
  [ ! -e "$pkg/$d" ] || fail "the install created $d/ (a header-only port has none)"
done
install -m 644 "$port/usage" "$pkg/share/glm4/usage"     # file(INSTALL usage ...)
install -m 644 LICENSE "$pkg/share/glm4/copyright"       # vcpkg_install_copyright(FILE_LIST LICENSE)

# 4. Post-build rules.
[ -s "$pkg/share/glm4/copyright" ] || fail "share/glm4/copyright missing"
[ -s "$pkg/share/glm4/usage" ] || fail "share/glm4/usage missing"
[ -f "$pkg/include/glm4/glm4.hpp" ] || fail "include/glm4/glm4.hpp missing"
[ -z "$(find "$pkg" -type d -empty)" ] || fail "empty directories: $(find "$pkg" -type d -empty)"
for path in "$pkg" "$build" "$PWD"; do
  if grep -rlF "$path" "$pkg" >/dev/null; then
    fail "installed files hold the absolute path $path: $(grep -rlF "$path" "$pkg" | tr '\n' ' ')"
  fi
done
grep -q '^prefix=${pcfiledir}' "$pkg/share/pkgconfig/glm4.pc" ||
  fail "glm4.pc's prefix is not relative to the file (vcpkg_fixup_pkgconfig)"
echo "package layout:"
(cd "$pkg" && find . -path ./include/glm4 -prune -o -print | sort)

# 5. A user's project against the package directory (vcpkg's installed tree
#    would also hold highway and nlohmann-json; here Debian's provide them).
cmake -S tests/consumer -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS=-march=native -DCMAKE_PREFIX_PATH="$pkg"
cmake --build "$work/consumer" -j "${JOBS:-2}" 2>&1 | tee "$work/consumer.log"
bash scripts/check_consumer_build.sh "$work/consumer.log" "$work/consumer/consumer"
"$work/consumer/consumer" tests/data/models/glm4-small
echo "test_vcpkg_port: the port's steps pass"
