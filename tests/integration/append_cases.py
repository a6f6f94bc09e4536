"""Issue 29: append new time steps to a cache ("mode": "append", --append), imported by
cases.py (`case_*` functions only).

The sources are built as the wild builds them: four monthly files, January to April 2000,
hourly (744, 696, 744 and 720 steps) on a 10 x 12 grid, each month written on its own by
xarray's to_netcdf: float32 t2m (missing values, a NaN attribute) and u10, both with
_FillValue NaN, as are latitude (float32, north to south) and longitude (float64); time
int64 in "hours since <the month's first day>", so every file has its own units and the
store keeps the first's. The job's preprocessors: a sel on latitude (6 of the 10 rows) and
a rename of t2m to temp2m.

  append_oracle     month 1 written by a normal run, months 2, 3 and 4 appended one run each
                    (--ranks; month 3 with the --append flag, the others with "mode":
                    "append"), with time chunks of 24 (dividing every month) and 50 (dividing
                    none: each append merges the partly filled last chunk). After each
                    append: xr.open_zarr(store) equals xr.open_mfdataset(the files so far)
                    after the same preprocessors (values, coordinates, decoded time,
                    attributes, NaN attributes), the raw time is in the first file's units,
                    the old complete chunks are not rewritten (same inode, same mtime) and
                    nothing is left beside the store. The final store equals, file for file
                    and byte for byte, the store one run writes from the four files
                    ("concat_dim": "time"), but for the provenance (the root's "zpmpi"
                    attribute in .zattrs and .zmetadata, and .zpmpi/), and `zpmpi verify`
                    of it against that one-run job passes
  append_v3         the same with "zarr_format": 3 (no shards) and "append_dim": "time", the
                    store read by zarrita (oracle_v3.as_v2) and compared with the one-run
                    v3 store (the "zpmpi" attribute of zarr.json aside); skipped (exit 77)
                    where zarrita is not installed
  append_v3_shards  the same with shards of 2 chunks along time (month 1 ends within a shard:
                    the partly filled shard is rewritten by its owner), the shard indexes
                    checked by oracle_v3
  append_kerchunk   month 1 written from a kerchunk reference set of its file, months 2-4
                    appended from theirs: against xarray after each append, and file for file
                    against the one-run store of the netCDF files (NaN attributes aside, which
                    references spell "NaN")
  append_refusals   appends refused with one line "zpmpi: error: ..." and a non-zero exit, the
                    store byte-identical (every file, .zpmpi/ too) and nothing left beside it:
                    data the store already holds ("already holds"), data overlapping its end
                    ("already holds" and the overlapping range), data before it ("before the
                    store's last"), a gap
                    ("gap", "allow_gaps"), another dtype ("dtype", t2m), other chunks
                    ("chunks"), another grid ("latitude", "differs"), a variable the job does
                    not write (by the job's variables and by a file without it: "u10", "does
                    not write"), another compressor ("compressor"), another fill value ("t2m",
                    "fill_value"), another attribute ("t2m", "units", "degC"), no store ("no
                    store"), an incomplete store ("not a complete"); then the gap
                    appended with "allow_gaps": true, against xarray
  append_kill       SIGKILL to every process of an append of months 2-4 (one multi-file source,
                    slowed by ZPMPI_TEST_WRITE_DELAY_MS) at 5 seeded random moments (after a
                    random number of its chunk files): each time the old store byte-identical,
                    read by xarray as before, and `zpmpi verify` of the job that wrote it
                    passes; then --resume keeps the killed run's chunks, finishes the append,
                    and the store equals the one-run store file for file (provenance aside).
                    A sixth kill once every chunk file is written (metadata, swap): the old
                    store byte-identical or the new one whole, and --resume finishes
  append_statistics  statistics ("by" latitude, a time window across the months) merged with each
                    append's, against numpy on xarray's reading of the store; verify against the
                    job of all four files; another window and a store without statistics refused
  append_idempotent  a finished append run again (job key, --append flag, and the two months
                    as one multi-file source) is refused with "already holds", the store
                    unchanged; with --resume it exits 0 saying "nothing to append" and changes
                    nothing; so too after a kill just after the swap (planted: the old store
                    half removed at the run's copy name, its stale lock), and then nothing is
                    left beside the store; the next month is still appended
"""
import json
import os
import random
import re
import shutil
import sys
import time

import numpy as np

import oracle  # noqa: E402  (tests/integration is on sys.path: cases.py imports this file)

MONTHS = [("2000-01", 744), ("2000-02", 696), ("2000-03", 744), ("2000-04", 720)]
LATITUDE = np.linspace(60, -60, 10).astype("f4")
LONGITUDE = np.arange(12) * 30.0
CHAIN = [{"type": "sel", "latitude": [50, -30]}, {"type": "rename", "var_id": "t2m", "new_name": "temp2m"}]
SEL_ONLY = CHAIN[:1]
SPACE = {"latitude": 4, "longitude": 6}  # 5 selected rows: an edge chunk along latitude too
FIRST_UNITS = "hours since 2000-01-01 00:00:00"
ROOT_DOCUMENTS = (".zattrs", ".zmetadata", "zarr.json")


