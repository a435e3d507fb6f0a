#!/usr/bin/env bash
# Compiles every ```cpp block of README.md and docs/*.md (-fsyntax-only), so
# the documentation's code cannot rot while the API moves.
#
# Usage: scripts/check_doc_snippets.sh [FILE.md ...]   (default README.md docs/*.md)
# Environment: CXX (default g++), SNIPPET_JOBS (parallel compilers, default 2).
#
# How a block is compiled:
#   - a block containing `int main` is a whole program and is compiled as is;
#   - any other block is a fragment: its #include lines go first, then the
#     block's other lines inside `int main() { ... }`;
#   - HTML comments on the lines right before the opening fence (blank lines
#     may separate them) steer it:
#       <!-- snippet-prelude: std::vector<std::int32_t> prompt_ids{1, 2, 3}; -->
#           hidden declarations put before the block (inside main for a
#           fragment); several may stack, and one may span lines up to its
#           `-->`. Prelude lines starting with `#include` go up with the
#           block's includes.
#       <!-- snippet: toplevel -->
#           the block is namespace-scope code (struct definitions, namespace
#           glm4 { ... }): no main is wrapped around it or its prelude.
#       <!-- snippet: skip (reason) -->
#           not compiled; reported as SKIP with the reason.
#     Any other `<!-- snippet: ... -->` is an error, so a typo cannot
#     silently change how a block is checked.
#   `#pragma once` lines are dropped (the block is compiled as a main file).
#   `#line` directives map compiler messages to the .md file and line.
#
# Prints `FILE:LINE OK|FAIL|SKIP` per block (LINE is the opening fence; a
# failure is followed by the compiler's first messages) and last
# `N passed, M failed, K skipped`; exits 1 when any block fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CXX=${CXX:-g++}
SNIPPET_JOBS=${SNIPPET_JOBS:-2}
if [ $# -gt 0 ]; then
  docs=("$@")
else
  docs=(README.md)
  for f in docs/*.md; do [ -e "$f" ] && docs+=("$f"); done
fi

work=$(mktemp -d /tmp/glm4-snippets.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Pass 1 (awk): one $work/NNN.cpp per block and an index line
# `NNN<TAB>FILE:LINE<TAB>mode<TAB>note` (mode: compile, skip or bad).
awk -v work="$work" '
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function reset_pending() { n_pre = 0; pending_mode = ""; pending_note = "" }
function emit(path, src_line, text) {   # one line of the generated file, with #line when the numbering jumps
  if (src_line != next_line) print "#line " src_line " \"" FILENAME "\"" > path
  print text > path
  next_line = src_line + 1
}
function finish_block(   id, path, i, is_main, mode, note, hoisted) {
  id = sprintf("%03d", ++n_blocks)
  mode = pending_mode; note = pending_note
  if (mode == "skip" || mode == "bad") {
    printf "%s\t%s:%d\t%s\t%s\n", id, FILENAME, fence_line, mode, note > (work "/index")
    return
  }
  is_main = 0
  for (i = 1; i <= n_body; i++) if (body[i] ~ /(^|[^A-Za-z0-9_])int[ \t]+main[ \t]*\(/) is_main = 1
  path = work "/" id ".cpp"
  next_line = -1
  if (is_main) {
    for (i = 1; i <= n_body; i++) emit(path, body_line[i], body[i])
  } else {
    for (i = 1; i <= n_body; i++) if (body[i] ~ /^[ \t]*#[ \t]*include/) emit(path, body_line[i], body[i])
    for (i = 1; i <= n_pre; i++) if (pre[i] ~ /^[ \t]*#[ \t]*include/) emit(path, pre_line[i], pre[i])
    if (mode != "toplevel") { print "int main() {" > path; next_line = -1 }
    for (i = 1; i <= n_pre; i++) if (pre[i] !~ /^[ \t]*#[ \t]*include/) emit(path, pre_line[i], pre[i])
    for (i = 1; i <= n_body; i++) if (body[i] !~ /^[ \t]*#[ \t]*include/) emit(path, body_line[i], body[i])
    if (mode != "toplevel") print "}" > path
  }
  close(path)
  printf "%s\t%s:%d\tcompile\t%s\n", id, FILENAME, fence_line, (is_main ? "main" : mode == "toplevel" ? "toplevel" : "fragment") > (work "/index")
}
FNR == 1 { in_block = 0; in_prelude = 0; reset_pending() }
in_block {
  if ($0 ~ /^[ \t]*```[ \t]*$/) { in_block = 0; finish_block(); reset_pending(); next }
  if ($0 ~ /^[ \t]*#[ \t]*pragma[ \t]+once/) next
  body[++n_body] = $0; body_line[n_body] = FNR
  next
}
in_prelude {   # inside a multi-line <!-- snippet-prelude: ... -->
  line = $0
  if (index(line, "-->")) { line = substr(line, 1, index(line, "-->") - 1); in_prelude = 0 }
  if (trim(line) != "") { pre[++n_pre] = line; pre_line[n_pre] = FNR }
  next
}
/^[ \t]*```[ \t]*(cpp|c\+\+)[ \t]*$/ { in_block = 1; n_body = 0; fence_line = FNR; next }
/^[ \t]*<!--[ \t]*snippet-prelude:/ {
  line = $0; sub(/^[ \t]*<!--[ \t]*snippet-prelude:/, "", line)
  if (index(line, "-->")) line = substr(line, 1, index(line, "-->") - 1)
  else in_prelude = 1
  if (trim(line) != "") { pre[++n_pre] = line; pre_line[n_pre] = FNR }
  next
}
/^[ \t]*<!--[ \t]*snippet:/ {
  line = $0; sub(/^[ \t]*<!--[ \t]*snippet:/, "", line); sub(/-->.*/, "", line); line = trim(line)
  if (line == "toplevel") pending_mode = "toplevel"
  else if (line ~ /^skip([ \t(]|$)/) {
    pending_mode = "skip"; note = trim(substr(line, 5)); sub(/^\(/, "", note); sub(/\)$/, "", note)
    pending_note = note
  } else { pending_mode = "bad"; pending_note = "unknown directive <!-- snippet: " line " --> at line " FNR }
  next
}
/^[ \t]*$/ { next }
{ reset_pending() }
END {
  if (in_block) { printf "%s:%d: unterminated ```cpp block\n", FILENAME, fence_line > "/dev/stderr"; exit 1 }
}
' "${docs[@]}"
touch "$work/index"

