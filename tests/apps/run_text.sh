# glm4 run -p TEXT prints exactly the tokenizer's decoding of the greedy
# continuation of TEXT's tokens, streamed; on the HF folder and on the GGUF
# conversions of it.
source "$(dirname "$0")/lib.sh"

"$REF" golden glm4-small > "$SCRATCH/golden" || { echo "FAIL: reading the reference"; exit 1; }

# Reference prompt 0 is one token whose text encodes back to it: the text
# continues into transformers' own greedy tokens.
prompt=$(grep "^prompt_0 " "$SCRATCH/golden" | cut -d' ' -f2)
greedy=$(grep "^greedy_0 " "$SCRATCH/golden" | cut -d' ' -f2)
"$REF" decode "$SMALL" "$prompt" > "$SCRATCH/prompt0.txt"
same "prompt_0's text encodes to prompt_0" "$prompt" "$("$REF" encode "$SMALL" "$(cat "$SCRATCH/prompt0.txt")")"
{ "$REF" decode "$SMALL" "$greedy"; echo; } > "$SCRATCH/expected0.txt"
"$GLM4" run "$SMALL" -f "$SCRATCH/prompt0.txt" -n 24 --temp 0 -q > "$SCRATCH/actual0.txt"
check "run -f prompt_0's text prints the decoding of the reference greedy tokens" \
  cmp "$SCRATCH/expected0.txt" "$SCRATCH/actual0.txt"
for model in "$DATA/gguf/glm4-small-F16.gguf"; do
  "$GLM4" run "$model" -f "$SCRATCH/prompt0.txt" -n 24 --temp 0 -q > "$SCRATCH/actual0-f16.txt"
  check "the same on $(basename "$model") (its tokenizer from the GGUF)" \
    cmp "$SCRATCH/expected0.txt" "$SCRATCH/actual0-f16.txt"
done

# Other texts: the text mode equals --ids mode's tokens, decoded.
texts=("Hello world, this is" "The quick brown fox jumps over the lazy dog." "数学 and emoji 🙂 mixed")
for model in "$SMALL" "$DATA"/gguf/glm4-small-*.gguf; do
  name=$(basename "$model")
  for text in "${texts[@]}"; do
    ids=$("$REF" encode "$model" "$text")
    gen=$("$GLM4" run "$model" --ids -p "$ids" -n 24 --temp 0 --ignore-eos -q | tr ' ' ,)
    expected=$("$REF" decode "$model" "$gen")
    actual=$("$GLM4" run "$model" -p "$text" -n 24 --temp 0 --ignore-eos -q)
    same "$name: run -p \"$text\" prints the decoding of --ids' greedy tokens" "$expected" "$actual"
  done
done

# Sampling (temperature, top-k, top-p, min-p, penalties, seed) runs and is
# reproducible with a seed.
a=$("$GLM4" run "$SMALL" -p "Hello" -n 16 --temp 0.9 --top-k 20 --top-p 0.9 --min-p 0.02 --repeat-penalty 1.1 \
  --presence-penalty 0.5 --frequency-penalty 0.2 -s 7 --ignore-eos -q)
b=$("$GLM4" run "$SMALL" -p "Hello" -n 16 --temp 0.9 --top-k 20 --top-p 0.9 --min-p 0.02 --repeat-penalty 1.1 \
  --presence-penalty 0.5 --frequency-penalty 0.2 -s 7 --ignore-eos -q)
same "sampling with -s 7 twice gives the same text" "$a" "$b"
check "sampling printed text" test -n "$a"

# --stop: the text before the stop string, not the string itself.
full=$("$GLM4" run "$SMALL" -p "Hello world, this is" -n 24 --temp 0 --ignore-eos -q)
stop=${full:6:3}
want=${full%%"$stop"*}
got=$("$GLM4" run "$SMALL" -p "Hello world, this is" -n 24 --temp 0 --ignore-eos -q --stop "$stop")
same "--stop '$stop' prints the text before its first occurrence" "$want" "$got"

# --draft (prompt-lookup speculative decoding): greedy output is unchanged;
# a prompt that repeats itself gets drafts accepted, said on the stats line.
echo_prompt="one two three four five six. one two three four five six. one two three four five six. one two"
plain=$("$GLM4" run "$SMALL" -p "$echo_prompt" -n 40 --temp 0 --ignore-eos -q)
drafted=$("$GLM4" run "$SMALL" -p "$echo_prompt" -n 40 --temp 0 --ignore-eos --draft 6 --draft-ngram-min 1 \
  2> "$SCRATCH/draft-stats")
same "--draft 6 prints the same greedy text" "$plain" "$drafted"
check "the stats line counts the drafts accepted" grep -qE "drafts: [1-9][0-9]* of [0-9]+ accepted" "$SCRATCH/draft-stats"
ids_plain=$("$GLM4" run "$SMALL" --ids -p "5,6,7,8,9,5,6,7,8,9,5,6" -n 30 --temp 0 --ignore-eos -q)
ids_drafted=$("$GLM4" run "$SMALL" --ids -p "5,6,7,8,9,5,6,7,8,9,5,6" -n 30 --temp 0 --ignore-eos -q --draft 14 \
  --draft-ngram-min 1 --draft-ngram-max 2)
same "--draft 14 with --ids: the same tokens" "$ids_plain" "$ids_drafted"

# The closing stats line on stderr (without -q).
"$GLM4" run "$SMALL" -p "Hello" -n 8 --temp 0 > /dev/null 2> "$SCRATCH/stats"
check "a stats line with prompt and generation tokens/s on stderr" \
  grep -qE "prompt [0-9]+ tokens.* t/s.*generated 8 tokens.* t/s" "$SCRATCH/stats"
finish
