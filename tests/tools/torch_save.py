#!/usr/bin/env python3
"""Write PyTorch checkpoints byte for byte as torch.save does, without torch.

glm4.hpp reads `torch.save` files (GLM-130B ships as eight
`mp_rank_0N_model_states.pt` partitions); its tests need such files, and no
test machine has PyTorch. This module writes them with the standard library.

    import collections, sys
    sys.path.insert(0, "tests/tools")
    import torch_save as ts

    w = ts.Tensor.from_values("F16", [4, 8], [0.5] * 32)
    state = collections.OrderedDict([("transformer.word_embeddings.weight", w)])
    ts.save("mp_rank_00_model_states.pt", {"iteration": 1000, "module": state})

Tensors are `Tensor(dtype, shape, data)` with `data` the little-endian,
row-major bytes and dtype one of DTYPES ("F16", "BF16", "F32", ...).
Several tensors can view one `Storage` at different offsets (as slices of one
torch tensor do), and `Parameter(tensor)` pickles as an nn.Parameter. Anything
else Python's pickle can write (dicts, OrderedDicts, ints, strings, lists,
argparse.Namespace, ...) is written as torch.save writes it, because it is
Python's own pickler that writes it.

What is reproduced, and where it comes from:
  * the pickle: torch/serialization.py `_save` pickles the object with
    protocol 2 and a `persistent_id` that turns every storage into
    ('storage', torch.<Type>Storage, key, 'cpu', numel), keys numbered
    "0", "1", ... in the order storages are first met; torch/_tensor.py
    `_reduce_ex_internal` reduces a tensor to
    torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
    requires_grad, OrderedDict()); torch/nn/parameter.py reduces a Parameter
    to torch._utils._rebuild_parameter(data, requires_grad, OrderedDict()).
    We subclass the pure-Python pickler only so that those torch globals can
    be written without importing torch; memo, batching and opcodes are
    Python's.
  * the records and their order: `_save` writes data.pkl, byteorder, then
    data/<key> for the keys in sorted (string) order; caffe2/serialize/
    inline_container.cc `PyTorchStreamWriter::writeEndOfFile` adds "version"
    ("3\\n") and ".data/serialization_id". torch before 2.1 wrote "version"
    first and neither byteorder nor serialization_id (layout="torch1").
  * the zip: inline_container.cc `writeRecord` / `detail::getPadding` and
    miniz 2.1.0 `mz_zip_writer_add_mem_ex_v2`, `mz_zip_writer_finalize_archive`
    (opened with MZ_ZIP_FLAG_WRITE_ZIP64, built with MINIZ_NO_TIME): every
    entry stored, a local header with zero CRC and sizes and bit 3 set, a
    ZIP64 extra field when the size or offset reaches 0xFFFFFFFF, an "FB"
    extra field of 'Z's that puts the data on a 64-byte boundary, a data
    descriptor after the data, and always the ZIP64 end record and locator.
  * the archive folder is the file name without its extension (inline_container.cc
    `basename`), e.g. "mp_rank_00_model_states/data.pkl".

Checked against torch.save files from huggingface/candle (tests/data/torch):
this writer reproduces them byte for byte except the first 20 digits of
.data/serialization_id, a hash of the record names that depends on the C++
standard library torch was built with (std::hash and unordered_set order);
the last 20 digits, torch's combination of the records' CRCs, are exact.

Command line:
    torch_save.py --demo OUT.pt [--zip64] [--layout torch1]   the test fixture
    torch_save.py --dump FILE.pt                               list a checkpoint
    torch_save.py --check tests/data/torch    the committed fixtures are what
                                              this writes, and torch's are too
"""

import argparse
import binascii
import collections
import io
import math
import os
import pickle
import pickletools
import struct
import sys
import tempfile
import zipfile

__all__ = ["DTYPES", "Storage", "Tensor", "Parameter", "Global", "save", "dumps_pickle"]

# safetensors-style dtype name -> (torch storage class, bytes per element).
DTYPES = {
    "F16": ("HalfStorage", 2),
    "BF16": ("BFloat16Storage", 2),
    "F32": ("FloatStorage", 4),
    "F64": ("DoubleStorage", 8),
    "I8": ("CharStorage", 1),
    "U8": ("ByteStorage", 1),
    "I16": ("ShortStorage", 2),
    "I32": ("IntStorage", 4),
    "I64": ("LongStorage", 8),
    "BOOL": ("BoolStorage", 1),
}

