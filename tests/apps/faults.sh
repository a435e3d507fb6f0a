# Faults that real deployments meet (docs/reliability.md): a model file
# truncated under a running glm4, quantize killed or out of disk, session
# buffers larger than the memory the process may have.
source "$(dirname "$0")/lib.sh"

model=$SCRATCH/m.gguf
"$GLM4" quantize "$SMALL" "$model" q8_0 -q || { echo "FAIL: cannot quantize the model the checks use"; exit 1; }

# Starts `glm4 chat MODEL ARGS...` reading the FIFO $SCRATCH/in, stdout and
# stderr to $SCRATCH/chat.out / chat.err, and waits until it has loaded
# (its stderr says "loaded in"); sets chat_pid, and fd 3 feeds its stdin.
start_chat() {
  rm -f "$SCRATCH/in" && mkfifo "$SCRATCH/in"
  "$GLM4" chat "$@" < "$SCRATCH/in" > "$SCRATCH/chat.out" 2> "$SCRATCH/chat.err" &
  chat_pid=$!
  exec 3> "$SCRATCH/in"
  for _ in $(seq 600); do
    grep -q "loaded in" "$SCRATCH/chat.err" && return 0
    kill -0 "$chat_pid" 2> /dev/null || return 1
    sleep 0.05
  done
  return 1
}

# 1. The model file truncated while glm4 has it mapped: the next read of
# its weights is a SIGBUS, reported as a message naming the file, exit 5.
check "glm4 chat loads the model" start_chat "$model" -n 4 --temp 0
truncate -s 4096 "$model"
echo "Hello" >&3
exec 3>&-
wait "$chat_pid"
same "a model truncated under glm4 chat: exit 5" 5 "$?"
check "  ... the message names the file" grep -q "^glm4: $model shrank or changed while mapped" "$SCRATCH/chat.err"

# 2a. quantize killed mid-write: nothing under the final name; SIGTERM
# (or SIGINT, SIGHUP) also removes the temporary, SIGKILL cannot. The
# temporary name is made a FIFO first, so the signal lands while the
# writer is certainly inside the file (blocked after the part read here).
kill_quantize_mid_write() {  # kill_quantize_mid_write SIGNAL OUT: sets quantize_pid
  bash -c 'mkfifo "$1.tmp-$$" && exec "$2" quantize "$3" "$1" q8_0 -q' _ "$2" "$GLM4" "$SMALL" &
  quantize_pid=$!
  for _ in $(seq 200); do [ -p "$2.tmp-$quantize_pid" ] && break; sleep 0.05; done
  exec 4< "$2.tmp-$quantize_pid"
  head -c 65536 <&4 > /dev/null
  kill "-$1" "$quantize_pid"
  wait "$quantize_pid" 2> /dev/null
  exec 4<&-
}
out=$SCRATCH/killed.gguf
kill_quantize_mid_write KILL "$out"
check "quantize killed (SIGKILL) mid-write leaves nothing under the final name" test ! -e "$out"
rm -f "$out.tmp-$quantize_pid"
out=$SCRATCH/terminated.gguf
kill_quantize_mid_write TERM "$out"
check "quantize stopped by SIGTERM mid-write leaves nothing under the final name" test ! -e "$out"
check "  ... and removes its temporary file" test ! -e "$out.tmp-$quantize_pid"

# 2b. Out of space, simulated by a file size limit (SIGXFSZ ignored, so the
# write fails with EFBIG as it would with ENOSPC): a message naming the
# file and the reason, exit 1, neither the temporary nor the file left.
out=$SCRATCH/full.gguf
exits "quantize past a 64 KiB file size limit fails" 1 \
  bash -c 'ulimit -f 64 && trap "" XFSZ && exec "$@"' _ "$GLM4" quantize "$SMALL" "$out" q8_0 -q
check "  ... the message names the file and the reason" \
  grep -qE "^glm4: cannot write $out\.tmp-[0-9]+: File too large \([0-9]+ bytes written\)$" "$SCRATCH/err"
check "  ... no file under the name asked for" test ! -e "$out"
check "  ... no temporary file" test -z "$(ls "$SCRATCH" | grep "full.gguf.tmp-")"

# 3. Session buffers past what the process may have (ulimit -v set a little
# above what glm4 chat holds with the default context): refused before
# allocating, naming both numbers, exit 4; a small context still runs.
model=$SCRATCH/m2.gguf
"$GLM4" quantize "$SMALL" "$model" q8_0 -q
if start_chat "$model" -t 1; then
  peak_kib=$(awk '/^VmPeak:/ { print $2 }' "/proc/$chat_pid/status")
  exec 3>&-
  wait "$chat_pid"
  limit_kib=$((peak_kib + 40 * 1024))
  limited() { bash -c 'ulimit -v "$1" && shift && exec "$@"' _ "$limit_kib" "$@"; }
  exits "a small context runs under ulimit -v" 0 limited "$GLM4" run "$model" -t 1 -c 64 -p hi -n 2 -q
  # KV cache 8192 positions x 2 layers x 2 heads x 64 x 4 bytes x 2, and
  # activations for 8192 tokens: about 110 MB.
  exits "-c 8192 -b 8192 past ulimit -v fails" 4 \
    limited "$GLM4" run "$model" -t 1 -c 8192 -b 8192 --cache-type f32 -p hi -n 2 -q
  check "  ... the message gives both numbers and the limit" \
    grep -qE "^glm4: a session of context 8192 and batch 8192 \(KV cache in f32\) needs [0-9]+ bytes .*more than the [0-9]+ bytes this process can have \(RLIMIT_AS" "$SCRATCH/err"
else
  echo "FAIL: glm4 chat did not load $model"
  failures=$((failures + 1))
fi
finish
