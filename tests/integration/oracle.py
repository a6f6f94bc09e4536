#!/usr/bin/python3
"""The interop oracle: a store written by zpmpi, opened by Debian's xarray and zarr, must
equal the source opened by xarray (values NaN-aware, dims, coords, decoded time, attrs).

Three independent looks at the store:
  files   .zgroup/.zmetadata/.zarray/.zattrs on disk: Zarr v2, consolidated metadata equal
          to the per-array files, every chunk file "i.j.k" of the grid present, nothing else
  xarray  xarray.open_zarr(store, consolidated=True) identical to xarray.open_dataset(source)
          (same selection and renames, root attrs + add_attrs + cache_label), and equal to
          the store read without .zmetadata
  zarr    zarr.open_consolidated(store): per array the raw source dtype (packed shorts stay
          int16), the raw values, fill_value = the source _FillValue, the raw attributes
          (scale_factor, add_offset, ...), dims, chunks and compressor as the job asked

Text (char -> "|S<n>", char with _Encoding utf-8 and NC_STRING -> "|O" with the vlen-utf8
filter) and enum variables (their base integer type) are compared like the others. Where
zpmpi deliberately differs from xarray's view, the expectation is adjusted (see
unsupported_names and enum_flags): compound, vlen and opaque variables and attributes are
left out (zarr cannot hold them), and an enum variable carries CF flag_values/flag_meanings.

usage: oracle.py SOURCE STORE [JSON]
  JSON (optional) has any of: "variables": [source names], "renames": {source: store name},
  "group": the netCDF-4 group read (xarray's open_dataset(group=...)),
  "attrs": {extra root attrs}, "chunks": {dim: size} | "auto" | {},
  "compressor": {"id": ...} | null (default {"id": "zstd", "level": 1})
  Exits 0 when the store matches, 1 with the first difference otherwise.
"""
import json
import math
import os
import re
import sys

import numpy as np
import xarray as xr
import zarr

DEFAULT_COMPRESSOR = {"id": "zstd", "level": 1}
COMPRESSOR_NAMES = {"zstd": DEFAULT_COMPRESSOR, "lz4": {"id": "lz4", "acceleration": 1}, "none": None}


class Mismatch(AssertionError):
    pass


def fail(message):
    raise Mismatch(message)


def _same_value(a, b):
    """Attribute/fill equality: numbers by value (float32 attrs widen exactly, so a float32
    0.002 must be written as 0.0020000000949949026), NaN == NaN, sequences element-wise,
    strings exactly (a list of strings is not a string), bytes as NumPy's "S" compares them
    (trailing NULs dropped: a char fill "\\0" reads back from zarr as b'')."""
    if isinstance(a, bytes) and isinstance(b, bytes):
        return bytes(a).rstrip(b"\0") == bytes(b).rstrip(b"\0")
    if isinstance(a, (str, bytes)) or isinstance(b, (str, bytes)):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and any(isinstance(x, str) for x in a) or \
            isinstance(b, list) and any(isinstance(x, str) for x in b):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape and not (a.size == b.size == 1):
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        x, y = a.astype(np.float64), b.astype(np.float64)
        return bool(np.all((x == y) | (np.isnan(x) & np.isnan(y))))
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        return [int(x) for x in a.ravel()] == [int(x) for x in b.ravel()]
    return bool(np.array_equal(a, b))


def _holds(dtype, value):
    """Whether an element of `dtype` can equal `value` exactly (NaN on an integer cannot)."""
    with np.errstate(all="ignore"):
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            return bool(np.isfinite(value) and float(value).is_integer() and info.min <= value <= info.max)
        cast = np.array(value).astype(dtype)
        return bool(np.isnan(value) or cast == value) if np.issubdtype(dtype, np.floating) else True


def _plain(v):
    """An attribute as zarr's JSON holds it (a 1-element netCDF attribute is a scalar)."""
    if isinstance(v, np.ndarray):
        return v.item() if v.size == 1 else v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)  # accepts NaN/Infinity, as zarr-python writes them


