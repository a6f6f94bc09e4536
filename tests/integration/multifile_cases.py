"""Multi-file sources (issue 11): several netCDF-4 files along time, converted as one dataset.

  multifile           4 generated files along time (6, 6, 5, 7 hours): the whole set with output
                      chunks spanning files, then a `sel` spanning a file boundary, a glob source and
                      strided selections; each store compared with
                      xr.open_mfdataset(files, combine="nested", concat_dim="time") after the same
                      preprocessors (loaded first); under --ranks; with --zarr-format 3 [--shards]
                      v3 stores, without the char variable label
  multifile_xarray    three monthly files written by xarray's to_netcdf (every float variable and
                      coordinate gets _FillValue NaN, one with a NaN attribute) against
                      xr.concat of the loaded files; then a run stopped by SIGTERM, --resume, and
                      `zpmpi verify` of the result
  multifile_xarray_units  the same with three monthly datasets each written on its own, so each
                      file has its own time units ("hours since 2000-0M-01") and time_bnds:
                      stored in the first file's units, as xarray's combine keeps them
  multifile_mismatch  files that do not agree (another dtype, a missing variable, overlapping
                      times, another chunking) give one error line naming both files and no store;
                      a gap in time is a warning
Imported into cases.py; the helpers (Runner, expect_ok, expect_error, xarray_chain) are its own.
"""
import os
import re
import shutil
import sys

import netCDF4
import numpy as np
import oracle  # noqa: E402  (tests/integration is on sys.path: cases.py imports this file)

LENGTHS = [6, 6, 5, 7]  # boundaries at 6, 12, 17 (of 24)


def _cases():
    return sys.modules["__main__"]  # cases.py, which runs the case


def write_part(path, index, t0, nt, dtype="f4", with_d2m=True, time_chunk=3, time_step=1):
    """One file: time(time) hours since 2000-01-01, latitude(10), longitude(16), t2m(time, latitude,
    longitude) zlib-chunked (3, 5, 8), d2m packed short, mask(latitude, longitude) and a scalar crs
    (data variables without time: xarray broadcasts them), label(time) char."""
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.createDimension("time", None)
        ds.createDimension("latitude", 10)
        ds.createDimension("longitude", 16)
        ds.createDimension("strlen", 5)
        t = ds.createVariable("time", "f8", ("time",))
        t.units, t.calendar, t.standard_name = "hours since 2000-01-01 00:00:00", "gregorian", "time"
        t[:] = t0 + np.arange(nt) * time_step
        lat = ds.createVariable("latitude", "f4", ("latitude",))
        lat.units = "degrees_north"
        lat[:] = np.linspace(45, -45, 10)
        lon = ds.createVariable("longitude", "f4", ("longitude",))
        lon.units = "degrees_east"
        lon[:] = np.arange(16) * 22.5
        v = ds.createVariable("t2m", dtype, ("time", "latitude", "longitude"), zlib=True, complevel=1,
                              chunksizes=(time_chunk, 5, 8), fill_value=np.array(-9999, dtype=dtype))
        v.units, v.long_name = "K", "2 metre temperature"
        grid = np.arange(10 * 16, dtype="f8").reshape(10, 16)
        v[:] = np.stack([250 + grid / 10 + (t0 + k) for k in range(nt)]).astype(dtype)
        if with_d2m:
            d = ds.createVariable("d2m", "i2", ("time", "latitude", "longitude"), fill_value=np.int16(-32767))
            d.scale_factor, d.add_offset, d.units = 0.01, 260.0, "K"
            d[:] = np.stack([240 + grid / 20 + (t0 + k) / 2 for k in range(nt)])
        m = ds.createVariable("mask", "u1", ("latitude", "longitude"))
        m[:] = (grid + index) % 3
        c = ds.createVariable("crs", "i4", ())
        c.grid_mapping_name = "latitude_longitude"
        c.assignValue(index)
        lab = ds.createVariable("label", "S1", ("time", "strlen"))
        lab[:] = netCDF4.stringtochar(np.array([f"h{t0 + k:04d}" for k in range(nt)], dtype="S5"))
        ds.title, ds.source = f"part {index}", "zpmpi multifile test"
    return path


