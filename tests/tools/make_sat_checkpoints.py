#!/usr/bin/env python3
"""Writes the tiny GLM-130B model (tests/data/models/glm130b-tiny) as
SwissArmyTransformer checkpoints, the layout GLM-130B is published in, with
the standard library only (torch_save.py writes what torch.save writes):

  fp16-8way/   8 model-parallel partitions of the fp16 weights, in the
               iteration folder that `latest` names (as SAT saves them)
  fp16-1way/   one partition, in the folder itself
  int8-8way/   GLM-130B's INT8 weight-only quantization, 8 partitions
  int4-8way/   INT4, 8 partitions
  int4-2way/   INT4, 2 partitions (every partition width a whole number of
               32-value blocks: loads as q4_0 exactly)
  text-8way/   fp16, 8 partitions, with the embedding rows of the command
               ids (1000 on) zeroed: the random model otherwise answers
               <sop> after <sop>, and this one answers with text pieces
  <each quantized>-dequantized/  config.json + model.safetensors holding the
               exact values code * scale as F32: the weights the quantized
               checkpoint must load as

Partitioning follows GLM-130B's tools/convert_tp.py (run backwards):
column-parallel tensors split by rows, dense_h_to_4h by rows of each GeGLU
half, attention.dense and dense_4h_to_h by columns, LayerNorms and the
row-parallel biases replicated. Quantization follows GLM-130B's
quantization/layers.py, per partition: scale = max|w| / (2^(bits-1) - 1) per
row (f16), code = round(w / scale), INT4 codes packed two a byte, the first
in the high nibble (cuda/quantization.cu's int4WeightCompression).

Usage: make_sat_checkpoints.py MODEL_DIR OUT_DIR
"""
import json
import math
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_save  # noqa: E402

COLUMNS = ("attention.dense.weight", "mlp.dense_4h_to_h.weight")
GLU = ("mlp.dense_h_to_4h.weight", "mlp.dense_h_to_4h.bias")
REPLICATED = ("input_layernorm.weight", "input_layernorm.bias", "attention.dense.bias",
              "post_attention_layernorm.weight", "post_attention_layernorm.bias", "mlp.dense_4h_to_h.bias",
              "final_layernorm.weight", "final_layernorm.bias")
QUANTIZED = ("attention.query_key_value.weight", "attention.dense.weight", "mlp.dense_h_to_4h.weight",
             "mlp.dense_4h_to_h.weight")


def read_safetensors(path):
    """name -> (shape, list of floats); F16 and F32 only."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        code = {"F16": "e", "F32": "f"}[t["dtype"]]
        count = (end - begin) // struct.calcsize(code)
        out[name] = (t["shape"], list(struct.unpack("<%d%s" % (count, code), data[begin:end])))
    return out


def write_safetensors(path, tensors):
    """tensors: name -> (shape, floats), written as F32."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        shape, values = tensors[name]
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def rows_of(shape, values):
    cols = shape[1] if len(shape) == 2 else 1
    return [values[r * cols:(r + 1) * cols] for r in range(shape[0])]


def suffix(name):
    return ".".join(name.split(".")[3:]) if name.startswith("transformer.layers.") else ".".join(name.split(".")[1:])