def _cases():
    return sys.modules["__main__"]  # cases.py, which runs the case


# ---- sources ---------------------------------------------------------------------------------

def write_month(path, start, periods, t2m_dtype="f4", latitude_shift=0.0, with_u10=True, unlimited=True,
                t2m_fill=None, t2m_units="K"):
    """One month as xarray writes it on its own: `periods` hourly steps from `start`. The
    values are a function of the hour since 2000-01-01 (the same step has the same values in
    any file). t2m_fill: its _FillValue (None: xarray's NaN). Written to a temporary name and
    renamed: complete or absent."""
    import pandas as pd
    import xarray as xr
    time_ = pd.date_range(start, periods=periods, freq="h")
    hours = ((time_ - pd.Timestamp("2000-01-01")) // pd.Timedelta("1h")).to_numpy()
    grid = np.arange(LATITUDE.size * LONGITUDE.size, dtype="f8").reshape(LATITUDE.size, LONGITUDE.size)
    t2m = (250 + grid / 7 + 10 * np.sin(hours / 24 * 2 * np.pi)[:, None, None]
           + (hours % 17)[:, None, None] / 3).astype("f4")
    t2m[hours % 97 == 5, 2, 3] = np.nan  # missing values, some of them in every month
    t2m[hours % 211 == 0, 6, :] = np.nan
    u10 = (np.cos(hours / 13)[:, None, None] * (grid / 40 - 1)).astype("f4")
    data = {"t2m": (("time", "latitude", "longitude"), t2m.astype(t2m_dtype),
                    {"units": t2m_units, "long_name": "2 metre temperature", "valid_max": np.nan})}
    if with_u10:
        data["u10"] = (("time", "latitude", "longitude"), u10,
                       {"units": "m s**-1", "long_name": "10 metre U wind component"})
    ds = xr.Dataset(data, coords={
        "time": ("time", time_, {"long_name": "time"}),
        "latitude": ("latitude", LATITUDE + np.float32(latitude_shift), {"units": "degrees_north"}),
        "longitude": ("longitude", LONGITUDE, {"units": "degrees_east"})},
        attrs={"Conventions": "CF-1.6", "title": "ERA5-like hourly test data"})
    tmp = path + ".tmp"
    encoding = {"t2m": {"_FillValue": np.float32(t2m_fill)}} if t2m_fill is not None else None
    ds.to_netcdf(tmp, unlimited_dims=["time"] if unlimited else None, encoding=encoding)
    os.replace(tmp, path)
    return path


def months(r, unlimited=True):
    """The four monthly files (in the case's work directory)."""
    folder = os.path.join(r.work, "months")
    os.makedirs(folder, exist_ok=True)
    return [write_month(os.path.join(folder, f"era5_{m}.nc"), f"{m}-01", n, unlimited=unlimited) for m, n in MONTHS]


def check_sources(files):
    """The files are what the cases say: per-file units, int64 time, NaN fills."""
    import netCDF4
    units = []
    for f in files:
        with netCDF4.Dataset(f) as ds:
            units.append(ds["time"].units)
            assert ds["time"].dtype == np.int64, (f, ds["time"].dtype)
            assert np.isnan(ds["t2m"].getncattr("_FillValue")) and np.isnan(ds["latitude"].getncattr("_FillValue")), f
    assert units == [f"hours since {m}-01 00:00:00" for m, _ in MONTHS[:len(files)]], units


# ---- expectations ----------------------------------------------------------------------------

def expected(files, chain=CHAIN):
    """What the store must hold: xr.open_mfdataset of `files` with `chain` applied, loaded."""
    import xarray as xr
    ds = xr.open_mfdataset(files, combine="nested", concat_dim="time")
    for p in chain:
        if p["type"] == "sel":
            ds = ds.sel({d: slice(*v) for d, v in p.items() if d != "type"})
        elif p["type"] == "rename":
            ds = ds.rename({p["var_id"]: p["new_name"]})
        else:
            raise ValueError(p)
    return ds.load()


def readable(r, store, v3, shards=None):
    """A v2 store xarray reads as the store (v3: checked, with the job's `shards`, and
    transcoded by oracle_v3)."""
    if not v3:
        return store
    import oracle_v3
    try:
        return oracle_v3.as_v2(store, r.work, "zstd", shards)
    except oracle.Mismatch as e:
        sys.exit(f"FAIL: v3 store {store}:\n{e}")


def compare(r, store, want, what, v3=False, shards=None):
    """xr.open_zarr(store) (provenance checked and set aside) equals `want`; its raw time is
    in the first file's units (the hours since 2000-01-01 of `want`'s steps)."""
    import xarray as xr
    v2 = readable(r, store, v3, shards)
    got = oracle.open_zarr(v2, consolidated=True).load()
    if v3:
        import oracle_v3
        want = oracle_v3.v3_attrs(want)
    try:
        xr.testing.assert_identical(got, want)
    except AssertionError as e:
        sys.exit(f"FAIL {what}: the store differs from xarray's reading of the files:\n{e}")
    raw = oracle.open_zarr(v2, consolidated=True, decode_times=False)
    hours = (want.time.values - np.datetime64("2000-01-01")) // np.timedelta64(1, "h")
    if raw.time.attrs.get("units") != FIRST_UNITS or raw.time.dtype != np.int64 \
            or not np.array_equal(raw.time.values, hours):
        sys.exit(f"FAIL {what}: the raw time is not int64 in {FIRST_UNITS!r} (hours since January 1): "
                 f"{raw.time.dtype} {raw.time.attrs} {raw.time.values[:3]}...{raw.time.values[-3:]}")
    if v3:
        shutil.rmtree(os.path.dirname(v2))
    print(f"ok {what}: equals xarray's reading of the files ({dict(got.sizes)}), time in {FIRST_UNITS!r}")


def _drop_provenance(name, doc):
    """A root document without the provenance attribute "zpmpi" (which must be there)."""
    if name == ".zattrs":
        holders = [doc]
    elif name == ".zmetadata":
        holders = [doc["metadata"][".zattrs"]]
    else:  # zarr.json: the root's attributes (and the root's own entry, if consolidated)
        holders = [doc["attributes"]]
        inner = doc.get("consolidated_metadata", {}).get("metadata", {})
        holders += [inner[k]["attributes"] for k in ("", "/") if k in inner and "attributes" in inner[k]]
    for h in holders:
        assert "zpmpi" in h, f"no provenance attribute \"zpmpi\" in the root's {name}"
        del h["zpmpi"]
    return doc


def _nan_spelled(value):
    """A JSON document with every float NaN spelled "NaN", as kerchunk's references spell it."""
    if isinstance(value, dict):
        return {k: _nan_spelled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_spelled(v) for v in value]
    return "NaN" if isinstance(value, float) and value != value else value


def comparable(store, nan_spelled=()):
    """{relative path: bytes} of every file of the store but .zpmpi/; the root documents as
    their JSON without the provenance attribute; the documents named in `nan_spelled` as
    their JSON with NaN spelled "NaN"."""
    out = {}
    for rel, path in _cases().tree(store).items():
        with open(path, "rb") as fh:
            data = fh.read()
        out[rel] = _drop_provenance(rel, json.loads(data)) if rel in ROOT_DOCUMENTS else data
        if rel in nan_spelled:
            out[rel] = _nan_spelled(out[rel] if isinstance(out[rel], dict) else json.loads(data))
    return out


def same_files(got_store, want_store, what, nan_spelled=()):
    """The two stores are the same files with the same bytes, provenance aside (and NaN
    spelled alike in the documents named in `nan_spelled`)."""
    got, want = comparable(got_store, nan_spelled), comparable(want_store, nan_spelled)
    if got.keys() != want.keys():
        sys.exit(f"FAIL {what}: the files differ from the one-run store's: only in the appended "
                 f"{sorted(set(got) - set(want))[:10]}, only in the one-run {sorted(set(want) - set(got))[:10]}")
    differ = sorted(k for k in got if got[k] != want[k])
    if differ:
        first = differ[0]
        detail = ""
        if isinstance(got[first], dict) or first.endswith((".zarray", ".zattrs", "zarr.json")):
            detail = f"\nappended: {got[first]!r}\none run:  {want[first]!r}"
        sys.exit(f"FAIL {what}: {len(differ)} of {len(got)} files differ from the one-run store's, e.g. "
                 f"{differ[:10]}{detail}")
    print(f"ok {what}: {len(got)} files identical to the one-run store's (provenance aside)")


def beside(store):
    """What zpmpi left beside the store: entries of its parent starting with ".NAME.zpmpi"."""
    parent, name = os.path.split(os.path.abspath(store))
    return sorted(e for e in os.listdir(parent) if e.startswith(f".{name}.zpmpi"))


def expect_nothing_beside(store, what):
    left = beside(store)
    if left:
        sys.exit(f"FAIL {what}: left beside the store: {left}")


def _array_layout(store, name):
    """(dims, chunks, chunk key of a chunk index) of an array of a v2 or v3 store."""
    d = os.path.join(store, name)
    if os.path.exists(os.path.join(d, ".zarray")):
        with open(os.path.join(d, ".zarray")) as f:
            meta = json.load(f)
        with open(os.path.join(d, ".zattrs")) as f:
            dims = json.load(f)["_ARRAY_DIMENSIONS"]
        sep = meta.get("dimension_separator", ".")
        return dims, meta["chunks"], lambda idx: sep.join(map(str, idx))
    with open(os.path.join(d, "zarr.json")) as f:
        meta = json.load(f)
    encoding = meta["chunk_key_encoding"]
    sep = encoding.get("configuration", {}).get("separator", "/" if encoding["name"] == "default" else ".")
    prefix = "c" + sep if encoding["name"] == "default" else ""
    return (meta["dimension_names"], meta["chunk_grid"]["configuration"]["chunk_shape"],
            lambda idx: (prefix + sep.join(map(str, idx))).replace("/", os.sep))


def complete_time_chunks(store, variables):
    """{path: (inode, mtime_ns)} of the chunk files of `variables` wholly inside the store's
    time extent: what an append must leave alone."""
    n = None
    out = {}
    for name in variables:
        dims, chunks, key = _array_layout(store, name)
        if n is None:
            n = _time_length(store)
        axis = dims.index("time")
        full = n // chunks[axis]
        d = os.path.join(store, name)
        for root, _, files in os.walk(d):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), d)
                if f.startswith(".") or rel == "zarr.json":
                    continue
                parts = rel.replace(os.sep, ".").split(".")
                parts = parts[1:] if parts[0] == "c" else parts
                if int(parts[axis]) < full:
                    st = os.stat(os.path.join(root, f))
                    out[os.path.join(name, rel)] = (st.st_ino, st.st_mtime_ns)
    assert out, f"no complete chunk along time in {store}"
    return out


