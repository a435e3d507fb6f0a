# glm4 run on GLM-130B's own layout: a SwissArmyTransformer folder of 8
# model-parallel partitions (tests/tools/make_sat_checkpoints.py writes the
# tiny fixture that way) with an icetk tokenizer. --ids mode fills the
# fixture's [gMASK] and [MASK] prompts with the reference's greedy answers;
# text mode fills blanks from text; chat and serve refuse the base model.
source "$(dirname "$0")/lib.sh"

if ! command -v python3 > /dev/null; then
  echo "skipped: python3 (standard library) writes the checkpoints"
  exit 77
fi
python3 "$(dirname "$0")/../tools/make_sat_checkpoints.py" "$DATA/models/glm130b-tiny" "$SCRATCH/sat" > /dev/null ||
  { echo "FAIL: writing the checkpoints"; exit 1; }
# (each folder carries the tiny model's icetk tokenizer: text ids from 0,
# commands at 1000..1005)
MODEL=$SCRATCH/sat/fp16-8way

"$REF" golden glm130b-tiny > "$SCRATCH/golden" || { echo "FAIL: reading the reference"; exit 1; }
for i in 0 1; do
  prompt=$(grep "^prompt_$i " "$SCRATCH/golden" | cut -d' ' -f2)
  greedy=$(grep "^greedy_$i " "$SCRATCH/golden" | cut -d' ' -f2 | tr , ' ')
  # the text before <sop>, and for the [MASK] case before the eos glm4 adds back
  text_ids=$(echo "$prompt" | sed -e 's/,1002$//' -e 's/,1003$//')
  actual=$("$GLM4" run "$MODEL" --ids -p "$text_ids" -n 16 --temp 0 -q)
  same "reference prompt $i: the greedy answer through 8 merged partitions" "$greedy" "$actual"
done
prompt=$(grep "^prompt_0 " "$SCRATCH/golden" | cut -d' ' -f2 | sed 's/,1002$//')
greedy=$(grep "^greedy_0 " "$SCRATCH/golden" | cut -d' ' -f2 | tr , ' ')
same "the same answer from 2 INT4 partitions (q4_0 in place)" "$greedy" \
  "$("$GLM4" run "$SCRATCH/sat/int4-2way" --ids -p "$prompt" -n 16 --temp 0 -q)"

# Text: a [MASK] inside, a [gMASK] appended when there is none, two blanks
# filled one after the other, one line each. The fixture's random model
# answers <sop> after <sop> (no text); text-8way, its command rows zeroed,
# answers in text pieces. Greedy runs are repeatable.
TEXT_MODEL=$SCRATCH/sat/text-8way
for text in "The tiny model [MASK] the end." "No mask in this text" "A [MASK] and a second [MASK]."; do
  "$GLM4" run "$TEXT_MODEL" -p "$text" -n 8 --temp 0 -q > "$SCRATCH/text1" 2> "$SCRATCH/err"
  rc=$?
  same "run -p \"$text\" exits 0" 0 "$rc"
  blanks=$(grep -o 'MASK\]' <<< "$text" | wc -l)
  [ "$blanks" -eq 0 ] && blanks=1
  same "one line per blank" "$blanks" "$(wc -l < "$SCRATCH/text1" | tr -d ' ')"
  check "text on every line" bash -c "! grep -qx '' '$SCRATCH/text1'"
  "$GLM4" run "$TEXT_MODEL" -p "$text" -n 8 --temp 0 -q > "$SCRATCH/text2"
  check "the same text twice" cmp "$SCRATCH/text1" "$SCRATCH/text2"
done
cat "$SCRATCH/text1"
# The fixture's own answer: <sop>s, which are no text.
"$GLM4" run "$MODEL" -p "A [MASK] and a second [MASK]." -n 8 --temp 0 -q > "$SCRATCH/text3"
same "the fixture's answers print as empty lines" "$(printf '\n\n')" "$(cat "$SCRATCH/text3"; echo)"
"$GLM4" run "$DATA/models/glm130b-tiny" -p "A [MASK] and a second [MASK]." -n 8 --temp 0 -q > "$SCRATCH/text4"
check "the shipped safetensors folder fills the same blanks" cmp "$SCRATCH/text3" "$SCRATCH/text4"
"$GLM4" run "$MODEL" -p "Hello [gMASK]" -n 8 --temp 0 > /dev/null 2> "$SCRATCH/err"
check "the load line names the partitions' model and the tokenizer" \
  grep -q "as glm130b-tiny, F16 weights.*icetk tokenizer, blank filling" "$SCRATCH/err"

# glm4 quantize merges the partitions into one GGUF: INT4's blocks copied,
# the same answers, the tokenizer inside.
"$GLM4" quantize "$SCRATCH/sat/int4-2way" "$SCRATCH/int4.gguf" q4_0 -q
same "the merged INT4 GGUF gives the same answer" "$greedy" \
  "$("$GLM4" run "$SCRATCH/int4.gguf" --ids -p "$prompt" -n 16 --temp 0 -q)"
"$GLM4" quantize "$SCRATCH/sat/text-8way" "$SCRATCH/text.gguf" f16 -q
"$GLM4" run "$SCRATCH/text.gguf" -p "A [MASK] and a second [MASK]." -n 8 --temp 0 -q > "$SCRATCH/text5"
"$GLM4" run "$TEXT_MODEL" -p "A [MASK] and a second [MASK]." -n 8 --temp 0 -q > "$SCRATCH/text6"
check "the merged f16 GGUF fills the same blanks with the same text" cmp "$SCRATCH/text5" "$SCRATCH/text6"
"$GLM4" info "$SCRATCH/int4.gguf" > "$SCRATCH/info"
check "info reads the GGUF as GLM-130B with INT4 weights" grep -q "file type: *INT4" "$SCRATCH/info"

exits "chat refuses a blank-filling model" 3 "$GLM4" chat "$MODEL" < /dev/null
exits "a prompt past the context" 4 "$GLM4" run "$MODEL" -p "Hello" -c 2 -n 4
rm "$SCRATCH/sat/int4-2way/ice_text.model"
exits "a folder without ice_text.model" 1 "$GLM4" run "$SCRATCH/sat/int4-2way" -p "Hello" -n 4
finish
