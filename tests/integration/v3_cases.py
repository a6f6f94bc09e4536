"""Zarr v3 cases of zpmpi's own runs (issue 27; imported by cases.py, run as its cases). The
v3 twins of the other cases are those cases with --zarr-format 3 [--shards ...]; here:

  oracle_selftest_v3  a sharded v3 store zpmpi wrote passes oracle_v3.check_v3, and each
                      corruption below, made on a copy, is caught: a value changed inside a
                      shard (the inner chunk rewritten, its index entry and crc32c valid, as
                      zarrita reads it), a wrong index crc32c, a missing shard, a temporary
                      left, stale consolidated metadata, a _FillValue that masks another value
  v3_refusals         refused with exit 2, one error line and nothing written: the v2-only lz4
                      compressor in v3 (the message names {"id": "blosc", "cname": "lz4"}),
                      "shards" with zarr_format 2 (key and flag), char arrays ("|S8" in v2) in v3
Skipped (exit 77) with the reason where zarrita is not installed.
"""
import json
import math
import os
import shutil
import struct
import sys

import numpy as np

import oracle
import oracle_v3

SELFTEST_SHARDS = {"time": 8}  # t2m: inner chunks (4, 10, 20), shards (8, 10, 20): 2 per shard


def _cases():
    return sys.modules["__main__"]  # cases.py, which runs the case


def check_blosc_typesize_v3(store):
    """Every stored chunk of a numeric array (inner chunks of shards too) is a blosc frame
    shuffled by the element size, which zarr.json's typesize states (byte 3 of the header)."""
    checked = 0
    for name in sorted(os.listdir(store)):
        doc = os.path.join(store, name, "zarr.json")
        if not os.path.isfile(doc):
            continue
        meta = oracle_v3.load_strict_json(doc)
        if meta["data_type"] == "string":
            continue
        itemsize = np.dtype(oracle_v3.NUMPY_DTYPES[meta["data_type"]]).itemsize
        for where, data in oracle_v3.stored_chunks(store, name, meta):
            if len(data) < 16 or data[3] != itemsize:
                sys.exit(f"FAIL: {where}: blosc type size {data[3] if len(data) > 3 else None}, the array's "
                         f"{meta['data_type']} is {itemsize}")
            checked += 1
    if checked == 0:
        sys.exit(f"FAIL: no blosc chunk checked in {store}")
    print(f"ok blosc type size = element size in {checked} stored (inner) chunks")


# ---- oracle_selftest_v3 ---------------------------------------------------------------------

def _meta(store, name):
    return oracle_v3.load_strict_json(os.path.join(store, name, "zarr.json"))