def _time_length(store):
    for doc in ("time/.zarray", "time/zarr.json"):
        path = os.path.join(store, doc)
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)["shape"][0]
    sys.exit(f"FAIL: no time array in {store}")


def expect_not_rewritten(before, store, what):
    rewritten = sorted(k for k, v in before.items()
                       if not os.path.exists(os.path.join(store, k)) or
                       (os.stat(os.path.join(store, k)).st_ino, os.stat(os.path.join(store, k)).st_mtime_ns) != v)
    if rewritten:
        sys.exit(f"FAIL {what}: {len(rewritten)} of the {len(before)} complete old chunks were rewritten "
                 f"(another inode or mtime), e.g. {rewritten[:8]}")
    print(f"ok {what}: none of the {len(before)} complete old chunks rewritten")


def refused(p, what, *needles, any_of=None):
    """A refusal: a non-zero exit, exactly one error line, rank 0's, holding every needle
    (and one of `any_of` when given)."""
    lines = _cases().error_lines(p)
    problems = []
    if p.returncode == 0:
        problems.append("exit 0")
    if len(lines) != 1:
        problems.append(f"expected exactly one error line, got {len(lines)}")
    elif not lines[0].startswith("zpmpi: error: "):
        problems.append(f"the error line does not start with 'zpmpi: error: ': {lines[0]!r}")
    else:
        problems += [f"{n!r} not in {lines[0]!r}" for n in needles if n not in lines[0]]
        if any_of and not any(n in lines[0] for n in any_of):
            problems.append(f"none of {any_of} in {lines[0]!r}")
    if problems:
        sys.exit(f"FAIL {what}: " + "; ".join(problems) + f"\n$ {p.cmd}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    print(f"ok {what}: exit {p.returncode}: {lines[0]}")
    return lines[0]


# ---- jobs ------------------------------------------------------------------------------------

def job(r, name, source, store, time_chunk, chain=CHAIN, append=False, **more):
    """A job file: `source` (a path, or a list of paths: one multi-file source along time)."""
    if isinstance(source, list):
        source = {"uri": source, "concat_dim": "time"}
    keys = dict(source=source, store=store, chunks=dict(SPACE, time=time_chunk), preprocessors=chain)
    if append:
        keys["mode"] = "append"
    keys.update(more)
    return r.job(name, **keys)


def one_run(r, files, name, time_chunk, ranks, **more):
    """The store written in one run from all the files (a multi-file source)."""
    store = r.store(name)
    _cases().expect_ok(r.run(ranks, "--config", job(r, name.replace(".zarr", ""), files, store, time_chunk, **more)),
                       f"the one-run store {name}")
    return store


# ---- cases -----------------------------------------------------------------------------------

def _append_month_by_month(r, a, files, time_chunk, v3=False, shards=None):
    """Month 1 written, 2, 3 and 4 appended, each checked; the store compared with one run's
    and verified against the job of all four files."""
    cases = _cases()
    fmt = {"zarr_format": 3, "append_dim": "time"} if v3 else {}
    if shards:
        fmt["shards"] = shards
    tag = f"{'v3 ' if v3 else ''}time chunk {time_chunk}{f' shards {shards}' if shards else ''} -n {a.ranks}"
    store = r.store(f"t{time_chunk}.zarr")
    first = {k: v for k, v in fmt.items() if k != "append_dim"}
    cases.expect_ok(r.run(a.ranks, "--config", job(r, f"t{time_chunk}_m1", files[0], store, time_chunk, **first)),
                    f"month 1 ({tag})")
    compare(r, store, expected(files[:1]), f"month 1 ({tag})", v3, shards)
    variables = ["temp2m", "u10"]
    for k in (1, 2, 3):
        old_extent = sum(n for _, n in MONTHS[:k])
        old = complete_time_chunks(store, variables)
        if k == 2:  # the --append flag on a job without "mode"
            args = ["--config", job(r, f"t{time_chunk}_m{k + 1}", files[k], store, time_chunk, **fmt), "--append"]
        else:
            args = ["--config", job(r, f"t{time_chunk}_m{k + 1}", files[k], store, time_chunk, append=True, **fmt)]
        p = r.run(a.ranks, *args)
        partial = f", the last chunk {old_extent % time_chunk} of {time_chunk} rows" if old_extent % time_chunk else ""
        what = f"month {k + 1} appended ({tag}{partial})"
        cases.expect_ok(p, what)
        compare(r, store, expected(files[:k + 1]), what, v3, shards)
        expect_not_rewritten(old, store, what)
        expect_nothing_beside(store, what)
    one = one_run(r, files, f"t{time_chunk}_one.zarr", time_chunk, a.ranks, **first)
    compare(r, one, expected(files), f"the one-run store ({tag})", v3, shards)
    same_files(store, one, f"appended month by month ({tag})")
    # zpmpi verify of the appended store against the job of all the files (without "mode").
    everything = job(r, f"t{time_chunk}_all", files, store, time_chunk, **first)
    p = r.run(a.ranks, "verify", "--config", everything)
    cases.expect_ok(p, f"verify of the appended store ({tag})")
    if "is exactly this job's output" not in p.stdout + p.stderr:
        sys.exit(f"FAIL verify of the appended store ({tag}):\n{p.stdout}{p.stderr}")
    print(f"ok verify of the appended store against the job of all four files ({tag})")


def case_append_oracle(r, a):
    files = months(r, unlimited=False)
    check_sources(files)
    # 24 divides every month (no partial chunk); 50 divides none (744, 1440, 2184: 44, 40, 34 rows).
    for time_chunk in (24, 50):
        _append_month_by_month(r, a, files, time_chunk)


def _v3_months(r):
    """The monthly files, or a skip (exit 77) where zarrita, the v3 oracle, is missing."""
    import oracle_v3
    missing = oracle_v3.zarrita_missing()
    if missing:
        print(f"SKIP: {missing}")
        sys.exit(77)
    return months(r, unlimited=False)


def case_append_v3(r, a):
    files = _v3_months(r)
    check_sources(files)
    for time_chunk in (24, 50):
        _append_month_by_month(r, a, files, time_chunk, v3=True)


def case_append_v3_shards(r, a):
    files = _v3_months(r)
    # Shards of 2 chunks along time: month 1 ends within a shard either way (744 = 15.5 x 48,
    # 7.44 x 100), and within a chunk for 50; the other dims one shard.
    for time_chunk in (24, 50):
        _append_month_by_month(r, a, files, time_chunk, v3=True, shards={"time": 2 * time_chunk})


def case_append_kerchunk(r, a):
    """Month 1 written from a kerchunk reference set of its file, months 2, 3 and 4 appended
    from theirs (each its own time units), time chunk 50: after each append against xarray;
    at the end the store equals the one-run store of the netCDF files file for file, but for
    t2m's NaN attribute, which the references spell "NaN" (as xarray reads them)."""
    import make_refs
    cases = _cases()
    files = months(r, unlimited=False)
    refs = []
    for f in files:
        refs.append(f[:-len(".nc")] + ".json")
        make_refs.make_refs(refs[-1], [f])
    chunk = 50

    def want(k):
        ds = expected(files[:k])
        ds["temp2m"].attrs["valid_max"] = "NaN"
        return ds

    store = r.store("refs.zarr")
    source = [{"uri": path, "engine": "kerchunk"} for path in refs]
    cases.expect_ok(r.run(a.ranks, "--config", job(r, "refs_m1", source[0], store, chunk)), "month 1 from references")
    compare(r, store, want(1), f"month 1 from references -n {a.ranks}")
    for k in (1, 2, 3):
        old = complete_time_chunks(store, ["temp2m", "u10"])
        what = f"month {k + 1} appended from references -n {a.ranks}"
        p = r.run(a.ranks, "--config", job(r, f"refs_m{k + 1}", source[k], store, chunk, append=True))
        cases.expect_ok(p, what)
        compare(r, store, want(k + 1), what)
        expect_not_rewritten(old, store, what)
        expect_nothing_beside(store, what)
    one = one_run(r, files, "one.zarr", chunk, a.ranks)
    same_files(store, one, "appended from references", nan_spelled=("temp2m/.zattrs", ".zmetadata"))


def case_append_refusals(r, a):
    cases = _cases()
    files = months(r)
    folder = os.path.dirname(files[0])
    variants = {
        "float64": write_month(os.path.join(folder, "f8_2000-02.nc"), "2000-02-01", 696, t2m_dtype="f8"),
        "shifted": write_month(os.path.join(folder, "shifted_2000-02.nc"), "2000-02-01", 696, latitude_shift=0.25),
        "no_u10": write_month(os.path.join(folder, "no_u10_2000-02.nc"), "2000-02-01", 696, with_u10=False),
        "fill": write_month(os.path.join(folder, "fill_2000-02.nc"), "2000-02-01", 696, t2m_fill=-9999),
        "celsius": write_month(os.path.join(folder, "celsius_2000-02.nc"), "2000-02-01", 696, t2m_units="degC"),
        "december": write_month(os.path.join(folder, "era5_1999-12.nc"), "1999-12-01", 744),
        "straddle": write_month(os.path.join(folder, "straddle.nc"), "2000-01-20", 500),  # Jan 20 .. Feb 9
    }
    store = r.store("refuse.zarr")
    chunk = 24
    cases.expect_ok(r.run(a.ranks, "--config", job(r, "refuse_m1", files[0], store, chunk, SEL_ONLY)), "month 1")
    attempts = [
        ("the month the store holds", dict(source=files[0]), ["already holds"], None),
        ("the month before the store", dict(source=variants["december"]), ["before the store's last"], None),
        ("a month overlapping the store's end", dict(source=variants["straddle"]), ["already holds", "456", "743"],
         None),
        ("a gap (month 3 after month 1)", dict(source=files[2]), ["gap", "allow_gaps"], None),
        ("t2m in float64", dict(source=variants["float64"]), ["dtype", "t2m"], None),
        ("other chunks along time", dict(source=files[1], time_chunk=50), ["chunks"], None),
        ("latitude shifted by 0.25", dict(source=variants["shifted"]), ["latitude", "differs"], None),
        ("a job writing t2m only", dict(source=files[1], variables=["t2m"]), ["u10", "does not write"], None),
        ("a file without u10", dict(source=variants["no_u10"]), ["u10", "does not write"], None),
        # Beyond the brief's list, from the issue's: compressor, fill value, attributes.
        ("another compressor", dict(source=files[1], compressor={"id": "lz4", "acceleration": 1}), ["compressor"],
         None),
        ("t2m with _FillValue -9999", dict(source=variants["fill"]), ["t2m", "fill_value"], None),
        ("t2m in degC", dict(source=variants["celsius"]), ["t2m", "units", "degC"], None),
    ]
    before = cases._snapshot(store)
    for i, (what, keys, needles, any_of) in enumerate(attempts):
        keys = dict(keys)
        source, time_chunk = keys.pop("source"), keys.pop("time_chunk", chunk)
        p = r.run(a.ranks, "--config", job(r, f"refuse_{i}", source, store, time_chunk, SEL_ONLY, append=True, **keys))
        refused(p, f"append of {what}", *needles, any_of=any_of)
        cases._expect_unchanged(before, store, f"after the refused append of {what}")
        expect_nothing_beside(store, f"the refused append of {what}")
    # No store: nothing created, nothing beside.
    absent = r.store("absent.zarr")
    p = r.run(a.ranks, "--config", job(r, "refuse_absent", files[1], absent, chunk, SEL_ONLY, append=True))
    refused(p, "append to no store", "no store")
    assert not os.path.exists(absent), f"the refused append created {absent}"
    expect_nothing_beside(absent, "the refused append to no store")
    # An incomplete store (no consolidated metadata: a write that did not finish).
    incomplete = r.store("incomplete.zarr")
    shutil.copytree(store, incomplete)
    os.remove(os.path.join(incomplete, ".zmetadata"))
    snap = cases._snapshot(incomplete)
    p = r.run(a.ranks, "--config", job(r, "refuse_incomplete", files[1], incomplete, chunk, SEL_ONLY, append=True))
    refused(p, "append to an incomplete store (no .zmetadata)", "not a complete")
    cases._expect_unchanged(snap, incomplete, "after the refused append to an incomplete store")
    expect_nothing_beside(incomplete, "the refused append to an incomplete store")
    # The gap, allowed.
    allowed = job(r, "gap_allowed", files[2], store, chunk, SEL_ONLY, append=True, allow_gaps=True)
    p = r.run(a.ranks, "--config", allowed)
    cases.expect_ok(p, "month 3 after month 1 with allow_gaps")
    compare(r, store, expected([files[0], files[2]], SEL_ONLY), "month 3 after month 1 with allow_gaps")
    expect_nothing_beside(store, "the append with allow_gaps")


def _new_chunk_files(store, old):
    """Chunk files of an append in progress (temporaries not counted) at keys the store did
    not hold (`old`: its relative paths), in zpmpi's entries beside it and in the store."""
    parent = os.path.dirname(os.path.abspath(store))
    n = 0
    for top in [os.path.join(parent, e) for e in beside(store)] + [store]:
        for root, _, files in os.walk(top):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), top)
                n += f[0].isdigit() and "tmp" not in f and rel not in old
    return n


