# Sourced by the test scripts: runs independent build-and-run steps JOBS at
# a time (default 2, the CI machines' cores), since each step is one
# compiler or one emulator process. Each job's output goes to a log, printed
# whole, in the order the jobs were started, once all have ended; a failed
# job does not stop the others, and jobs_finish then fails naming it.
#
#   source scripts/parallel_jobs.sh
#   job NAME command args...      # NAME: unique, a file name
#   jobs_finish                   # waits, prints the logs, fails if any failed

_jobs_dir=""
_jobs_names=()

job() {
  local name=$1
  shift
  [ -n "$_jobs_dir" ] || _jobs_dir=$(mktemp -d "${TMPDIR:-/tmp}/glm4-jobs.XXXXXX")
  while [ "$(jobs -rp | wc -l)" -ge "${JOBS:-2}" ]; do wait -n || true; done
  _jobs_names+=("$name")
  (
    set +e
    (
      set -e  # a function's first failing command ends the job
      "$@"
    ) >"$_jobs_dir/$name.log" 2>&1
    echo $? >"$_jobs_dir/$name.rc"
  ) &
}

jobs_finish() {
  wait
  local name failed=()
  for name in "${_jobs_names[@]}"; do
    cat "$_jobs_dir/$name.log"
    [ "$(cat "$_jobs_dir/$name.rc" 2>/dev/null)" = 0 ] || failed+=("$name")
  done
  rm -rf "$_jobs_dir"
  _jobs_dir=""
  _jobs_names=()
  if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    return 1
  fi
}