def source_chunks(source, name, group=None):
    """The chunk shape the source stores `name` in, by dim name: netCDF-4 chunks, else the
    whole variable (one record along a netCDF-3 record dim)."""
    import netCDF4
    with netCDF4.Dataset(source) as root:
        ds = _group(root, group)
        var = ds.variables[name]
        nc4 = ds.data_model.startswith("NETCDF4")
        chunking = var.chunking() if nc4 else "contiguous"
        if chunking != "contiguous":
            return dict(zip(var.dimensions, chunking))
        return {dim.name: 1 if not nc4 and dim.isunlimited() else max(s, 1)
                for dim, s in zip(var.get_dims(), var.shape)}


def _group(ds, group):
    for part in (group or "").strip("/").split("/"):
        if part:
            ds = ds.groups[part]
    return ds


def unsupported_names(source, group=None):
    """What zpmpi skips (with a warning) because Zarr v2 cannot hold it: compound, vlen (not
    str) and opaque variables, and attributes of such types ({variable or None: {attr}})."""
    import netCDF4
    variables, attrs = set(), {}
    with netCDF4.Dataset(source) as root:
        ds = _group(root, group)
        for name, var in ds.variables.items():
            if isinstance(var.datatype, (netCDF4.CompoundType, netCDF4.VLType)) and var.datatype.dtype is not str:
                variables.add(name)
        for owner, obj in [(None, ds)] + list(ds.variables.items()):
            for k in obj.ncattrs():
                v = obj.getncattr(k)
                if isinstance(v, np.void) or isinstance(v, np.ndarray) and v.dtype.fields:
                    attrs.setdefault(owner, set()).add(k)
    return variables, attrs


def enum_flags(source, group=None):
    """{variable: (flag_values, flag_meanings)} for enum variables without flags of their own:
    zpmpi records the enum's members as CF flags (xarray 2023.01 shows nothing of them)."""
    import netCDF4
    out = {}
    with netCDF4.Dataset(source) as root:
        for name, var in _group(root, group).variables.items():
            if isinstance(var.datatype, netCDF4.EnumType) and not {"flag_values", "flag_meanings"} & set(var.ncattrs()):
                members = var.datatype.enum_dict
                values = np.array(list(members.values()), dtype=var.datatype.dtype)
                out[name] = (values, " ".join(k.replace(" ", "_") for k in members))
    return out


def xarray_view(source, group=None, **open_kwargs):
    """xr.open_dataset(source, group=group) as zpmpi must reproduce it: without what Zarr v2
    cannot hold (unsupported_names) and with the flags of enum variables (enum_flags)."""
    skipped_vars, skipped_attrs = unsupported_names(source, group)
    ds = xr.open_dataset(source, group=group, **open_kwargs).drop_vars(skipped_vars)
    for owner, names in skipped_attrs.items():
        target = ds.attrs if owner is None else ds[owner].attrs if owner in ds.variables else {}
        for k in names:
            target.pop(k, None)
    for name, (values, meanings) in enum_flags(source, group).items():
        if name in ds.variables:
            ds[name].attrs.update(flag_values=values, flag_meanings=meanings)
    return ds


def is_text(dtype):
    return np.dtype(dtype).kind in "SUO"


def expected_chunks(source, source_name, name, dims, shape, chunks, dtype=None, group=None):
    """The design's rule: a dimension coordinate is one chunk; otherwise a dim named in
    `chunks` takes that size, any other dim the source chunk of that dim (also when a step,
    a reversal or a dropped dim changed the array); all capped at the dim length.
    A text array is one chunk."""
    if len(dims) == 1 and dims[0] == name or dtype is not None and is_text(dtype):
        return tuple(max(s, 1) for s in shape)
    base = source_chunks(source, source_name, group)
    sizes = chunks if isinstance(chunks, dict) else {}
    return tuple(max(1, min(sizes.get(d, base[d]), max(shape[i], 1))) for i, d in enumerate(dims))


