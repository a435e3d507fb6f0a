#!/usr/bin/env bash
# check_consumer_build.sh BUILD_LOG BINARY: a user's project that uses glm4
# (installed, add_subdirectory, FetchContent) compiles its own program and
# nothing of glm4's (tests, examples, apps: they are glm4's top-level
# business), and does not link libhwy (glm4 needs only Highway's headers).
# BUILD_LOG is the output of a Makefile or Ninja build (/dev/null to skip);
# the one target it may build is named like BINARY.
set -euo pipefail
log=$1 binary=$2
expected=$(basename "$binary")
# Makefiles print "Built target X", Ninja "Linking CXX executable X".
built=$(sed -n -e 's/.*Built target \([^ ]*\).*/\1/p' \
               -e 's/.*Linking CXX executable \([^ ]*\).*/\1/p' "$log" | sort -u)
for target in $built; do
  case $(basename "$target") in
    "$expected") ;;
    *) echo "$log: the consumer's build also built '$target' (glm4's tests/examples/apps?)" >&2
       exit 1 ;;
  esac
done
# The link line itself (a CMake Makefile build's link.txt), since Debian's
# --as-needed would hide an unused -lhwy from ldd.
link_txt=$(dirname "$binary")/CMakeFiles/$expected.dir/link.txt
if [ -f "$link_txt" ] && grep -q 'hwy' "$link_txt"; then
  echo "$binary's link line names Highway's library: $(cat "$link_txt")" >&2
  exit 1
fi
if ldd "$binary" | grep -q 'libhwy'; then
  echo "$binary links libhwy; glm4 should need only Highway's headers:" >&2
  ldd "$binary" >&2
  exit 1
fi
echo "$binary: built alone, no libhwy"