FIELD_ALIGNMENT = 64  # inline_container.h kFieldAlignment
ZIP64_LIMIT = 0xFFFFFFFF  # MZ_UINT32_MAX: at or above it a size or offset needs ZIP64
FILE_FORMAT_VERSION = b"3\n"  # kMinProducedFileFormatVersion, what torch.save writes


class Global:
    """A module-level name torch would import on load, pickled as GLOBAL."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} only exists in the file")

    def __repr__(self):
        return f"{self.module}.{self.name}"


REBUILD_TENSOR_V2 = Global("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAMETER = Global("torch._utils", "_rebuild_parameter")
# One object per storage class, as torch.HalfStorage is one class: pickle
# memoizes it, and later uses are BINGETs exactly as in torch's files.
STORAGE_CLASSES = {dtype: Global("torch", cls) for dtype, (cls, _) in DTYPES.items()}


def _element_size(dtype):
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
    return DTYPES[dtype][1]


class Storage:
    """A flat typed buffer (torch's TypedStorage) that tensors view."""

    def __init__(self, dtype, data):
        size = _element_size(dtype)
        data = bytes(data)
        if len(data) % size:
            raise ValueError(f"{len(data)} bytes is not a whole number of {dtype} elements")
        self.dtype, self.data, self.numel = dtype, data, len(data) // size


def _contiguous_stride(shape):
    stride, step = [], 1
    for d in reversed(shape):
        stride.append(step)
        step *= d
    return tuple(reversed(stride))


class Tensor:
    """A tensor: a view (offset, shape, stride, in elements) of a Storage.

    Tensor("F32", [2, 3], data) owns a new storage holding `data`;
    Tensor("F32", [3], storage=s, storage_offset=3) views an existing one.
    """

    def __init__(self, dtype, shape, data=None, *, storage=None, storage_offset=0, stride=None,
                 requires_grad=False):
        shape = tuple(int(d) for d in shape)
        if storage is None:
            if data is None:
                raise ValueError("give the tensor's data or a storage")
            storage = Storage(dtype, data)
            if storage.numel != math.prod(shape) or storage_offset:
                raise ValueError(f"{storage.numel} elements of data for shape {list(shape)}")
        elif data is not None:
            raise ValueError("give data or storage, not both")
        elif storage.dtype != dtype:
            raise ValueError(f"a {dtype} tensor cannot view a {storage.dtype} storage")
        self.dtype, self.shape, self.storage = dtype, shape, storage
        self.storage_offset = int(storage_offset)
        self.stride = tuple(int(s) for s in stride) if stride is not None else _contiguous_stride(shape)
        self.requires_grad = bool(requires_grad)

    @classmethod
    def from_values(cls, dtype, shape, values):
        """A tensor from Python numbers, row-major (BF16 rounds to nearest even)."""
        return cls(dtype, shape, encode(dtype, values))


class Parameter:
    """An nn.Parameter wrapping `tensor` (what model.named_parameters() holds)."""

    def __init__(self, tensor, requires_grad=True):
        self.data, self.requires_grad = tensor, bool(requires_grad)


def encode(dtype, values):
    """Little-endian bytes of `values` as `dtype`."""
    values = list(values)
    if dtype == "BF16":
        out = bytearray()
        for v in values:
            bits = struct.unpack("<I", struct.pack("<f", v))[0]
            if (bits & 0x7F800000) == 0x7F800000 and bits & 0x7FFFFF:
                out += struct.pack("<H", (bits >> 16) | 0x40)  # keep a NaN a NaN
            else:
                out += struct.pack("<H", (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16)
        return bytes(out)
    code = {"F16": "e", "F32": "f", "F64": "d", "I8": "b", "U8": "B", "I16": "h", "I32": "i",
            "I64": "q", "BOOL": "?"}[dtype]
    return struct.pack(f"<{len(values)}{code}", *values)


class _TorchPickler(pickle._Pickler):
    """Python's pickler with torch.save's persistent_id (torch/serialization.py
    `_save`) and the reductions torch gives tensors and parameters."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self._keys = {}  # id(storage) -> (key, storage): id_map in _save
        self.storages = {}  # key -> Storage: serialized_storages in _save

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        # setdefault hands back the same key object each time, so pickle's
        # memo turns the second mention of a shared storage into a BINGET.
        key, _ = self._keys.setdefault(id(obj), (str(len(self._keys)), obj))
        self.storages[key] = obj
        return ("storage", STORAGE_CLASSES[obj.dtype], key, "cpu", obj.numel)

    def _save_global_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    def _save_tensor(self, t):
        # Fresh tuples, as tuple(self.size()) and self.stride() are in torch:
        # a tuple object met twice would be pickled as a memo reference.
        args = (t.storage, t.storage_offset, tuple(list(t.shape)), tuple(list(t.stride)), t.requires_grad,
                collections.OrderedDict())
        self.save_reduce(REBUILD_TENSOR_V2, args, obj=t)

    def _save_parameter(self, p):
        self.save_reduce(REBUILD_PARAMETER, (p.data, p.requires_grad, collections.OrderedDict()), obj=p)

    dispatch[Global] = _save_global_name
    dispatch[Tensor] = _save_tensor
    dispatch[Parameter] = _save_parameter


def dumps_pickle(obj):
    """(data.pkl bytes, {storage key: Storage}) as torch.save would make them."""
    buf = io.BytesIO()
    pickler = _TorchPickler(buf)
    pickler.dump(obj)
    return buf.getvalue(), pickler.storages


# --- the zip writer: caffe2/serialize/inline_container.cc over miniz 2.1.0 ---

def _hash_combine(seed, value):  # c10/util/hash.h
    m = (1 << 64) - 1
    return (seed ^ ((value + 0x9E3779B9 + ((seed << 6) & m) + (seed >> 2)) & m)) & m


def _zip64_extra(fields):
    """miniz mz_zip_writer_create_zip64_extra_data: header id 1, then fields."""
    return struct.pack("<HH", 1, 8 * len(fields)) + b"".join(struct.pack("<Q", f) for f in fields)


class _ZipWriter:
    def __init__(self, f, archive_name, zip64_limit):
        self.f, self.prefix, self.limit = f, archive_name + "/", zip64_limit
        self.pos, self.central, self.count = 0, bytearray(), 0
        self.crc_combined, self.name_hash = 0, 0

    def _put(self, b):
        self.f.write(b)
        self.pos += len(b)

    def record(self, name, data):
        full = (self.prefix + name).encode("utf-8")
        size, offset = len(data), self.pos
        big_size, big_offset = size >= self.limit, offset >= self.limit
        # detail::getPadding: the FB field's length puts the data on a 64-byte boundary.
        start = offset + 30 + len(full) + 4
        if big_size or big_offset:
            start += 4 + (16 if big_size else 0) + (8 if big_offset else 0)
        pad = (FIELD_ALIGNMENT - start % FIELD_ALIGNMENT) % FIELD_ALIGNMENT
        padding = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        # mz_zip_writer_add_mem_ex_v2: the local header's ZIP64 field holds the
        # size and the compressed size *as known then* (0), and the offset.
        local64 = b""
        if big_size or big_offset:
            local64 = _zip64_extra(([size, 0] if big_size else []) + ([offset] if big_offset else []))
        flags = 0x0800 | (0x0008 if size else 0)  # UTF-8 names; sizes follow the data
        crc = binascii.crc32(data) & 0xFFFFFFFF
        self._put(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0, len(full),
                              len(local64) + len(padding)))
        self._put(full + local64 + padding)
        assert self.pos % FIELD_ALIGNMENT == 0
        self._put(data)
        if size:  # the data descriptor, 64-bit sizes when there is a ZIP64 field
            if local64:
                self._put(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
            else:
                self._put(struct.pack("<IIII", 0x08074B50, crc, size, size))
            # ostream_write_func folds the descriptor's CRC into the serialization id.
            self.crc_combined = _hash_combine(self.crc_combined, crc)
        central64 = b""
        if big_size or big_offset:
            central64 = _zip64_extra(([size, size] if big_size else []) + ([offset] if big_offset else []))
        size32 = 0xFFFFFFFF if big_size else size
        offset32 = 0xFFFFFFFF if big_offset else offset
        self.central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, flags, 0, 0, 0, crc, size32,
                                    size32, len(full), len(central64), 0, 0, 0, 0, offset32)
        self.central += full + central64
        self.count += 1
        self.name_hash = _hash_combine(self.name_hash, binascii.crc32(name.encode("utf-8")))

    def serialization_id(self, name_digits=None):
        # torch: 20 digits of combined std::hash of the record names (platform
        # dependent; we use CRC-32 of the names) + 20 of the combined CRCs.
        return (name_digits or f"{self.name_hash:020d}").encode() + f"{self.crc_combined:020d}".encode()

    def finish(self):
        """mz_zip_writer_finalize_archive with m_zip64 set."""
        cd_offset, cd_size = self.pos, len(self.central)
        self._put(bytes(self.central))
        zip64_end = self.pos
        self._put(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x002D, 0, 0, self.count, self.count,
                              cd_size, cd_offset))
        self._put(struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1))
        self._put(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(self.count, 0xFFFF), min(self.count, 0xFFFF),
                              0xFFFFFFFF if cd_size >= self.limit else cd_size,
                              0xFFFFFFFF if cd_offset >= self.limit else cd_offset, 0))


def archive_name_for(path):
    """inline_container.cc basename(): the file name up to its last '.'."""
    base = os.path.basename(os.fspath(path))
    stem = base[: base.rfind(".")] if "." in base else base
    if not stem:
        raise ValueError(f"invalid file name: {path}")
    return stem


def save(path, obj, *, layout="torch2", archive_name=None, zip64_limit=ZIP64_LIMIT, _name_digits=None):
    """Write `obj` to `path` as torch.save(obj, path) would.

    layout: "torch2" (torch >= 2.1: byteorder and .data/serialization_id,
            version last) or "torch1" (torch 1.6 - 2.0: version first, neither
            of the others; GLM-130B's checkpoints are of this age).
    archive_name: the folder inside the zip; torch uses the file name's stem,
            or "archive" when saving to a file object.
    zip64_limit: sizes and offsets from this value up are written as ZIP64
            fields. Real files need them past 4 GiB; a test can lower the
            limit to get the same records in a small file.
    """
    if layout not in ("torch1", "torch2"):
        raise ValueError(f"layout is 'torch1' or 'torch2', not {layout!r}")
    pickled, storages = dumps_pickle(obj)
    with open(path, "wb") as f:
        z = _ZipWriter(f, archive_name or archive_name_for(path), zip64_limit)
        if layout == "torch1":
            z.record("version", FILE_FORMAT_VERSION)
        z.record("data.pkl", pickled)
        if layout == "torch2":
            z.record("byteorder", sys.byteorder.encode())
        for key in sorted(storages):
            z.record(f"data/{key}", storages[key].data)
        if layout == "torch2":
            z.record("version", FILE_FORMAT_VERSION)
            z.record(".data/serialization_id", z.serialization_id(_name_digits))
        z.finish()


# --- the test fixture -------------------------------------------------------

def demo_values(dtype, n, seed):
    """Deterministic contents the C++ test recomputes: exact in every dtype."""
    if dtype in ("F16", "BF16", "F32", "F64"):
        return [((i * 7 + seed) % 32 - 16) * 0.125 for i in range(n)]
    if dtype == "BOOL":
        return [(i + seed) % 3 == 0 for i in range(n)]
    lo, hi = {"I8": (-128, 127), "U8": (0, 255), "I16": (-32768, 32767), "I32": (-2**31, 2**31 - 1),
              "I64": (-2**63, 2**63 - 1)}[dtype]
    return [max(lo, min(hi, (i * 37 + seed) % 251 - (0 if lo == 0 else 125))) for i in range(n)]


def demo_object():
    """What tests/io/torch_checkpoint_test.cpp expects, shaped like a
    SwissArmyTransformer / DeepSpeed mp_rank_00_model_states.pt."""
    t = Tensor.from_values
    module = collections.OrderedDict()
    module["transformer.word_embeddings.weight"] = t("F16", [6, 4], demo_values("F16", 24, 1))
    module["transformer.layers.0.input_layernorm.weight"] = t("F32", [4], demo_values("F32", 4, 2))
    module["transformer.layers.0.attention.query_key_value.weight"] = t("BF16", [12, 4], demo_values("BF16", 48, 3))
    module["transformer.layers.0.attention.query_key_value.bias"] = t("BF16", [12], demo_values("BF16", 12, 4))
    module["transformer.layers.0.mlp.dense_h_to_4h.weight"] = t("I8", [8, 4], demo_values("I8", 32, 5))
    # nn.Module.state_dict() sets _metadata, which torch pickles as BUILD state.
    module._metadata = collections.OrderedDict([("", {"version": 1}), ("transformer", {"version": 1})])

    # Two tensors viewing one storage (as slices of one tensor do), one of
    # them at an offset, and a scalar (0-d) view into the same storage.
    shared = Storage("F32", encode("F32", demo_values("F32", 10, 6)))
    views = {
        "first": Tensor("F32", [2, 2], storage=shared, storage_offset=0),
        "rest": Tensor("F32", [2, 3], storage=shared, storage_offset=4),
        "scalar": Tensor("F32", [], storage=shared, storage_offset=9),
    }
    every_dtype = {dtype: t(dtype, [3], demo_values(dtype, 3, 7)) for dtype in ("F64", "U8", "I16", "I32",
                                                                                "I64", "BOOL")}
    args = argparse.Namespace(num_layers=70, hidden_size=12288, fp16=True, mode="inference")
    return {
        "iteration": 5000,
        "module": module,
        "args": args,  # an object of a class the reader has never heard of
        "mp_world_size": 8,
        "checkpoint_version": 3.0,
        "note": "glm4.hpp torch.save fixture",
        "huge": 2**70,  # an int beyond int64 (pickled as LONG1)
        "lr_scheduler": {"num_iters": 5000, "warmup_iter": 500, "decay_style": "cosine"},
        "views": views,
        "param": Parameter(t("F16", [2, 2], demo_values("F16", 4, 8))),
        "list": [t("F32", [1], [1.5]), None, (2, "two")],
        "every_dtype": every_dtype,
        "empty": t("F32", [0, 4], b""),
    }


FIXTURES = {  # file in tests/data/torch -> save() arguments
    "sat-demo.pt": {},
    "sat-demo-zip64.pt": {"zip64_limit": 0},
    "sat-demo-torch1.pt": {"layout": "torch1"},
}


def candle_objects():
    """What huggingface/candle's candle-core/tests/pth.py saved with torch."""
    test = collections.OrderedDict([("test", Tensor("I64", [2, 4], encode("I64", range(1, 9))))])
    with_key = {"model_state_dict": collections.OrderedDict(
        [("test", Tensor("I64", [2, 4], encode("I64", range(1, 9))))])}
    # np.asfortranarray(np.arange(1, 25).reshape(2, 3, 4)): column-major storage.
    fortran = [0] * 24
    for i in range(2):
        for j in range(3):
            for k in range(4):
                fortran[i + 2 * j + 6 * k] = 1 + 12 * i + 4 * j + k
    storage = Storage("I64", encode("I64", fortran))
    return {
        "test.pt": test,
        "test_with_key.pt": with_key,
        "fortran_tensor_3d.pth": {"tensor_fortran": Tensor("I64", [2, 3, 4], storage=storage, stride=(1, 2, 6))},
    }


def check(data_dir):
    """0 if the committed fixtures are what this writes and torch's files in
    candle/ are reproduced byte for byte (but for the platform-dependent
    half of their serialization id, which is copied over)."""
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(name, demo_object(), args, os.path.join(data_dir, name)) for name, args in FIXTURES.items()]
        for name, obj in candle_objects().items():
            reference = os.path.join(data_dir, "candle", name)
            with zipfile.ZipFile(reference) as z:
                sid = next(n for n in z.namelist() if n.endswith("/.data/serialization_id"))
                digits = z.read(sid)[:20].decode()
            cases.append((name, obj, {"_name_digits": digits}, reference))
        for name, obj, args, reference in cases:
            out = os.path.join(tmp, name)
            save(out, obj, **args)
            with open(out, "rb") as a, open(reference, "rb") as b:
                ours, theirs = a.read(), b.read()
            same = ours == theirs
            failures += not same
            where = "" if same else " at byte %d" % next(
                (i for i, (x, y) in enumerate(zip(ours, theirs)) if x != y), min(len(ours), len(theirs)))
            print(f"{'same' if same else 'DIFFERENT'}: {reference}{where}")
    return 1 if failures else 0


def dump(path):
    """Print a checkpoint's records and its pickle (pickletools)."""
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            print(f"{info.filename:60} {info.file_size:>12} bytes  method {info.compress_type}")
        name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
        pickletools.dis(z.read(name))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", metavar="OUT.pt", help="write the test fixture")
    parser.add_argument("--zip64", action="store_true", help="with ZIP64 fields for every record")
    parser.add_argument("--layout", default="torch2", choices=["torch1", "torch2"])
    parser.add_argument("--dump", metavar="FILE.pt", help="list a checkpoint's records and pickle")
    parser.add_argument("--check", metavar="DIR", help="compare with the fixtures in DIR (tests/data/torch)")
    a = parser.parse_args(argv)
    if a.check:
        sys.exit(check(a.check))
    if a.dump:
        dump(a.dump)
    elif a.demo:
        save(a.demo, demo_object(), layout=a.layout, zip64_limit=0 if a.zip64 else ZIP64_LIMIT)
    else:
        parser.error("give --demo, --dump or --check")


if __name__ == "__main__":
    main(sys.argv[1:])