def _kill_trial(r, trial, files, one, chunk, total, point, delay, old_view):
    """Month 1 written, the append of months 2-4 started and killed once `point` chunk files
    at new keys exist (0: at a random moment of its first half second; None: once all are
    written, as it writes the metadata and swaps the store in, or after it ended); the store
    is the old one (byte-identical, read by xarray as before, verify passes) or, for a kill
    at the end only, the new one whole; --resume finishes the append."""
    cases = _cases()
    store = r.store(f"kill{trial}.zarr")
    _remove_beside(store)  # what a failed earlier run of this case left
    first = job(r, f"kill{trial}_m1", files[0], store, chunk)
    cases.expect_ok(r.run(2, "--config", first), f"trial {trial}: month 1")
    append = job(r, f"kill{trial}_append", files[1:], store, chunk, append=True)
    before = cases._snapshot(store)
    old = set(before)
    p = cases._start(r, 2, append, env={"ZPMPI_TEST_WRITE_DELAY_MS": str(delay)}, name=f"kill{trial}")
    if point is None:
        while p.poll() is None and _new_chunk_files(store, old) < total:
            time.sleep(0.002)
    elif point:
        cases._wait_for(f"{point} chunk files of the append", lambda: _new_chunk_files(store, old) >= point, p)
    else:
        time.sleep(random.Random(trial).uniform(0, 0.5))
        if p.poll() is not None:
            sys.exit(f"FAIL trial {trial}: the append ended (exit {p.returncode}) before the kill")
    seen, ended = _new_chunk_files(store, old), p.poll() is not None
    cases._kill_session(p)
    what = (f"trial {trial}: SIGKILL after {seen} of {total} chunk files at new keys (delay {delay} ms"
            f"{', the run had ended' if ended else ''})")
    swapped = point is None and cases._snapshot(store) != before
    if swapped:  # the kill came after the swap: the new store, whole
        same_files(store, one, f"{what}: the store was swapped in")
    else:
        cases._expect_unchanged(before, store, what)
        compare(r, store, old_view, f"{what}: the old store")
        p = r.run(2, "verify", "--config", first)
        cases.expect_ok(p, f"{what}: verify of the old store")
        assert "is exactly this job's output" in p.stdout + p.stderr, p.stdout + p.stderr
    p = r.run(2, "--config", append, "--resume")
    cases.expect_ok(p, f"{what}: --resume")
    out = p.stdout + p.stderr
    kept = re.search(r"resuming .*: (\d+) of \d+ chunks are complete and kept", out)
    if swapped and "nothing to append" not in out:
        sys.exit(f"FAIL {what}: --resume of the finished append does not say \"nothing to append\":\n{out}")
    if not swapped and seen and not (kept and int(kept.group(1)) >= seen):
        sys.exit(f"FAIL {what}: --resume did not keep the {seen} chunk files of the killed append:\n{out}")
    compare(r, store, expected(files), f"{what}: resumed")
    same_files(store, one, f"{what}: resumed")
    expect_nothing_beside(store, f"{what}: resumed")