def partition(name, shape, values, parts):
    """The `parts` pieces of one tensor, each (shape, values)."""
    s = suffix(name)
    if s in REPLICATED or s == "attention.rotary_emb.inv_freq":
        return [(shape, values)] * parts
    rows = rows_of(shape, values)
    if s in COLUMNS:
        w = shape[1] // parts
        return [([shape[0], w], [v for r in rows for v in r[p * w:(p + 1) * w]]) for p in range(parts)]
    n = shape[0] // parts
    if s in GLU:  # each partition: its slice of x1, then its slice of x2
        half = shape[0] // 2
        pieces = [rows[p * n // 2:(p + 1) * n // 2] + rows[half + p * n // 2:half + (p + 1) * n // 2]
                  for p in range(parts)]
    else:
        pieces = [rows[p * n:(p + 1) * n] for p in range(parts)]
    return [([n] + shape[1:], [v for r in piece for v in r]) for piece in pieces]


def f16(x):
    return struct.unpack("<e", struct.pack("<e", x))[0]


def quantize(shape, values, bits):
    """(codes as int8 bytes, packed for INT4), scales (f16 values), dequantized floats."""
    top = 2 ** (bits - 1) - 1
    codes, scales, exact = [], [], []
    for row in rows_of(shape, values):
        scale = f16(max(abs(v) for v in row) / top)
        scales.append(scale)
        q = [int(round(v / scale)) if scale else 0 for v in row]
        exact += [c * scale for c in q]
        if bits == 4:
            q = [((q[2 * j] << 4) | (q[2 * j + 1] & 0x0F)) for j in range(len(q) // 2)]
            q = [c - 256 if c > 127 else c for c in q]
        codes += q
    return codes, scales, exact


def rank_file(rank):
    return "mp_rank_%02d_model_states.pt" % rank


def write_checkpoint(weights, out, parts, bits=0, iteration=None):
    folder = out
    if iteration is not None:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "latest"), "w") as f:
            f.write(str(iteration))
        folder = os.path.join(out, str(iteration))
    os.makedirs(folder, exist_ok=True)
    dequantized = {}
    states = [{} for _ in range(parts)]
    for name in sorted(weights):
        shape, values = weights[name]
        pieces = partition(name, shape, values, parts)
        for p, (pshape, pvalues) in enumerate(pieces):
            if bits and suffix(name) in QUANTIZED:
                codes, scales, exact = quantize(pshape, pvalues, bits)
                packed_shape = [pshape[0], pshape[1] * bits // 8]
                states[p][name] = torch_save.Tensor("I8", packed_shape, struct.pack("<%db" % len(codes), *codes))
                states[p][name + "_scale"] = torch_save.Tensor("F16", [pshape[0]],
                                                               struct.pack("<%de" % len(scales), *scales))
                dequantized.setdefault(name, []).append((pshape, exact))
            else:
                states[p][name] = torch_save.Tensor("F16", pshape, struct.pack("<%de" % len(pvalues), *pvalues))
    for p in range(parts):
        # DeepSpeed keeps more than the weights in the file: they must not disturb loading.
        torch_save.save(os.path.join(folder, rank_file(p)),
                        {"module": states[p], "iteration": iteration or 0, "mp_world_size": parts})
    return dequantized


def merge_exact(name, pieces):
    """The merged dequantized matrix of a quantized tensor (convert_tp.py's merge)."""
    s = suffix(name)
    parts = len(pieces)
    if s in COLUMNS:
        rows = pieces[0][0][0]
        cols = [rows_of(shape, v) for shape, v in pieces]
        merged = [v for r in range(rows) for p in range(parts) for v in cols[p][r]]
        return [rows, pieces[0][0][1] * parts], merged
    rows = [rows_of(shape, v) for shape, v in pieces]
    if s in GLU:
        n = pieces[0][0][0] // 2
        ordered = [r for p in range(parts) for r in rows[p][:n]] + [r for p in range(parts) for r in rows[p][n:]]
    else:
        ordered = [r for p in range(parts) for r in rows[p]]
    return [pieces[0][0][0] * parts, pieces[0][0][1]], [v for r in ordered for v in r]


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    config = json.load(open(os.path.join(model_dir, "config.json")))
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    inv_freq = [1.0 / 10000 ** (2 * i / head_dim) for i in range(head_dim // 2)]
    for layer in range(config["num_layers"]):  # SAT saves these buffers; loaders drop them
        weights["transformer.layers.%d.attention.rotary_emb.inv_freq" % layer] = ([head_dim // 2],
                                                                                   [f16(v) for v in inv_freq])
    if os.path.isdir(out):
        shutil.rmtree(out)
    write_checkpoint(weights, os.path.join(out, "fp16-8way"), 8, iteration=1000)
    write_checkpoint(weights, os.path.join(out, "fp16-1way"), 1)
    shape, values = weights["transformer.word_embeddings.weight"]
    text_only = dict(weights)
    text_only["transformer.word_embeddings.weight"] = (shape, values[:1000 * shape[1]] + [0.0] * ((shape[0] - 1000) * shape[1]))
    write_checkpoint(text_only, os.path.join(out, "text-8way"), 8)
    for bits, parts in ((8, 8), (4, 8), (4, 2)):
        name = "int%d-%dway" % (bits, parts)
        dequantized = write_checkpoint(weights, os.path.join(out, name), parts, bits)
        reference = {k: v for k, v in weights.items() if not k.endswith("inv_freq")}
        for tensor, pieces in dequantized.items():
            reference[tensor] = merge_exact(tensor, pieces)
        ref_dir = os.path.join(out, name + "-dequantized")
        os.makedirs(ref_dir)
        write_safetensors(os.path.join(ref_dir, "model.safetensors"), reference)
        shutil.copy(os.path.join(model_dir, "config.json"), ref_dir)
    for name in ("fp16-8way", "fp16-1way", "text-8way", "int8-8way", "int4-8way", "int4-2way"):
        # the shape, and the tokenizer a GLM-130B folder carries beside its partitions
        for extra in ("config.json", "ice_text.model", "icetk.json"):
            if os.path.exists(os.path.join(model_dir, extra)):
                shutil.copy(os.path.join(model_dir, extra), os.path.join(out, name))
    print("wrote", out)


if __name__ == "__main__":
    main()
