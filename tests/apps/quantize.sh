# glm4 quantize writes a GGUF that glm4 run and glm4 info read back.
source "$(dirname "$0")/lib.sh"

out=$SCRATCH/x-Q8_0.gguf
exits "quantize glm4-small to q8_0" 0 "$GLM4" quantize "$SMALL" "$out" q8_0
check "the file exists under its name" test -s "$out"
check "no temporary file is left" test -z "$(ls "$SCRATCH" | grep tmp-)"
text=$("$GLM4" run "$out" -p "Hello world" -n 16 --temp 0 --ignore-eos -q)
check "run on the Q8_0 file prints text" test -n "$text"
"$GLM4" info "$out" > "$SCRATCH/info" 2> /dev/null
check "info says file type Q8_0" grep -qE "^file type: +Q8_0$" "$SCRATCH/info"
check "info says GGUF" grep -qE "^kind: +GGUF$" "$SCRATCH/info"
"$GLM4" info "$out" --json -q > "$SCRATCH/info.json"
check "info --json is JSON with file_type Q8_0" grep -q '"file_type": "Q8_0"' "$SCRATCH/info.json"

# A run that fails leaves neither the file nor its temporary.
exits "quantize of a folder without config.json fails" 1 "$GLM4" quantize "$DATA/tokenizer" "$SCRATCH/bad.gguf" q8_0
check "no file under the name asked for" test ! -e "$SCRATCH/bad.gguf"
check "no temporary file" test -z "$(ls "$SCRATCH" | grep tmp-)"
exits "quantize to an unknown type" 2 "$GLM4" quantize "$SMALL" "$SCRATCH/bad.gguf" q3_z
finish
