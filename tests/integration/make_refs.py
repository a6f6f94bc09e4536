#!/usr/bin/python3
"""Kerchunk reference sets for netCDF-4 files, made with Debian's h5py (python3-kerchunk is
not in Debian, so this is the tests' generator; it writes what kerchunk's SingleHdf5ToZarr
and MultiZarrToZarr write for such files).

Each HDF5 dataset that is a netCDF variable becomes a Zarr v2 array: .zarray (shape,
chunks, dtype, fill_value from _FillValue, compressor zlib and filter shuffle from the
dataset's HDF5 filters), .zattrs (_ARRAY_DIMENSIONS from DIMENSION_LIST, the other
attributes as JSON), and one [url, offset, length] per stored chunk (offsets from
dsid.get_chunk_info; a contiguous dataset is one chunk). Arrays of at most `inline` bytes
are inlined as "base64:" values of their stored chunks (kerchunk inlines small
coordinates so).

Multi-file: files concatenated along `concat_dim` (each file's length a multiple of the
chunk along it); the concat coordinate is inlined whole, uncompressed; arrays without the
dim come from the first file.

usage: make_refs.py OUT.json FILE.nc [FILE.nc ...] [--concat-dim time] [--inline N]
       [--templates] [--url-prefix http://127.0.0.1:PORT/] [--drop-chunk KEY ...] [--version 0|1]
"""
import argparse
import base64
import json
import os
import sys

import h5py
import numpy as np

SKIP_ATTRS = {"_FillValue", "DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME", "_Netcdf4Dimid",
              "_Netcdf4Coordinates", "_nc3_strict", "_NCProperties"}


