"""A small NumPy reader of Zarr v3 stores, for bench.py's checks (Debian's xarray and zarr read
v2 only). It shares no code with zpmpi: it follows the spec (zarr-specs docs/v3/core and
docs/v3/codecs/sharding-indexed) and decodes with numcodecs.

  read_array(store, name)   the array `name` as a NumPy array of its shape, and its zarr.json
  open_dataset(store)       every array of the store as an xarray Dataset (dimension_names as
                            dims, attributes as attrs), CF-decoded as xarray decodes a v3 store:
                            the array's fill_value is not a mask (only a `_FillValue` attribute is)
  array_codecs(meta)        (inner chunk shape, bytes-to-bytes codecs, sharded?) of a zarr.json

What it reads: a regular chunk grid; chunk keys "default" ("c/i/j/k") or "v2"; the `bytes`
codec (either endian), `zstd`, `gzip`, `blosc`; `sharding_indexed` as the array's only codec
(index at the end, `[bytes little, crc32c]`), inner chunks with the codecs above. Anything else
raises Unsupported. Each shard index is parsed and checked (crc32c, offsets within the chunk
data, no overlaps) by tests/integration/oracle_v3.py, whose failures raise its Mismatch.
An absent chunk file, shard file or inner chunk (index entry 2^64-1, 2^64-1) reads as fill_value.
"""
import itertools
import json
import math
import mmap
import os
import sys

import numcodecs
import numpy as np
import xarray as xr

sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "integration"))
from oracle_v3 import ABSENT, shard_index  # noqa: E402  (the oracle's own crc32c and index parser)

DTYPES = {"bool": "?", "int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8", "uint8": "u1",
          "uint16": "u2", "uint32": "u4", "uint64": "u8", "float16": "f2", "float32": "f4", "float64": "f8"}
FILL_WORDS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# Bytes-to-bytes codecs by name: numcodecs decodes each frame as numcodecs/zarr-python write it.
DECODERS = {"zstd": numcodecs.Zstd(), "gzip": numcodecs.GZip(), "blosc": numcodecs.Blosc()}
INDEX_CODECS = [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]


class Unsupported(Exception):
    pass


def read_json(path):
    with open(path) as f:
        return json.load(f)


def fill_value(meta, dtype):
    v = meta["fill_value"]
    if isinstance(v, str) and v not in FILL_WORDS:
        raise Unsupported(f"fill_value {v!r}")
    return np.array(FILL_WORDS.get(v, v), dtype=dtype)


def chunk_key(meta, index):
    enc = meta["chunk_key_encoding"]
    sep = enc.get("configuration", {}).get("separator", "/" if enc["name"] == "default" else ".")
    if enc["name"] == "default":
        return sep.join(["c", *map(str, index)])
    if enc["name"] == "v2":
        return sep.join(map(str, index)) or "0"
    raise Unsupported(f"chunk_key_encoding {enc['name']!r}")


def split_codecs(codecs):
    """(the `bytes` codec's endian, the bytes-to-bytes codecs after it)."""
    if not codecs or codecs[0]["name"] != "bytes":
        raise Unsupported(f"codecs {[c['name'] for c in codecs]}: the reader wants `bytes` first")
    for c in codecs[1:]:
        if c["name"] not in DECODERS:
            raise Unsupported(f"codec {c['name']!r}")
    return codecs[0].get("configuration", {}).get("endian", "little"), codecs[1:]


def array_codecs(meta):
    """(inner chunk shape, bytes-to-bytes codecs of a chunk, sharded) of an array's zarr.json."""
    codecs = meta["codecs"]
    if codecs[0]["name"] == "sharding_indexed":
        if len(codecs) != 1:
            raise Unsupported("codecs after sharding_indexed")
        config = codecs[0]["configuration"]
        return config["chunk_shape"], split_codecs(config["codecs"])[1], True
    return meta["chunk_grid"]["configuration"]["chunk_shape"], split_codecs(codecs)[1], False


