#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz (fuzz_<name>, one per
# tests/fuzz/<name>_fuzzer.cpp), seeded from tests/fuzz/corpus/<name>/ and
# tests/fuzz/dict/<name>.dict when present.
#
#   scripts/fuzz.sh build DIR
#       Configures DIR with clang++ and -DGLM4_BUILD_FUZZERS=ON (tests,
#       examples and apps off) and builds the fuzzers only.
#   scripts/fuzz.sh replay DIR
#       Runs every target once over its committed corpus (-runs=0): the
#       regression check, seconds long; fails on any crash. For CI.
#   scripts/fuzz.sh smoke DIR SECONDS
#       Fuzzes every target for SECONDS from a scratch copy of its corpus,
#       two targets at a time; fails on a crash, leak, timeout or
#       out-of-memory and prints the path of the input that caused it. For a
#       change to a parser, before committing it.
#   scripts/fuzz.sh campaign DIR OUTDIR [SECONDS_CAP] [EXECS]
#       Fuzzes each target in turn until EXECS executions (default
#       10,000,000) or SECONDS_CAP seconds (default 1800), whichever comes
#       first. Writes OUTDIR/<name>.log, OUTDIR/stats.tsv (the final stats
#       line of each: execs, cov, ft, corpus size, exec/s), any crash files
#       under OUTDIR/crashes/<name>/, and the committed corpus merged with the
#       new inputs, minimized (-merge=1), into OUTDIR/corpus/<name>, ready to
#       replace tests/fuzz/corpus/<name>. For the occasional long run.
#
# FUZZERS="gguf tiktoken" limits any mode to those targets; JOBS (default 2)
# sets how many compile at once.
#
# Every run uses -rss_limit_mb=2048 (a parser that allocates what a length
# field claims is a finding, and 2 GiB is far above what any seed needs) and
# -timeout=10: one input taking 10 s is a hang or a quadratic path, since the
# slowest target (gguf: parse, load and a 2-token prefill of a tiny model)
# takes milliseconds per input even under ASan.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus_root=$root/tests/fuzz/corpus
dict_root=$root/tests/fuzz/dict
common_flags=(-rss_limit_mb=2048 -timeout=10 -print_final_stats=1)

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# The targets built in DIR, by name (fuzz_gguf -> gguf), or those FUZZERS names.
targets() {
  local dir=$1
  if [[ -n ${FUZZERS:-} ]]; then
    local -a names
    read -ra names <<<"$FUZZERS"
    printf '%s\n' "${names[@]}"
    return
  fi
  for bin in "$dir"/tests/fuzz/fuzz_*; do
    [[ -x $bin && -f $bin ]] && basename "$bin" | sed 's/^fuzz_//'
  done
}

binary() { echo "$1/tests/fuzz/fuzz_$2"; }

# -dict=... for target $1 when it has a dictionary, else nothing.
dict_flag() {
  if [[ -f $dict_root/$1.dict ]]; then echo "-dict=$dict_root/$1.dict"; fi
}

build() {
  local dir=$1
  cmake -S "$root" -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    -DGLM4_BUILD_FUZZERS=ON -DGLM4_BUILD_TESTS=OFF -DGLM4_BUILD_EXAMPLES=OFF -DGLM4_BUILD_APPS=OFF \
    -DGLM4_BUILD_BENCH=OFF -DGLM4_INSTALL=OFF
  # One source file per target, JOBS of them compiling at once. The default
  # target is every fuzzer (the rest is off); named targets go one per make
  # call, since CMake's top-level Makefile is .NOTPARALLEL.
  if [[ -z ${FUZZERS:-} ]]; then
    cmake --build "$dir" -j "${JOBS:-2}"
    return
  fi
  local -a names
  read -ra names <<<"$FUZZERS"
  for name in "${names[@]}"; do cmake --build "$dir" -j "${JOBS:-2}" --target "fuzz_$name"; done
}

replay() {
  local dir=$1 failed=0
  for name in $(targets "$dir"); do
    local corpus=$corpus_root/$name
    if [[ ! -d $corpus ]]; then
      echo "== $name: no corpus at $corpus" >&2
      failed=1
      continue
    fi
    if "$(binary "$dir" "$name")" "${common_flags[@]}" -runs=0 "$corpus" >"$dir/replay-$name.log" 2>&1; then
      echo "== $name: $(find "$corpus" -type f | wc -l) inputs replayed"
    else
      echo "== $name: FAILED (log: $dir/replay-$name.log)" >&2
      tail -n 30 "$dir/replay-$name.log" >&2
      failed=1
    fi
  done
  return $failed
}

