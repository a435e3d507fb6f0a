# Shared by the tests/apps scripts: the arguments ctest passes and small
# checks that say what they check and fail loudly.
set -uo pipefail
GLM4=$1
REF=$2
DATA=$3
SCRATCH=$4
MAKE_RANDOM_GGUF=${5:-}
SMALL=$DATA/models/glm4-small
rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
failures=0

check() {  # check "what" command...: passes when the command succeeds
  local what=$1
  shift
  if "$@"; then
    echo "ok:   $what"
  else
    echo "FAIL: $what"
    failures=$((failures + 1))
  fi
}

same() {  # same "what" EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then
    echo "ok:   $1"
  else
    echo "FAIL: $1"
    echo "  expected: $(printf '%q' "$2")"
    echo "  actual:   $(printf '%q' "$3")"
    failures=$((failures + 1))
  fi
}

# exits "what" CODE command...: the command exits with CODE and says why in
# one line on stderr starting "glm4:" (or, for CLI11's usage errors, any).
exits() {
  local what=$1 want=$2
  shift 2
  "$@" > "$SCRATCH/out" 2> "$SCRATCH/err"
  local rc=$?
  if [ "$rc" == "$want" ] && [ -s "$SCRATCH/err" -o "$want" == 0 ]; then
    echo "ok:   $what (exit $rc: $(tail -n 1 "$SCRATCH/err"))"
  else
    echo "FAIL: $what: exit $rc, expected $want"
    sed 's/^/  stderr: /' "$SCRATCH/err" | head -n 10
    failures=$((failures + 1))
  fi
}

finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}
