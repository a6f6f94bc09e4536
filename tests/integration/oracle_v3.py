"""The Zarr v3 side of the interop oracle (issue 27). Debian's xarray and zarr cannot read
v3, so the store is read by zarrita (npm, tests/integration/zarrita/, installed by
scripts/setup.sh) through zarrita/read_store.mjs, and the shard indexes, whose crc32c
zarrita does not check, are checked here by an implementation of our own (not zpmpi's).

  zarrita_missing()        why zarrita cannot be used here (None when it can)
  read_with_zarrita(store) what zarrita reads: root attributes, arrays listed by the root's
                           consolidated metadata, per array its metadata and its values as a
                           NumPy array of the array's shape
  check_shards(store)      every shard file of every sharded array: index size, crc32c,
                           offsets within the chunk data, no overlaps; {array: {shard key:
                           number of stored inner chunks}}
Failures raise Mismatch (oracle.py's) with what differs.
"""
import itertools
import json
import math
import os
import struct
import subprocess

import numpy as np

from oracle import fail

ZARRITA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zarrita")
ZARRITA_VERSION = "0.7.5"
NUMPY_DTYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
                "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
                "float32": np.float32, "float64": np.float64, "string": object}
ABSENT = 2**64 - 1


def zarrita_missing():
    package = os.path.join(ZARRITA_DIR, "node_modules", "zarrita", "package.json")
    try:
        version = json.load(open(package))["version"]
    except OSError:
        return (f"zarrita is not installed in {ZARRITA_DIR}/node_modules (scripts/setup.sh installs it with "
                "npm; was the npm registry unreachable?)")
    if version != ZARRITA_VERSION:
        return f"zarrita {version} is installed, the oracle is pinned to {ZARRITA_VERSION}: run scripts/setup.sh"
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        return "node is not on PATH"
    return None


def _number(x):
    """A number as read_store.mjs spells it ("NaN", big integers as decimal strings) back."""
    if not isinstance(x, str):
        return x
    special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    return special[x] if x in special else int(x)


def read_with_zarrita(store):
    p = subprocess.run(["node", os.path.join(ZARRITA_DIR, "read_store.mjs"), store], capture_output=True,
                       encoding="utf-8", timeout=120, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        fail(f"zarrita cannot read {store}: {p.stderr.strip()}")
    out = json.loads(p.stdout)
    for name, a in out["arrays"].items():
        dtype = NUMPY_DTYPES.get(a["dtype"])
        if dtype is None:
            fail(f"{name}: zarrita reads data type {a['dtype']!r}, which the oracle does not know")
        values = a["values"] if dtype is object else [_number(v) for v in a["values"]]
        a["values"] = np.array(values, dtype=dtype).reshape(a["shape"])
        if dtype is not object:
            a["fill_value"] = _number(a["fill_value"])
    return out


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def shard_index(path, slots):
    """The (offset, nbytes) entries of the shard file `path` of `slots` inner chunks, checked."""
    size, file_size = 16 * slots + 4, os.path.getsize(path)
    if file_size < size:
        fail(f"{path}: {file_size} bytes, shorter than its index ({size} bytes)")
    with open(path, "rb") as f:  # the index alone: a shard of ~1 GiB is not read for it
        f.seek(file_size - size)
        index, data_size = f.read(size), file_size - size
    stored, computed = struct.unpack("<I", index[-4:])[0], crc32c(index[:-4])
    if stored != computed:
        fail(f"{path}: shard index crc32c {stored:#010x}, its bytes give {computed:#010x}")
    entries = [struct.unpack_from("<QQ", index, 16 * s) for s in range(slots)]
    present = []
    for s, (offset, nbytes) in enumerate(entries):
        if (offset, nbytes) == (ABSENT, ABSENT):
            continue
        if ABSENT in (offset, nbytes) or nbytes == 0 or offset + nbytes > data_size:
            fail(f"{path}: inner chunk {s}: offset {offset}, {nbytes} bytes, chunk data {data_size} bytes")
        present.append((offset, nbytes, s))
    present.sort()
    for (o1, n1, s1), (o2, _, s2) in zip(present, present[1:]):
        if o1 + n1 > o2:
            fail(f"{path}: inner chunks {s1} and {s2} overlap")
    return entries


def _sharding(meta):
    codecs = meta["codecs"]
    return codecs[0]["configuration"] if len(codecs) == 1 and codecs[0]["name"] == "sharding_indexed" else None


def check_shards(store):
    found = {}
    for name in sorted(os.listdir(store)):
        doc = os.path.join(store, name, "zarr.json")
        if not os.path.isfile(doc):
            continue
        meta = json.load(open(doc))
        config = _sharding(meta)
        if meta.get("node_type") != "array" or config is None:
            continue
        if config["index_codecs"] != [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}] \
                or config.get("index_location", "end") != "end":
            fail(f"{name}: index_codecs {config['index_codecs']}, index_location {config.get('index_location')}")
        shards, inner = meta["chunk_grid"]["configuration"]["chunk_shape"], config["chunk_shape"]
        slots = math.prod(s // c for s, c in zip(shards, inner))
        grid = [range(-(-n // s)) for n, s in zip(meta["shape"], shards)]
        found[name] = {}
        for index in itertools.product(*grid):
            key = "/".join(["c", *map(str, index)])
            path = os.path.join(store, name, *key.split("/"))
            if os.path.exists(path):
                found[name][key] = sum(e != (ABSENT, ABSENT) for e in shard_index(path, slots))
    return found
