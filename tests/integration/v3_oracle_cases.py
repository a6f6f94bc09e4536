#!/usr/bin/python3
"""Zarr v3 pieces against an independent reader (issue 27, oracle_v3.py).

case sample: v3_sample_store (C++: zpmpi's v3 metadata, chunk keys, shard index, fill-only
chunks and codecs, nothing else) writes a small store; zarrita must read every array's
values, data type, shape, fill value, attributes and dimension names as written, the same
through the root's consolidated metadata as through each array's zarr.json; every shard
index must pass our own crc32c and layout checks, with the fill-only and outside inner
chunks left out. Then the oracle must catch what a wrong writer would do: a flipped crc
byte, two index entries swapped (a valid index in the wrong order: zarrita reads wrong
values), overlapping entries.

Skipped (exit 77) with the reason when zarrita is not installed (npm unreachable).
"""
import argparse
import math
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import Mismatch  # noqa: E402
from oracle_v3 import check_shards, crc32c, read_with_zarrita, zarrita_missing  # noqa: E402

SKIP = 77


def expected_arrays():
    y, x = np.meshgrid(np.arange(5), np.arange(7), indexing="ij")
    plain = (10 * y + x + 0.5).astype(np.float32)
    plain[1, 1] = np.nan
    r, c = np.meshgrid(np.arange(6), np.arange(8), indexing="ij")
    sharded = (100 * r + c).astype(np.int16)
    sharded[0:2, 2:4] = -99
    return {
        "plain": dict(dtype="float32", shape=[5, 7], chunks=[2, 3], fill_value=math.nan, dims=["y", "x"],
                      attributes={"units": "K", "_FillValue": "AAAAAAAA+H8="}, values=plain),
        "sharded": dict(dtype="int16", shape=[6, 8], chunks=[2, 2], fill_value=-99, dims=["row", "col"],
                        attributes={"_FillValue": -99}, values=sharded),
        "scalar": dict(dtype="float64", shape=[], chunks=[], fill_value=0, dims=[], attributes={},
                       values=np.array(3.25)),
        "labels": dict(dtype="string", shape=[3], chunks=[3], fill_value="", dims=["station"], attributes={},
                       values=np.array(["a", "béta", ""], dtype=object)),
    }


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def compare(store):
    """Raises Mismatch unless zarrita reads `store` as v3_sample_store wrote it."""
    z = read_with_zarrita(store)
    if z["attributes"] != {"title": "v3 sample", "missing": "NaN"}:
        raise Mismatch(f"root attributes {z['attributes']}")
    expected = expected_arrays()
    if z["consolidated"] != sorted(expected):
        raise Mismatch(f"consolidated metadata lists {z['consolidated']}, expected {sorted(expected)}")
    for name, want in expected.items():
        got = z["arrays"][name]
        if got["zarr_json"] != got["consolidated"] or not got["same_via_consolidated"]:
            raise Mismatch(f"{name}: its zarr.json and the root's consolidated entry differ")
        for key, zkey in [("dtype", "dtype"), ("shape", "shape"), ("chunks", "chunks"), ("fill_value", "fill_value"),
                          ("attributes", "attributes"), ("dims", "dimension_names")]:
            if not _same(got[zkey], want[key]):
                raise Mismatch(f"{name}: {zkey} {got[zkey]!r}, expected {want[key]!r}")
        values = got["values"]
        same = values.shape == want["values"].shape and (
            np.array_equal(values, want["values"]) if want["dtype"] == "string"
            else np.array_equal(values, want["values"], equal_nan=want["dtype"].startswith("float")))
        if not same:
            raise Mismatch(f"{name}: zarrita reads\n{values}\nexpected\n{want['values']}")
    if z["arrays"]["sharded"]["zarr_json"]["chunk_grid"]["configuration"]["chunk_shape"] != [4, 4]:
        raise Mismatch("sharded: the chunk grid is not the shard shape [4, 4]")


def check_files(store):
    files = sorted(os.path.relpath(os.path.join(d, f), store) for d, _, fs in os.walk(store) for f in fs)
    want = sorted(["zarr.json", "plain/zarr.json", "sharded/zarr.json", "scalar/zarr.json", "labels/zarr.json",
                   "scalar/c", "labels/c/0"] + [f"plain/c/{i}/{j}" for i in range(3) for j in range(3)] +
                  [f"sharded/c/{i}/{j}" for i in range(2) for j in range(2)])
    assert files == want, f"store files {files}, expected {want}"
    # Shard (0, 0) leaves out the fill-only inner chunk (0, 1); row 1 of shards has only
    # one row of inner chunks inside the array.
    stored = check_shards(store)
    assert stored == {"sharded": {"c/0/0": 3, "c/0/1": 4, "c/1/0": 2, "c/1/1": 2}}, f"stored inner chunks {stored}"


def _rewrite_index(path, change):
    data = bytearray(open(path, "rb").read())
    index = data[-(16 * 4 + 4):]
    entries = [list(struct.unpack_from("<QQ", index, 16 * s)) for s in range(4)]
    change(entries)
    body = b"".join(struct.pack("<QQ", *e) for e in entries)
    data[-(16 * 4 + 4):] = body + struct.pack("<I", crc32c(body))
    open(path, "wb").write(bytes(data))


def expect_caught(work, store, what, damage, check):
    copy = os.path.join(work, what.replace(" ", "_") + ".zarr")
    shutil.copytree(store, copy)
    damage(os.path.join(copy, "sharded", "c", "0", "1"))
    try:
        check(copy)
    except Mismatch as e:
        print(f"caught {what}: {e}".splitlines()[0])
        return
    sys.exit(f"FAIL: the oracle did not catch {what}")


def flip_crc(path):
    data = bytearray(open(path, "rb").read())
    data[-1] ^= 1
    open(path, "wb").write(bytes(data))


def case_sample(a):
    missing = zarrita_missing()
    if missing:
        print(f"SKIP: {missing}")
        sys.exit(SKIP)
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)
    store = os.path.join(a.workdir, "sample.zarr")
    subprocess.run([a.writer, store], check=True, timeout=60)
    check_files(store)
    compare(store)
    print("zarrita reads the v3 sample as written; every shard index checks")
    expect_caught(a.workdir, store, "a flipped crc byte", flip_crc, check_shards)
    expect_caught(a.workdir, store, "two swapped index entries",
                  lambda p: _rewrite_index(p, lambda e: e.__setitem__(slice(0, 2), [e[1], e[0]])), compare)
    expect_caught(a.workdir, store, "overlapping entries",
                  lambda p: _rewrite_index(p, lambda e: e.__setitem__(1, list(e[2]))), check_shards)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("case", choices=["sample"])
    p.add_argument("--writer", required=True, help="the v3_sample_store binary")
    p.add_argument("--workdir", required=True)
    a = p.parse_args()
    globals()["case_" + a.case](a)


if __name__ == "__main__":
    main()