# Fuzzes target $2 of build $1 for $3 seconds from a scratch copy of its
# corpus, with artifacts in $4; the log is $4/$2.log.
fuzz_one() {
  local dir=$1 name=$2 seconds=$3 work=$4
  mkdir -p "$work/$name.corpus" "$work/$name.artifacts"
  cp -r "$corpus_root/$name/." "$work/$name.corpus/" 2>/dev/null || true
  local -a dict
  mapfile -t dict < <(dict_flag "$name")
  "$(binary "$dir" "$name")" "${common_flags[@]}" "${dict[@]}" -max_total_time="$seconds" \
    -artifact_prefix="$work/$name.artifacts/" "$work/$name.corpus" >"$work/$name.log" 2>&1
}

smoke() {
  local dir=$1 seconds=$2 work failed=0
  work=$(mktemp -d "${TMPDIR:-/tmp}/glm4-fuzz-smoke.XXXXXX")
  echo "scratch corpora and logs: $work"
  local -a names
  mapfile -t names < <(targets "$dir")
  # Two at a time: the fuzzers are single-threaded, the machines two cores.
  for ((i = 0; i < ${#names[@]}; i += 2)); do
    local -a pids=() batch=("${names[@]:i:2}")
    for name in "${batch[@]}"; do
      fuzz_one "$dir" "$name" "$seconds" "$work" &
      pids+=($!)
    done
    for j in "${!batch[@]}"; do
      local name=${batch[j]}
      if wait "${pids[j]}"; then
        echo "== $name: ok: $(grep -a 'stat::number_of_executed_units' "$work/$name.log" | awk '{print $2}') runs"
      else
        failed=1
        echo "== $name: FAILED (log: $work/$name.log)" >&2
        # What a CI log needs to reproduce it: the error, the frames in our
        # code and the input itself.
        grep -a -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error|Test unit written to|^Base64: |^ +#[0-9]+ .*(include/glm4|tests/fuzz|apps)/' \
          "$work/$name.log" >&2 || tail -n 20 "$work/$name.log" >&2
        find "$work/$name.artifacts" -type f | sed 's/^/   crashing input: /' >&2
      fi
    done
  done
  return $failed
}

campaign() {
  local dir=$1 out=$2 cap=${3:-1800} execs=${4:-10000000} failed=0
  mkdir -p "$out/crashes" "$out/corpus"
  out=$(cd "$out" && pwd)
  printf 'target\texecs\tcov\tft\tcorpus\texec/s\tseconds\tcrashes\n' >"$out/stats.tsv"
  for name in $(targets "$dir"); do
    local work=$out/scratch/$name bin
    bin=$(binary "$dir" "$name")
    mkdir -p "$work" "$out/crashes/$name"
    cp -r "$corpus_root/$name/." "$work/" 2>/dev/null || true
    local start=$SECONDS status=0 dict
    mapfile -t dict < <(dict_flag "$name")
    "$bin" "${common_flags[@]}" "${dict[@]}" -runs="$execs" -max_total_time="$cap" \
      -artifact_prefix="$out/crashes/$name/" "$work" >"$out/$name.log" 2>&1 || status=$?
    local seconds=$((SECONDS - start))
    # The last status line: "#N  DONE  cov: C ft: F corp: K/S ... exec/s: E ..."
    local last
    last=$(grep -a -E '^#[0-9]+' "$out/$name.log" | tail -n 1)
    local n cov ft corp rate crashes
    n=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last")
    rate=$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$last")
    crashes=$(find "$out/crashes/$name" -type f | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$n" "$cov" "$ft" "$corp" "$rate" "$seconds" "$crashes" \
      >>"$out/stats.tsv"
    if ((status != 0 || crashes > 0)); then
      failed=1
      echo "== $name: FAILED (status $status, $crashes crash files in $out/crashes/$name)" >&2
    fi
    # The committed seeds first, so the minimized set keeps what they reach.
    mkdir -p "$out/corpus/$name"
    "$bin" "${common_flags[@]}" -merge=1 "$out/corpus/$name" "$corpus_root/$name" "$work" \
      >"$out/$name.merge.log" 2>&1 || echo "== $name: merge failed (log: $out/$name.merge.log)" >&2
    echo "== $name: $last"
  done
  column -t "$out/stats.tsv"
  return $failed
}

mode=${1:-}
case $mode in
  build) [[ $# -eq 2 ]] || usage; build "$2" ;;
  replay) [[ $# -eq 2 ]] || usage; replay "$2" ;;
  smoke) [[ $# -eq 3 ]] || usage; smoke "$2" "$3" ;;
  campaign) [[ $# -ge 3 && $# -le 5 ]] || usage; campaign "$2" "$3" "${4:-1800}" "${5:-10000000}" ;;
  *) usage ;;
esac