def _shard(store, name, key):
    """(path, slots) of a shard file."""
    meta = _meta(store, name)
    config = meta["codecs"][0]["configuration"]
    shards, inner = meta["chunk_grid"]["configuration"]["chunk_shape"], config["chunk_shape"]
    return os.path.join(store, name, *key.split("/")), math.prod(s // c for s, c in zip(shards, inner))


def rewrite_inner_chunk(path, slots, slot, change):
    """Replaces inner chunk `slot` of a shard by change(its bytes), appended after the
    others, with its index entry and the index crc32c made valid: what a writer that put
    other values there would leave, which zarrita reads without complaint."""
    data = open(path, "rb").read()
    entries = oracle_v3.shard_index(path, slots)
    body = data[:-(16 * slots + 4)]
    offset, nbytes = entries[slot]
    new = change(body[offset:offset + nbytes])
    entries[slot] = (len(body), len(new))
    index = b"".join(struct.pack("<QQ", *e) for e in entries)
    with open(path, "wb") as f:
        f.write(body + new + index + struct.pack("<I", oracle_v3.crc32c(index)))


def _add_one_kelvin(chunk):
    """A zstd inner chunk of float32 with its first non-NaN value raised by 1."""
    import numcodecs
    values = np.frombuffer(numcodecs.Zstd().decode(chunk), dtype="<f4").copy()
    values[np.flatnonzero(~np.isnan(values))[0]] += 1.0
    return numcodecs.Zstd(level=1).encode(values.tobytes())


def _edit_array_json(store, name, change):
    """Edits an array's zarr.json and its entry in the root's consolidated metadata alike."""
    for path, doc in ((os.path.join(store, name, "zarr.json"), None), (os.path.join(store, "zarr.json"), name)):
        with open(path) as f:
            full = json.load(f)
        change(full["consolidated_metadata"]["metadata"][doc] if doc else full)
        with open(path, "w") as f:
            json.dump(full, f)


def _stale_units(store):
    path = os.path.join(store, "t2m", "zarr.json")
    with open(path) as f:
        doc = json.load(f)
    doc["attributes"]["units"] = "degC"  # the consolidated metadata still says K
    with open(path, "w") as f:
        json.dump(doc, f)


def _fill_of_d2m(store, value):
    def change(doc):
        doc["fill_value"] = value
        doc["attributes"]["_FillValue"] = value
    _edit_array_json(store, "d2m", change)


def _flip_crc(path):
    data = bytearray(open(path, "rb").read())
    data[-1] ^= 0x01
    open(path, "wb").write(bytes(data))


def case_oracle_selftest_v3(r, a):
    c = _cases()
    missing = oracle_v3.zarrita_missing()
    if missing:
        print(f"SKIP: {missing}")
        sys.exit(77)
    source = r.sample("nc4")
    good = r.store("good.zarr")
    job = r.job("job", source=source, store=good, chunks=c.EDGE_CHUNKS, cache_label="_v1", zarr_format=3,
                shards=SELFTEST_SHARDS)
    c.expect_ok(r.run(2, "--config", job), "convert to v3, sharded")
    extra = {"cache_label": "_v1"}

    def check(store):
        oracle_v3.check_v3(source, store, chunks=c.EDGE_CHUNKS, extra_attrs=extra, shards=SELFTEST_SHARDS,
                           workdir=r.work)

    try:
        check(good)
    except oracle.Mismatch as e:
        sys.exit(f"FAIL: the v3 oracle rejects zpmpi's store:\n{e}")
    print("ok the v3 oracle passes zpmpi's sharded store")
    corruptions = {
        "a value changed inside a shard (index and crc32c valid)":
            lambda s: rewrite_inner_chunk(*_shard(s, "t2m", "c/1/1/1"), 0, _add_one_kelvin),
        "a wrong shard index crc32c": lambda s: _flip_crc(_shard(s, "t2m", "c/0/0/0")[0]),
        "a missing shard": lambda s: os.remove(_shard(s, "t2m", "c/2/0/0")[0]),
        "a temporary left": lambda s: open(os.path.join(s, "t2m", "c", "0", "0", ".1.tmp3"), "w").close(),
        "stale consolidated metadata": _stale_units,
        "a _FillValue (and fill_value) masking another value": lambda s: _fill_of_d2m(s, -32768),
    }
    from cases import expect_caught
    expect_caught(r, good, corruptions, check, "the v3 oracle")


# ---- v3_refusals ------------------------------------------------------------------------------

def case_v3_refusals(r, a):
    c = _cases()
    store = os.path.join(r.work, "refused.zarr")

    def refused(name, message, *flags, source=None, **keys):
        shutil.rmtree(store, ignore_errors=True)
        keys.setdefault("chunks", c.EDGE_CHUNKS)
        job = r.job(name, source=source or r.sample("nc4"), store=store, **keys)
        p = r.run(2, "--config", job, *flags)
        c.expect_error(p, name, 2, message)
        if os.path.exists(store):
            sys.exit(f"FAIL {name}: the refused run left {store}")
        leftovers = [e for e in os.listdir(r.work) if e.startswith(".refused.zarr")]
        if leftovers:
            sys.exit(f"FAIL {name}: the refused run left {leftovers} beside the store")

    lz4 = c.COMPRESSORS["lz4"]
    refused("lz4_v3", '{"id": "blosc", "cname": "lz4"}', zarr_format=3, compressor=lz4)
    refused("lz4_v3_flag", '{"id": "blosc", "cname": "lz4"}', "--zarr-format", "3", compressor=lz4)
    refused("shards_v2", "shards: needs zarr_format 3", shards=SELFTEST_SHARDS)
    refused("shards_v2_auto", "shards: needs zarr_format 3", zarr_format=2, shards="auto")
    refused("shards_v2_flag", "--shards needs zarr_format 3", "--shards", "time=8")
    # nc3's station is char(nchar): "|S8" in v2, no v3 data type.
    refused("char_v3", "variable 'station': char arrays (|S8 in Zarr v2) have no stable Zarr v3 data type",
            source=r.sample("nc3"), zarr_format=3, shards="auto")
    refused("char_v3_text", "char arrays (|S", source=r.sample("text"), zarr_format=3, chunks={})