# Pass 2: compile the blocks, SNIPPET_JOBS at a time.
export CXX
# shellcheck disable=SC2016  # $CXX and $1 are expanded by the inner sh
awk -F'\t' '$3 == "compile" { print $1 }' "$work/index" |
  xargs -r -P "$SNIPPET_JOBS" -I{} sh -c \
    '"$CXX" -std=c++20 -fsyntax-only -march=native -DHWY_COMPILE_ONLY_STATIC=1 -Iinclude -x c++ "$1.cpp" \
       >"$1.log" 2>&1; echo $? >"$1.rc"' sh "$work/{}"

passed=0 failed=0 skipped=0
while IFS=$'\t' read -r id where mode note; do
  case $mode in
    skip)
      skipped=$((skipped + 1))
      echo "$where SKIP${note:+ ($note)}" ;;
    bad)
      failed=$((failed + 1))
      echo "$where FAIL ($note)" ;;
    compile)
      if [ "$(cat "$work/$id.rc")" = 0 ]; then
        passed=$((passed + 1))
        echo "$where OK"
      else
        failed=$((failed + 1))
        echo "$where FAIL ($note)"
        grep -E 'error|note: candidate' "$work/$id.log" | head -n 12 | sed 's/^/    /' || true
      fi ;;
  esac
done <"$work/index"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