def write_parts(work, prefix="era5_", lengths=LENGTHS, **kw):
    files, t0 = [], 0
    for i, n in enumerate(lengths):
        files.append(write_part(os.path.join(work, f"{prefix}{i:02d}.nc"), i, t0, n, **kw))
        t0 += n
    return files


def _compare(store, files, chain, what, r=None, a=None, variables=None):
    """The store (read as its format is: cases.open_store) against open_mfdataset of `files`
    with `chain` applied (after choosing `variables`, None: all)."""
    import xarray as xr
    cases = _cases()
    combined = xr.open_mfdataset(files, combine="nested", concat_dim="time")
    expected = cases.xarray_chain((combined[variables] if variables else combined).load(), chain)
    if a is not None:
        got, expected = cases.open_store(r, a, store), cases.expected_view(a, expected)
    else:
        got = oracle.open_zarr(store, consolidated=True).load()
    try:
        xr.testing.assert_identical(got, expected)
    except AssertionError as e:
        sys.exit(f"FAIL {what}:\n{e}")
    print(f"ok {what}: {dict(got.sizes)}")


# Zarr v3 has no data type for label's char ("|S5"): a v3 run leaves it out.
V3_VARIABLES = ["t2m", "d2m", "mask", "crs"]


def case_multifile(r, a):
    cases = _cases()
    cases.skip_without_zarrita(a)
    files = write_parts(r.work)
    fmt = cases.format_keys(a)
    variables = V3_VARIABLES if fmt else None
    chosen = {"variables": variables} if variables else {}
    runs = [
        # The whole set, output chunks of 8 steps spanning the boundaries at 6, 12 and 17.
        ("whole", files, [], {"time": 8, "latitude": 5}),
        # A selection spanning the boundary at 12 (09:00 .. 14:00), and one spanning three files.
        ("sel", files, [{"type": "sel", "time": ["2000-01-01 09:00:00", "2000-01-01 14:00:00"]}], {"time": 4}),
        ("sel3", files, [{"type": "sel", "time": ["2000-01-01 05:00:00", "2000-01-01 18:00:00"]},
                         {"type": "sel", "latitude": [35, -25]}], {"time": 5}),
        # Strides across files, reversed.
        ("stride", files, [{"type": "isel", "time": [1, 23, 4]}, {"type": "reverse_axis", "dim": "time"}],
         {"time": 2}),
        # A glob source: the same files, sorted by glob(3).
        ("glob", [os.path.join(r.work, "era5_*.nc")], [], {"time": 5}),
    ]
    for name, uri, chain, chunks in runs:
        store = r.store(f"{name}.zarr")
        job = r.job(name, source={"uri": uri, "concat_dim": "time"}, store=store, preprocessors=chain,
                    chunks=chunks, recommendations="warn", memory_limit="300kB", **chosen, **fmt)
        p = r.run(a.ranks, "--config", job)
        cases.expect_ok(p, f"multifile {name}")
        _compare(store, files, chain, f"multifile {name} -n {a.ranks}", r, a, variables)
    # Without concat_dim: the files' record dim (time).
    store = r.store("default.zarr")
    job = r.job("default", source={"uri": files}, store=store, chunks={"time": 7}, **chosen, **fmt)
    cases.expect_ok(r.run(a.ranks, "--config", job), "multifile default concat dim")
    _compare(store, files, [], f"multifile default concat dim -n {a.ranks}", r, a, variables)


def write_monthly_xarray(work):
    """Three monthly files split from one dataset, as the wild does: open an ERA5-like set,
    .sel() a month, .to_netcdf(). xarray gives t2m, latitude and longitude _FillValue NaN;
    the time units stay the source's ("hours since 1900-01-01"), as split files keep them."""
    import pandas as pd
    import xarray as xr
    time = pd.date_range("2000-01-30", "2000-03-02 18:00", freq="6h")
    lat = np.linspace(60, -60, 9).astype("f4")
    lon = np.arange(12) * 30.0
    rng = np.random.default_rng(25)
    t2m = (250 + 40 * rng.random((len(time), len(lat), len(lon)))).astype("f4")
    t2m[3, 2, 5] = np.nan  # a missing value: the NaN fill
    ds = xr.Dataset({"t2m": (("time", "latitude", "longitude"), t2m, {"units": "K", "valid_max": np.nan})},
                    coords={"time": time, "latitude": lat, "longitude": lon})
    ds.time.encoding.update(units="hours since 1900-01-01 00:00:00", calendar="gregorian", dtype="i4")
    files = []
    for month in ("2000-01", "2000-02", "2000-03"):
        path = os.path.join(work, f"xr_{month}.nc")
        ds.sel(time=month).to_netcdf(path)
        files.append(path)
    return files