def decode_chunk(data, codecs, shape, dtype):
    endian, compressors = split_codecs(codecs)
    for c in reversed(compressors):
        data = DECODERS[c["name"]].decode(data)
    return np.frombuffer(data, dtype=dtype.newbyteorder("<" if endian == "little" else ">")).reshape(shape)


def place(out, origin, block):
    """Copies the part of `block` (starting at `origin` of the array) that lies within `out`."""
    box = tuple(slice(o, min(o + b, n)) for o, b, n in zip(origin, block.shape, out.shape))
    if all(s.start < s.stop for s in box):
        out[box] = block[tuple(slice(0, s.stop - s.start) for s in box)]


def read_shard(out, path, origin, shard_shape, config, dtype):
    inner = config["chunk_shape"]
    if config.get("index_location", "end") != "end" or config["index_codecs"] != INDEX_CODECS:
        raise Unsupported(f"shard index {config.get('index_location')}, {config['index_codecs']}")
    grid = [s // c for s, c in zip(shard_shape, inner)]
    entries = shard_index(path, math.prod(grid))  # checked: crc32c, bounds, overlaps
    # Mapped, not read: a fresh buffer of a whole shard costs page faults, and only the
    # inner chunks are wanted.
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for slot, index in enumerate(itertools.product(*map(range, grid))):
            offset, nbytes = entries[slot]
            if (offset, nbytes) == (ABSENT, ABSENT):
                continue  # fill, as `out` already holds
            block = decode_chunk(data[offset:offset + nbytes], config["codecs"], inner, dtype)
            place(out, [o + i * c for o, i, c in zip(origin, index, inner)], block)


def read_array(store, name):
    path = os.path.join(store, name)
    meta = read_json(os.path.join(path, "zarr.json"))
    if meta.get("node_type") != "array" or meta["chunk_grid"]["name"] != "regular":
        raise Unsupported(f"{name}: node_type {meta.get('node_type')}, chunk_grid {meta['chunk_grid']['name']}")
    if meta["data_type"] not in DTYPES:
        raise Unsupported(f"{name}: data_type {meta['data_type']!r}")
    dtype = np.dtype(DTYPES[meta["data_type"]])
    shape, chunks = meta["shape"], meta["chunk_grid"]["configuration"]["chunk_shape"]
    out = np.full(shape, fill_value(meta, dtype), dtype=dtype)
    array_codecs(meta)  # checks the codec chain before any chunk is read
    sharding = meta["codecs"][0]["configuration"] if meta["codecs"][0]["name"] == "sharding_indexed" else None
    for index in itertools.product(*(range(-(-n // c)) for n, c in zip(shape, chunks))):
        file = os.path.join(path, *chunk_key(meta, index).split("/"))
        if not os.path.isfile(file):
            continue
        origin = [i * c for i, c in zip(index, chunks)]
        if sharding:
            read_shard(out, file, origin, chunks, sharding, dtype)
        else:
            with open(file, "rb") as f:
                place(out, origin, decode_chunk(f.read(), meta["codecs"], chunks, dtype))
    return out, meta


def array_names(store):
    """The arrays the root's consolidated metadata lists, else the child folders holding one."""
    root = read_json(os.path.join(store, "zarr.json"))
    listed = (root.get("consolidated_metadata") or {}).get("metadata")
    if listed is not None:
        return sorted(n for n, m in listed.items() if m.get("node_type") == "array" and "/" not in n), root
    return sorted(n for n in os.listdir(store) if os.path.isfile(os.path.join(store, n, "zarr.json"))), root


def open_dataset(store):
    names, root = array_names(store)
    variables = {}
    for name in names:
        values, meta = read_array(store, name)
        dims = meta.get("dimension_names") or [f"{name}_dim_{i}" for i in range(values.ndim)]
        variables[name] = xr.Variable(dims, values, meta.get("attributes", {}))
    return xr.decode_cf(xr.Dataset(variables, attrs=root.get("attributes", {})))
