#!/usr/bin/env bash
# Regenerates tests/data/tokenizer/sentencepiece: small SentencePiece models
# trained on corpus.txt, and what SentencePiece 0.1.97 itself makes of
# cases.txt and bytes.txt with each of them. The inputs (corpus.txt,
# cases.txt, rules.tsv, denormalization_rules.tsv) are hand-written and kept;
# bytes.txt, the models and reference/ are rewritten. tests/tokenizer/sentencepiece_test.cpp
# holds glm4::sentencepiece_tokenizer and glm4::icetk_tokenizer to these files.
#
# Needs Debian's SentencePiece 0.1.97: `apt-get install sentencepiece
# python3-sentencepiece` (the command-line tools, and the Python binding for
# the icetk references, which replay SwissArmyTransformer's GLM130BTokenizer).
#
# The flags are deterministic (one thread, fixed seed, no shuffling), but
# spm_train is not promised to be bit-reproducible across builds: the
# committed files are the reference, and a regenerated model needs its
# references regenerated with it (this script does both).
set -euo pipefail

cd "$(dirname "$0")/../tests/data/tokenizer/sentencepiece"
for tool in spm_train spm_encode spm_decode; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install sentencepiece" >&2; exit 1; }
done
python=/usr/bin/python3  # Debian's, where python3-sentencepiece installs
"$python" -c 'import sentencepiece' 2>/dev/null ||
  { echo "the sentencepiece Python module is missing: apt-get install python3-sentencepiece" >&2; exit 1; }

# Bytes that a text file should not hold: invalid UTF-8 (a stray byte, cut-off
# sequences, a surrogate, an overlong form, code points past U+10FFFF, lone
# continuation bytes) and control characters, one case per line.
printf '%b\n' \
  'abc\xffdef' 'cut off at the end \xc3' 'cut off in the middle \xe4\xb8x' 'surrogate \xed\xa0\x80' \
  'overlong slash \xc0\xaf' 'past U+10FFFF \xf4\x90\x80\x80' 'five-byte form \xf8\x88\x80\x80\x80' \
  '\x80\x80\x80 lone continuation bytes' '\xe7\x81\xaf\xff\xe5\xa1\x94 between two characters' \
  'controls a\x01b\x02c\x7fd' '\x1b[31mred\x1b[0m' 'a\x00b nul' 'carriage\rreturn' 'a\x0bb\x0cc' \
  '\xef\xbf\xbd the replacement character itself' > bytes.txt

common=(--input=corpus.txt --num_threads=1 --random_seed=1 --shuffle_input_sentence=false
        --character_coverage=0.98 --minloglevel=1)
train() {
  local name=$1
  shift
  spm_train "${common[@]}" --model_prefix="$name" "$@"
  rm -f "$name.vocab"
}

blanks=$(seq 2 80 | sed 's/.*/<|blank_&|>/' | paste -sd, -)

# The default nmt_nfkc normalization (a 237 KB precompiled charsmap) and byte fallback.
train unigram_nfkc --model_type=unigram --vocab_size=700 --byte_fallback=true
# BPE over a small hand-written rule set (rules.tsv: one-to-many, many-to-one,
# deletions, characters to spaces), keeping runs of spaces, with a
# denormalization rule applied when decoding.
train bpe_rules --model_type=bpe --vocab_size=450 --normalization_rule_tsv=rules.tsv \
  --denormalization_rule_tsv=denormalization_rules.tsv --remove_extra_whitespaces=false
# icetk-like user-defined pieces and GLM-style control pieces, no normalization.
train unigram_user_defined --model_type=unigram --vocab_size=500 --normalization_rule_name=identity \
  --user_defined_symbols="<n>,<|tab|>,$blanks" --control_symbols="[MASK],[gMASK],<sop>"
# Shaped like GLM-130B's ice_text.model: <n> is its only user-defined piece and
# it has no byte fallback; GLM130BTokenizer adds the rest (the icetk
# references below). tests/apps/glm130b.sh uses it as the tiny GLM-130B's tokenizer.
train ice_text_like --model_type=unigram --vocab_size=420 --normalization_rule_tsv=rules.tsv \
  --user_defined_symbols="<n>"
# The two simple model types, with the whitespace marker as a suffix and without a dummy prefix.
train char_suffix --model_type=char --vocab_size=300 --normalization_rule_name=identity \
  --treat_whitespace_as_suffix=true
train word --model_type=word --vocab_size=300 --normalization_rule_name=identity --add_dummy_prefix=false