def _json_value(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "SO":
            items = [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in v.ravel()]
            return items[0] if len(items) == 1 else items
        v = v.ravel()
        if v.size == 1:
            return _json_value(v[0])
        return [_json_value(x) for x in v]
    if isinstance(v, np.floating):
        f = float(v)
        return "NaN" if np.isnan(f) else f
    if isinstance(v, np.integer):
        return int(v)
    return v


def _fill(v, dtype):
    if v is None:
        return None
    v = np.asarray(v).ravel()[0]
    if dtype.kind == "f":
        f = float(v)
        return "NaN" if np.isnan(f) else ("Infinity" if f == np.inf else ("-Infinity" if f == -np.inf else f))
    return int(v)


def _dims(f, dset):
    if "DIMENSION_LIST" in dset.attrs:
        return [f[refs[0]].name.split("/")[-1] for refs in dset.attrs["DIMENSION_LIST"]]
    return [dset.name.split("/")[-1]]  # a dimension scale: its own dim


def _is_variable(dset):
    name = dset.attrs.get("NAME", b"")
    name = name.decode() if isinstance(name, bytes) else str(name)
    return not name.startswith("This is a netCDF dimension but not a netCDF variable")


def _codecs(dset):
    filters = []
    if dset.shuffle:
        filters.append({"id": "shuffle", "elementsize": dset.dtype.itemsize})
    compressor = None
    if dset.compression == "gzip":
        compressor = {"id": "zlib", "level": int(dset.compression_opts or 1)}
    elif dset.compression is not None:
        raise SystemExit(f"{dset.name}: filter {dset.compression} is not supported by this helper")
    return compressor, (filters or None)


def _stored_chunks(dset):
    """{chunk index tuple: (offset, length)} of the chunks HDF5 stored."""
    chunks = dset.chunks or dset.shape
    out = {}
    if dset.chunks is None:
        if dset.id.get_offset() is not None:
            out[tuple(0 for _ in dset.shape)] = (dset.id.get_offset(), dset.id.get_storage_size())
        return out
    for i in range(dset.id.get_num_chunks()):
        info = dset.id.get_chunk_info(i)
        out[tuple(o // c for o, c in zip(info.chunk_offset, chunks))] = (info.byte_offset, info.size)
    return out


def describe(path):
    """{name: array description} of one netCDF-4 file."""
    arrays = {}
    with h5py.File(path, "r") as f:
        group_attrs = {k: _json_value(v) for k, v in f.attrs.items() if k not in SKIP_ATTRS}
        for name, dset in f.items():
            if not isinstance(dset, h5py.Dataset) or not _is_variable(dset):
                continue
            compressor, filters = _codecs(dset)
            chunks = list(dset.chunks or dset.shape)
            attrs = {k: _json_value(v) for k, v in dset.attrs.items() if k not in SKIP_ATTRS}
            attrs["_ARRAY_DIMENSIONS"] = _dims(f, dset)
            arrays[name] = {
                "zarray": {"zarr_format": 2, "shape": list(dset.shape), "chunks": chunks,
                           "dtype": dset.dtype.str, "fill_value": _fill(dset.attrs.get("_FillValue"), dset.dtype),
                           "order": "C", "compressor": compressor, "filters": filters},
                "zattrs": attrs,
                "chunks": _stored_chunks(dset),
                "nbytes": dset.size * dset.dtype.itemsize,
                "values": dset[...] if dset.size * dset.dtype.itemsize <= 1 << 20 else None,
            }
    return group_attrs, arrays


def _key(name, idx):
    return name + "/" + (".".join(str(i) for i in idx) if idx else "0")


def make_refs(out, files, concat_dim=None, inline=0, templates=False, url_prefix=None, drop=(), version=1):
    base = os.path.dirname(os.path.abspath(out))
    urls, tmpl = [], {}
    for i, p in enumerate(files):
        rel = os.path.relpath(os.path.abspath(p), base)
        u = url_prefix + rel if url_prefix else rel
        if templates:
            tmpl[f"f{i}"] = u
            u = "{{f%d}}" % i
        urls.append(u)
    described = [describe(p) for p in files]
    group_attrs, first = described[0]
    refs = {".zgroup": json.dumps({"zarr_format": 2}), ".zattrs": json.dumps(group_attrs)}
    for name, a in first.items():
        zarray, zattrs = dict(a["zarray"]), a["zattrs"]
        dims = zattrs["_ARRAY_DIMENSIONS"]
        along = dims.index(concat_dim) if concat_dim in dims else None
        parts = [(urls[0], a, 0)]
        if along is not None and len(files) > 1 and name != concat_dim:
            parts, start = [], 0
            for u, (_, arrays) in zip(urls, described):
                b = arrays[name]
                if b["zarray"]["shape"][along] % zarray["chunks"][along] and u != urls[-1]:
                    raise SystemExit(f"{name}: {concat_dim} length not a multiple of its chunk")
                parts.append((u, b, start))
                start += -(-b["zarray"]["shape"][along] // zarray["chunks"][along])
            shape = list(zarray["shape"])
            shape[along] = sum(arrays[name]["zarray"]["shape"][along] for _, arrays in described)
            zarray["shape"] = shape
        if name == concat_dim and len(files) > 1:
            # The concat coordinate: all its values, inlined as one uncompressed chunk.
            values = np.concatenate([arrays[name]["values"] for _, arrays in described])
            zarray.update(shape=[len(values)], chunks=[len(values)], compressor=None, filters=None)
            refs[name + "/.zarray"] = json.dumps(zarray)
            refs[name + "/.zattrs"] = json.dumps(zattrs)
            refs[name + "/0"] = "base64:" + base64.b64encode(values.astype(zarray["dtype"]).tobytes()).decode()
            continue
        refs[name + "/.zarray"] = json.dumps(zarray)
        refs[name + "/.zattrs"] = json.dumps(zattrs)
        small = a["nbytes"] <= inline
        for u, b, start in parts:
            with open(files[urls.index(u)], "rb") as raw:
                for idx, (offset, length) in sorted(b["chunks"].items()):
                    if along is not None:
                        idx = tuple(i + start if d == along else i for d, i in enumerate(idx))
                    key = _key(name, idx)
                    if small:
                        raw.seek(offset)
                        refs[key] = "base64:" + base64.b64encode(raw.read(length)).decode()
                    else:
                        refs[key] = [u, offset, length]
    for key in drop:
        del refs[key]
    doc = {"version": 1, "templates": tmpl, "refs": refs} if version == 1 else refs
    if version == 0 and templates:
        raise SystemExit("templates need version 1")
    with open(out, "w") as f:
        json.dump(doc, f)
    return doc


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("files", nargs="+")
    p.add_argument("--concat-dim")
    p.add_argument("--inline", type=int, default=0)
    p.add_argument("--templates", action="store_true")
    p.add_argument("--url-prefix")
    p.add_argument("--drop-chunk", action="append", default=[])
    p.add_argument("--version", type=int, default=1)
    a = p.parse_args()
    make_refs(a.out, a.files, a.concat_dim, a.inline, a.templates, a.url_prefix, a.drop_chunk, a.version)


if __name__ == "__main__":
    sys.exit(main())
