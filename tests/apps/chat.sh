# glm4 chat driven through stdin: two turns (the second reuses the KV cache),
# /reset, a third turn from scratch, /exit (the line after it is not read).
source "$(dirname "$0")/lib.sh"

printf 'Hello there\nTell me more\n/reset\nAnd again\n/exit\nnever read\n' |
  "$GLM4" chat "$SMALL" -n 12 --temp 0 --ignore-eos > "$SCRATCH/out" 2> "$SCRATCH/err"
rc=$?
same "chat exits 0" 0 "$rc"
same "three replies (one stats line each)" 3 "$(grep -c "glm4: prompt .* generated 12 tokens" "$SCRATCH/err")"
check "the second turn reuses the first's cache" \
  bash -c "grep 'glm4: prompt' '$SCRATCH/err' | sed -n 2p | grep -qvE '\(0 cached\)'"
check "after /reset nothing is cached" \
  bash -c "grep 'glm4: prompt' '$SCRATCH/err' | sed -n 3p | grep -qE '\(0 cached\)'"
check "/reset said so" grep -q "conversation cleared" "$SCRATCH/err"
check "replies on stdout" test -s "$SCRATCH/out"

# --draft: the same replies, turn after turn (the cache each turn leaves is
# what plain decoding leaves, whatever drafts it accepted past the reply).
printf 'Hello there\nTell me more\nAnd more\n' | "$GLM4" chat "$SMALL" -n 20 --temp 0 -q > "$SCRATCH/plain"
printf 'Hello there\nTell me more\nAnd more\n' |
  "$GLM4" chat "$SMALL" -n 20 --temp 0 -q --draft 8 --draft-ngram-min 1 > "$SCRATCH/drafted"
same "chat --draft 8: the same three replies" "$(cat "$SCRATCH/plain")" "$(cat "$SCRATCH/drafted")"

# End of input quits too; a Z1 chat format shows reasoning between markers
# when stdout is not a terminal.
printf 'Hi\n' | "$GLM4" chat "$SMALL" -n 6 --temp 0 --ignore-eos -q --chat-format glm_z1 > "$SCRATCH/z1" 2> "$SCRATCH/z1err"
same "chat exits 0 at end of input" 0 "$?"
check "Z1 reasoning opens with [thinking]" grep -q '^\[thinking\]$' "$SCRATCH/z1"
check "-q: nothing on stderr" test ! -s "$SCRATCH/z1err"

# Ctrl-C (SIGINT) stops a reply, not the program.
mkfifo "$SCRATCH/in"
"$GLM4" chat "$SMALL" -n -1 --ignore-eos -c 8192 < "$SCRATCH/in" > "$SCRATCH/sig" 2> "$SCRATCH/sigerr" &
pid=$!
exec 3> "$SCRATCH/in"
echo "Go on forever" >&3
sleep 1.5
kill -INT $pid
sleep 0.5
echo "/exit" >&3
exec 3>&-
wait $pid
same "chat exits 0 after a Ctrl-C in a reply" 0 "$?"
check "the reply was stopped" grep -q "reply stopped" "$SCRATCH/sigerr"
finish