def case_append_kill(r, a):
    files = months(r, unlimited=False)
    chunk = 50  # month 1 ends 44 rows into chunk 14: the append merges it
    one = one_run(r, files, "one.zarr", chunk, 2)
    # Chunk files at new keys: temp2m and u10, time chunks 15..58, 2 x 2 along latitude, longitude.
    total = 2 * (-(-sum(n for _, n in MONTHS) // chunk) - (-(-744 // chunk))) * 2 * 2
    rng = random.Random(29)
    old_view = expected(files[:1])
    for trial in range(5):
        point, delay = rng.randrange(0, total - total // 5), rng.choice([5, 10, 20])
        _kill_trial(r, trial, files, one, chunk, total, point, delay, old_view)
    _kill_trial(r, 5, files, one, chunk, total, None, 5, old_view)


def _remove_beside(store):
    parent = os.path.dirname(os.path.abspath(store))
    for e in beside(store):
        path = os.path.join(parent, e)
        shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)


def _plant_killed_swap(store, old):
    """Beside `store`, what a run killed while removing the old store after the swap leaves:
    `old` (a copy of the store before the append) at the run's copy name, its .zmetadata
    and longitude/ removed (the marker .zpmpi/ goes last), and the run's lock, stale (this
    host, another boot). Returns the planted copy's path."""
    import socket
    parent, name = os.path.split(os.path.abspath(store))
    host = socket.gethostname()
    copy = os.path.join(parent, f".{name}.zpmpi-new-{host}-4242")
    shutil.copytree(old, copy, symlinks=True)
    assert os.path.isdir(os.path.join(copy, ".zpmpi")), "the old store has no marker"
    os.remove(os.path.join(copy, ".zmetadata"))
    shutil.rmtree(os.path.join(copy, "longitude"))
    with open(os.path.join(parent, f".{name}.zpmpi-lock"), "w") as f:
        f.write(f"zpmpi-lock 1\nhost={host}\npid=4242\nstart_time=1\nboot_id=00000000-0000-4000-8000-000000000000\n"
                f"slurm_job_id=\nstore={os.path.abspath(store)}\n")
    return copy


def case_append_idempotent(r, a):
    cases = _cases()
    files = months(r, unlimited=False)
    chunk = 50
    store = r.store("again.zarr")
    _remove_beside(store)  # what a failed earlier run of this case left
    cases.expect_ok(r.run(a.ranks, "--config", job(r, "again_m1", files[0], store, chunk)), "month 1")
    january = os.path.join(r.work, "january.zarr")  # the store before the append, for the kill below
    shutil.rmtree(january, ignore_errors=True)
    shutil.copytree(store, january, symlinks=True)
    feb = job(r, "again_m2", files[1], store, chunk, append=True)
    cases.expect_ok(r.run(a.ranks, "--config", feb), "month 2 appended")
    before = cases._snapshot(store)
    attempts = [("the same append again", ["--config", feb]),
                ("the same append with --append",
                 ["--config", job(r, "again_flag", files[1], store, chunk), "--append"]),
                ("months 1 and 2 as one source",
                 ["--config", job(r, "again_both", files[:2], store, chunk, append=True)])]
    for what, args in attempts:
        refused(r.run(a.ranks, *args), what, "already holds")
        cases._expect_unchanged(before, store, f"after {what}")
        expect_nothing_beside(store, what)
    p = r.run(a.ranks, "--config", feb, "--resume")
    cases.expect_ok(p, "--resume of the finished append")
    if "nothing to append" not in p.stdout + p.stderr:
        sys.exit(f"FAIL --resume of the finished append does not say \"nothing to append\":\n{p.stdout}{p.stderr}")
    cases._expect_unchanged(before, store, "after --resume of the finished append")
    expect_nothing_beside(store, "--resume of the finished append")
    # What a SIGKILL just after the swap leaves (append_kill meets it by chance): the old store
    # exchanged out to the run's copy name, marked, half removed (.zmetadata and an array gone,
    # the marker last), and the run's lock. --resume finishes that too: nothing to append,
    # the leftovers removed, the store unchanged.
    old_store = _plant_killed_swap(store, january)
    p = r.run(a.ranks, "--config", feb, "--resume")
    what = "--resume after a kill while the old store was removed"
    cases.expect_ok(p, what)
    if "nothing to append" not in p.stdout + p.stderr:
        sys.exit(f"FAIL {what} does not say \"nothing to append\":\n{p.stdout}{p.stderr}")
    cases._expect_unchanged(before, store, f"after {what}")
    if beside(store):
        sys.exit(f"FAIL {what}: left beside the store: {beside(store)} (planted: {old_store} and the lock); "
                 f"a next append meets the stale lock\n$ {p.cmd}\n{p.stdout}{p.stderr}")
    print(f"ok {what}: the old store's remains and the lock removed")
    p = r.run(a.ranks, "--config", job(r, "again_m3", files[2], store, chunk, append=True))
    cases.expect_ok(p, "month 3 appended after the refusals")
    compare(r, store, expected(files[:3]), "month 3 appended after the refusals")


def _store_statistics(store):
    """{array: its "statistics" attribute} of a v2 store."""
    out = {}
    for name in ("temp2m", "u10"):
        with open(os.path.join(store, name, ".zattrs")) as f:
            out[name] = json.loads(f.read())["statistics"]
    return out


def case_append_statistics(r, a):
    """Statistics ("by" latitude, a time window over the four months) written with month 1
    and merged with each append's (issue 29 with issue 28): after each append, against
    numpy (math.fsum-grade) on xarray's reading of the store; then zpmpi verify against the
    job of all four files (its exact figures within 1e-12 of the merged ones). Refused: an
    append whose window differs from the store's, and statistics to merge into a store
    without them (the store byte-identical)."""
    import xarray as xr
    from statistics_cases import _compare, _expected
    cases = _cases()
    files = months(r, unlimited=False)
    statistics = {"by": ["latitude"], "time": ["2000-01-10", "2000-03-20 12:00"]}
    windows = {"time": statistics["time"]}
    store = r.store("stats.zarr")
    cases.expect_ok(r.run(a.ranks, "--config", job(r, "stats_m1", files[0], store, 50, statistics=statistics)),
                    "month 1 with statistics")
    plan = r.run(1, "plan", "--config", job(r, "stats_m2", files[1], store, 50, append=True, statistics=statistics))
    cases.expect_ok(plan, "zpmpi plan --append")
    for needle in ("696 steps along time after its 744", "merged into the store's partly filled chunk 14 (after its 44",
                   "4 chunk files rewritten", "as new chunks from 15", "8 rewritten"):
        if needle not in plan.stdout:
            sys.exit(f"FAIL zpmpi plan --append: {needle!r} not in:\n{plan.stdout}")
    print("ok zpmpi plan --append names the steps added and the chunks rewritten")
    for k in (1, 2, 3):
        p = r.run(a.ranks, "--config", job(r, f"stats_m{k + 1}", files[k], store, 50, append=True,
                                           statistics=statistics))
        cases.expect_ok(p, f"month {k + 1} appended with statistics")
        ds = xr.open_zarr(store).load()
        got = _store_statistics(store)
        for name in ("temp2m", "u10"):
            _compare(got[name], _expected(ds, name, ["latitude"], windows), f"{name} after month {k + 1}")
        print(f"ok statistics merged after month {k + 1}: counts, minimum, maximum exact, the rest within 1e-12")
    everything = job(r, "stats_all", files, store, 50, statistics=statistics)
    p = r.run(a.ranks, "verify", "--config", everything)
    cases.expect_ok(p, "verify of the appended store with statistics")
    before = cases.tree(store)
    other = dict(statistics, time=["2000-01-11", "2000-03-20 12:00"])
    refused(r.run(a.ranks, "--config", job(r, "stats_other", files[0], store, 50, append=True, statistics=other,
                                           allow_gaps=True)),
            "an append with another window", "cannot be merged", "temp2m")
    plain = r.store("plain.zarr")
    cases.expect_ok(r.run(a.ranks, "--config", job(r, "plain_m1", files[0], plain, 50)), "month 1 without statistics")
    plain_before = cases.tree(plain)
    refused(r.run(a.ranks, "--config", job(r, "plain_m2", files[1], plain, 50, append=True, statistics=statistics)),
            "statistics into a store without them", "no statistics")
    if cases.tree(store) != before or cases.tree(plain) != plain_before:
        sys.exit("FAIL a refused append changed the store")
    print("ok refused appends left the stores byte-identical")
