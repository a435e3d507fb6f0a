# glm4 run --ids on glm4-small gives transformers' greedy tokens for the three
# reference prompts; so does the F16 GGUF conversion of the same weights.
source "$(dirname "$0")/lib.sh"

"$REF" golden glm4-small > "$SCRATCH/golden" || { echo "FAIL: reading the reference"; exit 1; }
for i in 0 1 2; do
  prompt=$(grep "^prompt_$i " "$SCRATCH/golden" | cut -d' ' -f2)
  greedy=$(grep "^greedy_$i " "$SCRATCH/golden" | cut -d' ' -f2 | tr , ' ')
  for model in "$SMALL" "$DATA/gguf/glm4-small-F16.gguf"; do
    out=$("$GLM4" run "$model" --ids -p "$prompt" -n 24 --temp 0 -q)
    same "prompt_$i on $(basename "$model"): 24 greedy ids equal the reference" "$greedy" "$out"
  done
done

# --dump-logits: prompt length x vocabulary float32 rows.
prompt=$(grep "^prompt_2 " "$SCRATCH/golden" | cut -d' ' -f2)
"$GLM4" run "$SMALL" --ids -p "$prompt" -n 1 --temp 0 -q --dump-logits "$SCRATCH/logits.bin" > /dev/null
same "--dump-logits writes 40 x 1024 float32" "$((40 * 1024 * 4))" "$(stat -c %s "$SCRATCH/logits.bin" 2> /dev/null)"
finish
