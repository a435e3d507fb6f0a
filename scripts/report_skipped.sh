#!/usr/bin/env bash
# Prints the Boost.Test cases the last `ctest` run in BUILD_DIR skipped, per
# test executable and in total, so that a check this CPU cannot run shows as
# skipped rather than passed. Reads ctest's own log; the tests report their
# counts because tests/CMakeLists.txt sets BOOST_TEST_REPORT_LEVEL=short.
set -euo pipefail
log=${1:?usage: report_skipped.sh BUILD_DIR}/Testing/Temporary/LastTest.log
[ -f "$log" ] || { echo "no ctest log at $log" >&2; exit 1; }
awk '
  /^[0-9]+\/[0-9]+ Testing: / { test = $3 }
  /test cases? out of [0-9]+ skipped/ { skipped[test] += $1; total += $1 }
  END {
    for (t in skipped) printf "  %-40s %d test case(s) skipped\n", t, skipped[t]
    printf "skipped test cases: %d\n", total
  }' "$log"