def write_monthly_separately(work):
    """Three monthly datasets, each built and written on its own by to_netcdf (as a download
    per month gives them): every file gets its own time units, "hours since 2000-01-01",
    "hours since 2000-02-01", ..., int64, and a time_bnds without units of its own."""
    import warnings

    import pandas as pd
    import xarray as xr
    lat = np.linspace(60, -60, 9).astype("f4")
    lon = np.arange(12) * 30.0
    rng = np.random.default_rng(251)
    files = []
    for month, n in (("2000-01", 12), ("2000-02", 10), ("2000-03", 11)):
        time = pd.date_range(f"{month}-01", periods=n, freq="6h")
        t2m = (250 + 40 * rng.random((n, len(lat), len(lon)))).astype("f4")
        t2m[n // 2, 2, 5] = np.nan
        bounds = np.stack([time, time + pd.Timedelta("6h")], axis=1)
        ds = xr.Dataset({"t2m": (("time", "latitude", "longitude"), t2m, {"units": "K"}),
                         "time_bnds": (("time", "bnds"), bounds)},
                        coords={"time": ("time", time, {"bounds": "time_bnds"}), "latitude": lat, "longitude": lon})
        path = os.path.join(work, f"sep_{month}.nc")
        with warnings.catch_warnings():  # time_bnds' units are "determined independently": the same here
            warnings.simplefilter("ignore", UserWarning)
            ds.to_netcdf(path)
        files.append(path)
    return files


def case_multifile_xarray(r, a):
    import xarray as xr
    files = write_monthly_xarray(r.work)
    with xr.open_dataset(files[0]) as first:
        assert np.isnan(first.t2m.encoding["_FillValue"]) and np.isnan(first.latitude.encoding["_FillValue"])
    _run_resume_verify(r, a, files, "months")


def case_multifile_xarray_units(r, a):
    import netCDF4
    files = write_monthly_separately(r.work)
    units = []
    for f in files:
        with netCDF4.Dataset(f) as ds:
            units.append(ds["time"].units)
            assert np.isnan(ds["latitude"].getncattr("_FillValue")), f
    assert units == [f"hours since 2000-0{m}-01 00:00:00" for m in (1, 2, 3)], units
    store = _run_resume_verify(r, a, files, "separately")
    # Stored in the first file's units, each file's values converted (31 days of January
    # are 744 hours): what xarray's to_zarr of the combined dataset writes.
    import xarray as xr
    raw = oracle.open_zarr(store, consolidated=True, decode_times=False)
    assert raw.time.attrs["units"] == units[0], raw.time.attrs
    assert raw.time.values[12] == 744 and raw.time.values[22] == 744 + 29 * 24, raw.time.values
    assert raw.time_bnds.values[12].tolist() == [744, 750], raw.time_bnds.values[12]
    print("ok the first file's time units")


def _run_resume_verify(r, a, files, name):
    """Converts `files` (xarray's monthly files) with a ranks, compares with xarray, then a
    run stopped by SIGTERM, --resume, compared again, and verify."""
    import signal
    import xarray as xr
    cases = _cases()
    store = r.store(f"{name}.zarr")
    chunks = {"time": 2, "latitude": 5, "longitude": 6}
    job = r.job(name, source={"uri": files, "concat_dim": "time"}, store=store, chunks=chunks)
    cases.expect_ok(r.run(a.ranks, "--config", job), "xarray's monthly files")
    expected = xr.concat([xr.open_dataset(f).load() for f in files], dim="time")

    def compare(what):
        got = oracle.open_zarr(store, consolidated=True).load()
        try:
            xr.testing.assert_identical(got, expected)
            xr.testing.assert_identical(got, xr.open_mfdataset(files, combine="nested", concat_dim="time").load())
        except AssertionError as e:
            sys.exit(f"FAIL {what}:\n{e}")
        print(f"ok {what}: {dict(got.sizes)}")
    compare(f"xarray's monthly files -n {a.ranks}")

    # Stopped by SIGTERM, then --resume: the NaN fills and attribute make no difference to
    # the resume record, and verify finds the store to be this job's output.
    shutil.rmtree(store)
    p = cases._start(r, a.ranks, job, env={"ZPMPI_TEST_WRITE_DELAY_MS": "20"}, name=f"{name}_stopped")
    name = os.path.basename(store)

    def chunks_written():
        for entry in os.listdir(r.work):
            t2m = os.path.join(r.work, entry, "t2m")
            if entry.startswith(f".{name}.zpmpi-new-") and os.path.isdir(t2m) and len(os.listdir(t2m)) >= 5:
                return True
        return False
    cases._wait_for("5 chunks of t2m", chunks_written, p)
    for pid in cases._session_members(p.pid):
        if pid != p.pid:
            os.kill(pid, signal.SIGTERM)
    p.wait(timeout=60)
    if p.returncode != 75 or os.path.exists(store):
        sys.exit(f"FAIL: SIGTERM gave exit {p.returncode} (want 75, the store not yet there)")
    p = r.run(a.ranks, "--config", job, "--resume")
    cases.expect_ok(p, "--resume of xarray's monthly files")
    kept = re.search(r"resuming .*: (\d+) of \d+ chunks are complete and kept", p.stderr + p.stdout)
    assert kept and int(kept.group(1)) >= 5, f"the copy was not adopted:\n{p.stderr}"
    compare("resumed")
    p = r.run(a.ranks, "verify", "--config", job)
    cases.expect_ok(p, "verify of xarray's monthly files")
    assert "is exactly this job's output" in p.stderr + p.stdout, p.stderr
    print("ok --resume and verify")
    return store


def case_multifile_mismatch(r, a):
    cases = _cases()
    good = write_parts(r.work, prefix="good_", lengths=[4, 4])
    bad = [
        ("dtype", dict(dtype="f8"), "variable t2m is f4 in"),
        ("missing variable", dict(with_d2m=False), "variable d2m is missing from"),
        ("chunking", dict(time_chunk=2), "variable t2m is stored in chunks"),
    ]
    for what, kw, message in bad:
        other = write_part(os.path.join(r.work, "other.nc"), 2, 8, 4, **kw)
        store = os.path.join(r.work, "bad.zarr")
        job = r.job("bad", source={"uri": good + [other]}, store=store)
        p = r.run(a.ranks, "--config", job)
        cases.expect_error(p, f"mismatch: {what}", 2, message)
        line = cases.error_lines(p)[0]
        assert good[0] in line and other in line, f"both files not named in {line!r}"
        assert not os.path.exists(store), f"{what}: a store was left"
    # Overlapping times: the second file starts inside the first.
    late = write_part(os.path.join(r.work, "late.nc"), 1, 2, 4)
    store = os.path.join(r.work, "bad.zarr")
    job = r.job("overlap", source={"uri": [good[0], late]}, store=store)
    p = r.run(a.ranks, "--config", job)
    cases.expect_error(p, "mismatch: overlapping times", 2, f"{late} overlaps {good[0]} along time")
    assert not os.path.exists(store), "overlap: a store was left"
    # A pattern matching nothing.
    job = r.job("nomatch", source={"uri": os.path.join(r.work, "nothing_*.nc")}, store=store)
    cases.expect_error(r.run(a.ranks, "--config", job), "a glob matching nothing", 2, "matches no file")
    # A gap (hours 8..11 missing): converted, with a warning naming both files.
    gap = write_part(os.path.join(r.work, "gap.nc"), 2, 12, 4)
    store = r.store("gap.zarr")
    job = r.job("gap", source={"uri": good + [gap]}, store=store)
    p = r.run(a.ranks, "--config", job)
    cases.expect_ok(p, "a gap")
    assert f"gap along time between {good[1]}" in p.stderr and gap in p.stderr, p.stderr
    _compare(store, good + [gap], [], "a gap")
    print("ok multifile mismatches")