mkdir -p reference
rm -f reference/*
for model in unigram_nfkc bpe_rules unigram_user_defined ice_text_like char_suffix word; do
  for input in cases bytes; do
    out=reference/$model.$input
    spm_encode --model="$model.model" --output_format=id <"$input.txt" >"$out.ids"
    spm_encode --model="$model.model" --output_format=piece <"$input.txt" >"$out.pieces"
    spm_decode --model="$model.model" --input_format=id <"$out.ids" >"$out.decoded"
  done
done

# icetk references: SwissArmyTransformer's GLM130BTokenizer
# (sat/tokenization/icetk_glm_130B/ice_tokenizer.py) replayed with the
# sentencepiece binding, on ice_text_like.model as GLM-130B configures
# ice_text.model (image ids first, so text ids + 20000), and on
# unigram_user_defined.model as it is (text ids + 0, the lead's fixture shape).
"$python" - <<'EOF'
import json
import struct

import sentencepiece as spm


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def length_delimited(field, data):
    return varint(field << 3 | 2) + varint(len(data)) + data


def piece(text, kind):  # ModelProto.pieces: piece = 1, score = 2 (0.0), type = 3
    return length_delimited(1, length_delimited(1, text.encode()) + b"\x15" + struct.pack("<f", 0.0) +
                            varint(3 << 3) + varint(kind))


CONTROL, USER_DEFINED, BYTE = 3, 4, 6
SPECIAL_TOKENS = ["[MASK]", "[gMASK]", "[sMASK]", "<eod>", "<sop>", "<eop>", "<ENC>", "<dBLOCK>"]
MAX_BLANK_LENGTH = 80


def configure(proto):
    # GLM130BTokenizer._configure_tokenizer(encode_special_tokens=False, byte_fallback=True),
    # as serialized fields appended to the message: protobuf appends repeated
    # fields and merges a repeated message field (trainer_spec.byte_fallback = 35).
    extra = b"".join(piece(t, CONTROL) for t in SPECIAL_TOKENS)
    extra += b"".join(piece(t, USER_DEFINED) for t in
                      ["<|tab|>"] + ["<|blank_%d|>" % i for i in range(2, MAX_BLANK_LENGTH + 1)])
    extra += length_delimited(2, varint(35 << 3) + b"\x01")
    extra += b"".join(piece("<0x%02X>" % i, BYTE) for i in range(256))
    return proto + extra


def preprocess(text):  # GLM130BTokenizer._preprocess(linebreak=True, whitespaces=True)
    text = text.replace("\n", "<n>").replace("\t", "<|tab|>")
    for i in range(MAX_BLANK_LENGTH, 1, -1):
        text = text.replace(" " * i, "<|blank_%d|>" % i)
    return text


def postprocess(text):  # the rest of GLM130BTokenizer.decode
    text = text.replace("<n>", "\n").replace("<|tab|>", "\t")
    for i in range(2, MAX_BLANK_LENGTH + 1):
        text = text.replace("<|blank_%d|>" % i, " " * i)
    return text


lines = open("cases.txt", encoding="utf-8").read().split("\n")[:-1]
# Every line alone, then three at a time (leaving out the five long ones) for the linebreaks.
texts = lines + ["\n".join(lines[i:i + 3]) for i in range(0, len(lines) - 5, 3)] + [
    "\n", "\n\n", "a\nb", "line one\n\nline three\n", "def f(x):\n\treturn  x  +  1\n",
    " " * 85 + "|", "x" + " " * 161 + "y", "tab\t\tand  \t  spaces", "<n> typed by hand",
    "[MASK] [gMASK] <sop> are text here",
]

for name, model, offset, configured in [("icetk_glm130b", "ice_text_like.model", 20000, True),
                                        ("icetk_user_defined", "unigram_user_defined.model", 0, False)]:
    proto = open(model, "rb").read()
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(configure(proto) if configured else proto)
    with open("reference/%s.jsonl" % name, "w", encoding="utf-8") as out:
        for text in texts:
            ids = sp.encode(preprocess(text))
            decoded = postprocess(sp.decode(ids))
            out.write(json.dumps({"text": text, "ids": [i + offset for i in ids], "decoded": decoded},
                                 ensure_ascii=False) + "\n")
EOF
ls -l ./*.model reference

# The tiny GLM-130B's tokenizer (tests/data/models/glm130b-tiny/ice_text.model):
# shaped like ice_text_like.model, 656 pieces so that with the 344 that
# GLM-130B appends its text ids fill the model's 1000 text slots (icetk.json
# there puts the commands at 1000..1005).
spm_train "${common[@]}" --model_prefix=../../models/glm130b-tiny/ice_text --model_type=unigram --vocab_size=656 \
  --normalization_rule_tsv=rules.tsv --user_defined_symbols="<n>"
rm -f ../../models/glm130b-tiny/ice_text.vocab