def check_files(store, arrays):
    """The on-disk Zarr v2 layout; returns the consolidated metadata."""
    for f in (".zgroup", ".zmetadata", ".zattrs"):
        if not os.path.isfile(os.path.join(store, f)):
            fail(f"{store}: no {f}")
    if _load_json(os.path.join(store, ".zgroup")) != {"zarr_format": 2}:
        fail(f"{store}/.zgroup is not {{\"zarr_format\": 2}}")
    consolidated = _load_json(os.path.join(store, ".zmetadata"))
    if consolidated.get("zarr_consolidated_format") != 1:
        fail(f"{store}/.zmetadata: zarr_consolidated_format {consolidated.get('zarr_consolidated_format')}")
    meta = consolidated["metadata"]
    on_disk = {}
    for root, _, files in os.walk(store):
        for f in files:
            if f.startswith(".z") and f != ".zmetadata":
                rel = os.path.relpath(os.path.join(root, f), store)
                on_disk[rel] = _load_json(os.path.join(root, f))
    if set(meta) != set(on_disk):
        fail(f".zmetadata keys {sorted(meta)} != metadata files {sorted(on_disk)}")
    for key, doc in on_disk.items():
        if json.dumps(meta[key], sort_keys=True) != json.dumps(doc, sort_keys=True):
            fail(f".zmetadata[{key!r}] = {meta[key]} differs from the file: {doc}")
    stray = sorted(d for d in os.listdir(store) if d not in arrays and not d.startswith(".z"))
    if stray:
        fail(f"{store}: unexpected entries {stray}")
    for name in arrays:
        za = meta.get(f"{name}/.zarray")
        if za is None:
            fail(f"{store}: no array {name}")
        filters = [{"id": "vlen-utf8"}] if za.get("dtype") == "|O" else None
        for key, want in (("zarr_format", 2), ("order", "C"), ("filters", filters)):
            if za.get(key) != want:
                fail(f"{name}/.zarray: {key} is {za.get(key)!r}, expected {want!r}")
        if za.get("dimension_separator", ".") != ".":
            fail(f"{name}/.zarray: dimension_separator {za['dimension_separator']!r}")
        shape, chunks = za["shape"], za["chunks"]
        grid = [math.ceil(s / c) for s, c in zip(shape, chunks)]
        if shape:
            want = {".".join(map(str, ix)) for ix in np.ndindex(*grid)} if all(grid) else set()
        else:
            want = {"0"}
        got = {f for f in os.listdir(os.path.join(store, name)) if not f.startswith(".z")}
        bad = sorted(f for f in got if not re.fullmatch(r"\d+(\.\d+)*", f))
        if bad:
            fail(f"{name}: files that are not chunk keys: {bad[:5]}")
        if got != want:
            fail(f"{name}: chunk files differ from the {grid} grid: missing {sorted(want - got)[:5]}, "
                 f"extra {sorted(got - want)[:5]}")
    return meta


def _spelled_v3(value):
    from oracle_v3 import v3_attr
    return v3_attr(value)


def check_provenance(block, store):
    """The root's "zpmpi" block (README, "Provenance"): what the store was made from."""
    if not isinstance(block, dict):
        fail(f"{store}: no provenance block \"zpmpi\" in the root attributes")
    missing = [k for k in ("version", "job_sha256", "sources", "created", "uuid") if k not in block]
    if missing:
        fail(f"{store}: provenance lacks {missing}")
    if not re.fullmatch(r"[0-9a-f]{64}", block["job_sha256"]):
        fail(f"{store}: job_sha256 {block['job_sha256']!r} is not a SHA-256")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", block["created"]):
        fail(f"{store}: created {block['created']!r} is not UTC ISO 8601")
    if not re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", block["uuid"]):
        fail(f"{store}: uuid {block['uuid']!r} is not a version 4 uuid")
    if not block["sources"] or not all("uri" in s for s in block["sources"]):
        fail(f"{store}: provenance sources {block['sources']!r}")


def open_zarr(store, **kw):
    """xr.open_zarr(store, **kw) with zpmpi's provenance block checked and set aside: what
    the cases compare with the source is the dataset."""
    ds = xr.open_zarr(store, **kw)
    check_provenance(ds.attrs.pop("zpmpi", None), store)
    return ds


