# Every documented error path gives one line on stderr and its exit code
# (docs/cli.md): 1 unreadable file, 2 bad command line, 3 no compiled
# configuration fits, 4 a prompt or argument that cannot run.
source "$(dirname "$0")/lib.sh"

exits "glm4 --help" 0 "$GLM4" --help
exits "glm4 --version" 0 "$GLM4" --version
for sub in run chat info quantize; do
  exits "glm4 $sub --help" 0 "$GLM4" "$sub" --help
done
exits "glm4 without a subcommand" 2 "$GLM4"
exits "an unknown flag" 2 "$GLM4" run "$SMALL" -p hi --no-such-flag
exits "run without a prompt" 2 "$GLM4" run "$SMALL"
exits "a bad number" 2 "$GLM4" run "$SMALL" -p hi -n many
exits "--ids with text that is not ids" 2 "$GLM4" run "$SMALL" --ids -p "1,two,3"
exits "more drafts than one pass verifies exactly" 2 "$GLM4" run "$SMALL" -p hi --draft 15
exits "--draft-ngram-min above --draft-ngram-max" 2 "$GLM4" run "$SMALL" -p hi --draft 4 --draft-ngram-min 5
exits "--ids with an id past the vocabulary" 4 "$GLM4" run "$SMALL" --ids -p "1,5000"
exits "a path that does not exist" 1 "$GLM4" run "$SCRATCH/nothing-here" -p hi
exits "a folder without config.json" 1 "$GLM4" run "$DATA/tokenizer" -p hi
exits "info on a path that does not exist" 1 "$GLM4" info "$SCRATCH/nothing-here"
exits "--type that names no file type" 4 "$GLM4" run "$SMALL" -p hi --type Q9_9
exits "a prompt past -c" 4 "$GLM4" run "$SMALL" -p "one two three four five six seven eight" -c 4
exits "prompt + -n past -c" 4 "$GLM4" run "$SMALL" --ids -p 1,2,3 -n 30 -c 16
check "  ... and nothing was generated" test ! -s "$SCRATCH/out"
check "  ... the message names the numbers" grep -q "need a context of 32, -c is 16" "$SCRATCH/err"
exits "an empty prompt" 4 "$GLM4" run "$SMALL" -p ""
if [ -n "$MAKE_RANDOM_GGUF" ]; then
  "$MAKE_RANDOM_GGUF" "$SCRATCH/odd.gguf" q8_0 --shape glm4-1b --layers 1 --hidden 128 --ffn 256 --heads 2 \
    --kv-heads 1 --head-dim 64 --vocab 1024 > /dev/null 2>&1
  exits "a GGUF of a shape no configuration matches" 3 "$GLM4" run "$SCRATCH/odd.gguf" -p hi
  check "  ... the message lists the candidates" grep -q "glm4-small" "$SCRATCH/err"
else
  echo "skip: a GGUF no configuration matches (make_random_gguf not built)"
fi
finish
