#!/usr/bin/python3
"""Reads safetensors files with Python's standard library only, from the format's specification
(huggingface/safetensors), and prints one JSON object per file: its tensors (name, dtype, shape),
its __metadata__, the SHA-256 MiDistill's docs define (recomputed here), and the first float of each
F32 tensor decoded as little-endian. Exits 1 with a message naming the file at the first broken rule.
Used by SafetensorsSpecTests; Debian has no python3-safetensors, so this stands in for a Python reader.
"""
import hashlib
import json
import struct
import sys

SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
         "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def fail(path, message):
    print(f"{path}: {message}", file=sys.stderr)
    sys.exit(1)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("a key appears twice")
    return dict(pairs)


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        fail(path, "shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        fail(path, f"header length {n} exceeds the file")
    raw = data[8:8 + n]
    if not raw.startswith(b"{"):
        fail(path, "the header does not begin with '{'")
    text = raw.decode("utf-8")
    if text.rstrip(" ") != text[:text.rindex("}") + 1]:
        fail(path, "the header is padded with something other than spaces")
    header = json.loads(text, object_pairs_hook=no_duplicates)
    buffer = data[8 + n:]
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(v, str) for v in metadata.values()):
        fail(path, "__metadata__ holds a value that is not a string")
    tensors = []
    for name, info in header.items():  # insertion order: the file's order
        if sorted(info) != ["data_offsets", "dtype", "shape"]:
            fail(path, f"tensor {name} has fields {sorted(info)}")
        begin, end = info["data_offsets"]
        count = 1
        for d in info["shape"]:
            count *= d
        if info["dtype"] not in SIZES or not 0 <= begin <= end <= len(buffer) or end - begin != count * SIZES[info["dtype"]]:
            fail(path, f"tensor {name}: dtype {info['dtype']}, shape {info['shape']} and offsets [{begin}, {end}] do not fit")
        tensors.append((name, info["dtype"], info["shape"], begin, end))
    at = 0
    for name, _, _, begin, end in sorted(tensors, key=lambda t: (t[3], t[4])):
        if begin != at:
            fail(path, f"tensor {name} begins at {begin}, expected {at}")
        at = end
    if at != len(buffer):
        fail(path, f"the tensors index {at} of {len(buffer)} buffer bytes")
    sha = hashlib.sha256()
    for name, dtype, shape, begin, end in tensors:
        sha.update(f"{name}\0{dtype}\0{','.join(str(d) for d in shape)}\0{begin}\0{end}\n".encode("utf-8"))
    sha.update(buffer)
    first = {name: struct.unpack("<f", buffer[begin:begin + 4])[0]
             for name, dtype, shape, begin, end in tensors if dtype == "F32" and end > begin}
    return {"path": path, "tensors": [[name, dtype, shape] for name, dtype, shape, _, _ in tensors],
            "metadata": metadata, "sha256": sha.hexdigest(), "first": first}


for p in sys.argv[1:]:
    print(json.dumps(read(p)))