def check(source, store, variables=None, renames=None, extra_attrs=None, chunks=None, compressor="zstd",
          group=None, v3=False):
    """Raises Mismatch (an AssertionError) naming the first difference.

    variables: source data variables chosen (None = all numeric ones); renames: source name ->
    store name; extra_attrs: root attributes added by the job (add_attrs, cache_label);
    chunks: the job's "chunks" ({} / None / "auto" = source chunks); compressor: the job's
    compressor JSON, or one of "zstd" / "lz4" / "none" for the default settings; group: the
    netCDF-4 group converted (None = the root); v3: `store` is the v2 transcode of a v3 store
    (oracle_v3.check_v3), which spells non-finite float attributes as strings and leaves out
    a _FillValue no element can hold (the variable then decodes unmasked: in its stored
    dtype, not as float64 with nothing masked; assert_identical does not compare dtypes, the
    raw view below compares the stored ones)."""
    renames = renames or {}
    spell = _spelled_v3 if v3 else (lambda value: value)
    if isinstance(compressor, str):
        compressor = COMPRESSOR_NAMES[compressor]
    if not os.path.isdir(store):
        fail(f"{store}: no store")

    # What xarray makes of the source, less what Zarr v2 cannot hold (zpmpi skips it).
    expected = xarray_view(source, group)
    raw = xarray_view(source, group, mask_and_scale=False, decode_times=False)
    if v3:
        from oracle_v3 import v3_attrs
        expected = v3_attrs(expected)
    chosen = list(variables) if variables is not None else list(raw.data_vars)
    if variables is not None:  # ds[names] keeps only the coordinates on their dims; ds keeps all
        expected = expected[chosen]
    expected = expected.rename({k: v for k, v in renames.items() if k in expected.variables})
    expected.attrs.update(extra_attrs or {})
    to_source = {v: k for k, v in renames.items()}
    arrays = list(expected.variables)

    meta = check_files(store, arrays)

    got = xr.open_zarr(store, consolidated=True)
    if sorted(got.data_vars) != sorted(expected.data_vars):
        fail(f"data variables {sorted(got.data_vars)} != {sorted(expected.data_vars)}")
    if sorted(got.coords) != sorted(expected.coords):
        fail(f"coordinates {sorted(got.coords)} != {sorted(expected.coords)}")
    if dict(got.sizes) != dict(expected.sizes):
        fail(f"dims {dict(got.sizes)} != {dict(expected.sizes)}")
    got = got.load()
    check_provenance(got.attrs.pop("zpmpi", None), store)
    expected = expected.load()
    try:
        xr.testing.assert_identical(got, expected)
    except AssertionError as e:
        fail(f"xarray: store and source differ:\n{e}")
    unconsolidated = xr.open_zarr(store, consolidated=False).load()
    unconsolidated.attrs.pop("zpmpi", None)
    if not unconsolidated.identical(got):
        fail("the store read without .zmetadata differs from the consolidated view")

    # The raw arrays, as zarr-python sees them.
    zgroup = zarr.open_consolidated(store, mode="r")
    if sorted(zgroup.array_keys()) != sorted(arrays):
        fail(f"zarr arrays {sorted(zgroup.array_keys())} != {sorted(arrays)}")
    root_attrs = dict(raw.attrs)
    root_attrs.update(extra_attrs or {})
    got_root = dict(zgroup.attrs)
    got_root.pop("zpmpi", None)  # zpmpi's own provenance: check_provenance
    # Coordinates no variable's attribute names are listed here, as xarray's encoder does.
    stray = [c for c in got_root.pop("coordinates", "").split() if c not in expected.coords]
    if stray:
        fail(f"root coordinates attribute names {stray}, which are not coordinates")
    if set(got_root) != set(root_attrs):
        fail(f"root attrs {sorted(zgroup.attrs)} != {sorted(root_attrs)}")
    for k, v in root_attrs.items():
        if not _same_value(_plain(zgroup.attrs[k]), spell(_plain(v))):
            fail(f"root attr {k}: {zgroup.attrs[k]!r} != {spell(v)!r}")
    for name in arrays:
        source_name = to_source.get(name, name)
        array = zgroup[name]
        var = raw[source_name]
        if array.dtype != var.dtype:
            fail(f"{name}: dtype {array.dtype} != source {var.dtype}")
        if array.shape != var.shape:
            fail(f"{name}: shape {array.shape} != source {var.shape}")
        try:
            np.testing.assert_array_equal(array[...], var.values, err_msg=f"{name}: raw values differ")
        except AssertionError as e:
            fail(str(e))
        source_fill = var.attrs.get("_FillValue")
        fill_attr = source_fill is not None and not _holds(var.dtype, source_fill)
        if fill_attr:
            source_fill = None  # NaN on a short: no fill_value; the attribute stays for xarray
        if source_fill is None:
            if array.fill_value is not None:
                fail(f"{name}: fill_value {array.fill_value!r}, but the source has no _FillValue")
        elif array.fill_value is None or not _same_value(array.fill_value, source_fill):
            fail(f"{name}: fill_value {array.fill_value!r} != source _FillValue {source_fill!r}")
        attrs = dict(array.attrs)
        dims = attrs.pop("_ARRAY_DIMENSIONS", None)
        if dims != list(var.dims):
            fail(f"{name}: _ARRAY_DIMENSIONS {dims} != {list(var.dims)}")
        want_attrs = {k: v for k, v in var.attrs.items() if k != "_FillValue" or fill_attr and not v3}
        # "coordinates" is re-encoded as xarray's encoder does, naming only written arrays (the
        # xarray comparison above checks what it means); here: every name in it is written.
        # One that xarray did not decode (it names a variable the source lacks) is still an
        # attribute of `var`: it stays as it is.
        coordinates = attrs.pop("coordinates", "")
        undecoded = want_attrs.pop("coordinates", None)
        if undecoded is not None and coordinates != undecoded:
            fail(f"{name}: coordinates attribute {coordinates!r} != source {undecoded!r} (not decoded by xarray)")
        unwritten = [c for c in coordinates.split() if c not in arrays]
        if unwritten and undecoded is None:
            fail(f"{name}: coordinates attribute {coordinates!r} names {unwritten}, which are not written")
        if set(attrs) != set(want_attrs):
            fail(f"{name}: attrs {sorted(attrs)} != source {sorted(want_attrs)}")
        for k, v in want_attrs.items():
            if not _same_value(_plain(attrs[k]), spell(_plain(v))):
                fail(f"{name}: attr {k}: {attrs[k]!r} != source {spell(v)!r}")
        want_chunks = expected_chunks(source, source_name, name, var.dims, var.shape, chunks, var.dtype, group)
        if array.chunks != want_chunks:
            fail(f"{name}: chunks {array.chunks} != expected {want_chunks}")
        za = meta[f"{name}/.zarray"]
        if za["compressor"] != compressor:
            fail(f"{name}: compressor {za['compressor']} != {compressor}")
    return True


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    opts = json.loads(sys.argv[3]) if len(sys.argv) == 4 else {}
    unknown = set(opts) - {"variables", "renames", "attrs", "chunks", "compressor", "group"}
    if unknown:
        sys.exit(f"oracle: unknown option(s) {sorted(unknown)}")
    try:
        check(sys.argv[1], sys.argv[2], variables=opts.get("variables"), renames=opts.get("renames"),
              extra_attrs=opts.get("attrs"), chunks=opts.get("chunks"),
              compressor=opts.get("compressor", DEFAULT_COMPRESSOR), group=opts.get("group"))
    except Mismatch as e:
        print(f"oracle: MISMATCH {sys.argv[2]} vs {sys.argv[1]}:\n{e}", file=sys.stderr)
        sys.exit(1)
    print(f"oracle: ok {sys.argv[2]} equals {sys.argv[1]}")


if __name__ == "__main__":
    main()
