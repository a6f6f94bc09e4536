"""Issue 28: normalisation statistics ("statistics" job key) against numpy in float64 on the
store read back by xarray, the same bits however the store was written (imported by
cases.py: `case_*` functions only).

The source (_source) is built as the wild builds one: xarray's to_netcdf for the floats
(_FillValue NaN), netCDF4-python for the packed ones, all small (a few kB):
  t2m     float32 (time, lat, lon), NaN here and there, one (time, lat) row and one
          chunk all NaN
  sp      float64 (time, lat, lon) around 1e3
  q       float32 (time, level, lat, lon), NaN on one level
  packed  int16, _FillValue -32767, scale_factor 0.0123, add_offset 273.15, one row all fill
  packed_nofill  int16, scale_factor and add_offset, no fill value
  mask    uint8 with missing_value 255 (no _FillValue), scale_factor 0.4
  ubyte   int8 with _Unsigned "true" and _FillValue -1: unsigned bytes, 255 missing
  cmip    float32 with a float64 missing_value 1e20 (compared in float32, as numpy does)
  name    strings (a text array: no statistics)
The jobs (JOBS) ask for every variable, q by level, every variable by (lat, time) (two
dims in the order opposite to the arrays', with groups that are all missing), and every
variable by lat over a window of steps along time.

  statistics_oracle     1 rank, v2: every figure against numpy in float64 on what
                        xr.open_zarr reads (mean, stdev, sum_squares within 1e-12 relative
                        of math.fsum-grade references; count, nan_count, min, max exact);
                        the --stats file carries the same statistics; a window on a noleap
                        calendar as ds.sel keeps it
  statistics_same       --ranks N --workers W: each job on N ranks with W workers, in v2 and
                        in v3 (shards "auto", and shards of several chunks): the statistics
                        equal the 1-rank v2 run's, bit for bit (v2: the same .zattrs bytes)
  statistics_resume     killed runs (v2 and v3) then --resume, with another number of ranks:
                        the statistics equal a clean run's; zpmpi verify passes, and fails
                        naming the file once a statistics figure is edited
  statistics_precision  float64 values 1e5 + N(0, 0.03) + a trend: float32 accumulation or a sum of
                        squares of raw values misses 1e-12 (checked here); zpmpi does not
  statistics_refusals   a by dim a variable lacks, a variable the job does not write, a text
                        variable, an unknown key: exit 2, one line, nothing written
"""
import json
import math
import os
import random
import re
import sys
import warnings

import numpy as np

# cases.py imports this file; its helpers are imported inside the cases (after both loaded).

RTOL = 1e-12
CHUNKS = {"time": 4, "level": 2, "lat": 4, "lon": 7}  # edge chunks along every dim
JOBS = {
    "all": True,
    "q_by_level": {"variables": ["q"], "by": ["level"]},
    "by_lat_time": {"by": ["lat", "time"]},
    # A window that cuts both time chunks: steps 1 to 4 of 6 (sel's label semantics).
    "window_by_lat": {"by": ["lat"], "time": ["2000-01-01 01:00", "2000-01-01 04:00"]},
}
FIGURES = ("count", "nan_count", "mean", "stdev", "minimum", "maximum", "sum_squares")


def _source(work):
    """The source above, written once per case directory."""
    import netCDF4
    import xarray as xr
    path = os.path.join(work, "wild.nc")
    if os.path.exists(path):
        return path
    rng = np.random.default_rng(28)
    nt, nl, ny, nx = 6, 3, 9, 10
    t2m = (280 + 5 * rng.standard_normal((nt, ny, nx))).astype("f4")
    t2m[rng.random(t2m.shape) < 0.1] = np.nan
    t2m[0, 0, :] = np.nan
    t2m[:4, 4:8, :7] = np.nan  # one chunk all fill (CHUNKS): a v3 shard does not store it
    q = (1e-3 * rng.random((nt, nl, ny, nx))).astype("f4")
    q[:, 2][rng.random((nt, ny, nx)) < 0.3] = np.nan
    ds = xr.Dataset(
        {"t2m": (("time", "lat", "lon"), t2m), "sp": (("time", "lat", "lon"), 1e3 + rng.standard_normal((nt, ny, nx))),
         "q": (("time", "level", "lat", "lon"), q), "name": (("lat",), [f"s{i}" * (i + 1) for i in range(ny)])},
        coords={"time": np.datetime64("2000-01-01") + np.arange(nt).astype("timedelta64[h]"),
                "level": [1000, 850, 500], "lat": np.linspace(-40, 40, ny), "lon": np.arange(nx) * 36.0})
    tmp = path + ".tmp"
    ds.to_netcdf(tmp)
    with netCDF4.Dataset(tmp, "a") as nc:
        packed = rng.integers(-30000, 30000, (nt, ny, nx)).astype("i2")
        packed[rng.random(packed.shape) < 0.05] = -32767
        packed[1, 2, :] = -32767
        p = nc.createVariable("packed", "i2", ("time", "lat", "lon"), fill_value=-32767)
        p.scale_factor, p.add_offset = 0.0123, 273.15
        p.set_auto_maskandscale(False)
        p[:] = packed
        p = nc.createVariable("packed_nofill", "i2", ("time", "lat", "lon"), fill_value=False)
        p.scale_factor, p.add_offset = 0.0123, 273.15
        p.set_auto_maskandscale(False)
        p[:] = rng.integers(-30000, 30000, (nt, ny, nx)).astype("i2")
        m = nc.createVariable("mask", "u1", ("time", "lat", "lon"), fill_value=False)
        m.missing_value, m.scale_factor = np.uint8(255), 0.4
        values = rng.integers(0, 255, (nt, ny, nx)).astype("u1")
        values[rng.random(values.shape) < 0.1] = 255
        m.set_auto_maskandscale(False)
        m[:] = values
        u = nc.createVariable("ubyte", "i1", ("time", "lat", "lon"), fill_value=np.int8(-1))
        u._Unsigned = "true"
        values = rng.integers(-128, 128, (nt, ny, nx)).astype("i1")
        u.set_auto_maskandscale(False)
        u[:] = values
        c = nc.createVariable("cmip", "f4", ("time", "lat", "lon"), fill_value=False)
        with warnings.catch_warnings():  # "missing_value cannot be safely cast to variable dtype"
            warnings.simplefilter("ignore")
            c.missing_value = np.float64(1e20)
        values = (250 + 30 * rng.random((nt, ny, nx))).astype("f4")
        values[rng.random(values.shape) < 0.1] = 1e20
        c.set_auto_maskandscale(False)
        c[:] = values
    os.replace(tmp, path)
    return path


# ---- the oracle ----

def _figures(values):
    """The statistics of `values` (decoded, NaN for missing) in float64: the sums by
    math.fsum (correctly rounded), the squares of deviations from that mean."""
    v = np.asarray(values, dtype=np.float64).ravel()
    ok = v[~np.isnan(v)]
    n = len(ok)
    out = {"count": n, "nan_count": int(v.size - n)}
    if n == 0:
        return dict(out, mean=math.nan, stdev=math.nan, minimum=math.nan, maximum=math.nan, sum_squares=math.nan)
    mean = math.fsum(ok) / n
    m2 = math.fsum((ok - mean) ** 2)
    return dict(out, mean=mean, stdev=math.sqrt(m2 / n), minimum=float(ok.min()), maximum=float(ok.max()),
                sum_squares=m2)


def _windows(statistics):
    """The windows of a job's "statistics": {dim: [start, stop]}."""
    return {} if statistics is True else {k: v for k, v in statistics.items() if k not in ("variables", "by")}


def _expected(ds, name, by, windows=None):
    """The "statistics" attribute the oracle expects for variable `name` of the xarray
    dataset `ds`: over the steps ds.sel(dim=slice(start, stop)) keeps, per group (C order
    of the `by` dims, as given), nested along them."""
    da = ds[name].sel({d: slice(*labels) for d, labels in (windows or {}).items()})
    shape = [da.sizes[d] for d in by]
    flat = [_figures(da.isel(dict(zip(by, index))).values) for index in np.ndindex(*shape)]

    def nest(figure, dim, at):
        if dim == len(shape):
            return flat[at][figure], at + 1
        out = []
        for _ in range(shape[dim]):
            x, at = nest(figure, dim + 1, at)
            out.append(x)
        return out, at

    out = {f: nest(f, 0, 0)[0] for f in FIGURES}
    if by:
        out["by"] = list(by)
    if windows:
        out["window"] = windows
    return out


def _flat(x):
    return [y for z in x for y in _flat(z)] if isinstance(x, list) else [x]


def _close(got, want, figure):
    if isinstance(want, int) or figure in ("minimum", "maximum"):
        return got == want or (math.isnan(want) and isinstance(got, float) and math.isnan(got))
    if math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    return abs(got - want) <= RTOL * abs(want)


def _compare(got, want, what):
    """The attribute `got` against the oracle's `want`: the same keys and nesting, counts,
    minimum and maximum exact, the rest within RTOL."""
    if sorted(got) != sorted(want):
        sys.exit(f"FAIL {what}: keys {sorted(got)}, expected {sorted(want)}")
    for key in ("by", "window"):
        if got.get(key) != want.get(key):
            sys.exit(f"FAIL {what}: {key} {got.get(key)}, expected {want.get(key)}")
    for figure in FIGURES:
        g, w = got[figure], want[figure]
        if json.dumps(np.zeros_like(np.array(g, dtype=float)).tolist()) != \
                json.dumps(np.zeros_like(np.array(w, dtype=float)).tolist()):
            sys.exit(f"FAIL {what}: {figure} is nested as {g}, expected as {w}")
        for i, (x, y) in enumerate(zip(_flat(g), _flat(w))):
            if not _close(x, y, figure):
                sys.exit(f"FAIL {what}: {figure}[{i}] (flat) is {x!r}, the oracle's {y!r}"
                         f"{'' if isinstance(y, int) else f' (relative {abs(x - y) / abs(y):.2e})'}")


# ---- runs and what they wrote ----

def _run(r, name, source, statistics, ranks=1, workers=1, fmt=2, shards="auto", extra=(), env=None, **keys):
    """One run of the job: its store."""
    from cases import expect_ok
    store = r.store(name + ".zarr")
    if fmt == 3:
        keys.update(zarr_format=3, shards=shards)
    job = r.job(name, source=source, store=store, chunks=CHUNKS, statistics=statistics, workers=workers, **keys)
    expect_ok(r.run(ranks, "--config", job, *extra, env=env), f"{name}: {ranks} ranks, {workers} workers, v{fmt}")
    return store


def attributes_of(store):
    """{array: its attributes} as written: .zattrs (v2) or zarr.json (v3), read as plain JSON."""
    out = {}
    for name in sorted(os.listdir(store)):
        path = os.path.join(store, name)
        if not os.path.isdir(path) or name.startswith("."):
            continue
        if os.path.exists(os.path.join(path, ".zattrs")):
            with open(os.path.join(path, ".zattrs")) as f:
                out[name] = json.load(f)
        elif os.path.exists(os.path.join(path, "zarr.json")):
            with open(os.path.join(path, "zarr.json")) as f:
                out[name] = json.load(f).get("attributes", {})
    return out


def _numbers(x):
    """`x` with the strings "NaN", "Infinity", "-Infinity" of strict JSON (v3 attributes,
    the --stats file) as the floats they stand for (a NaN literal in v2's .zattrs)."""
    special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    if isinstance(x, dict):
        return {k: _numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_numbers(v) for v in x]
    return special.get(x, x) if isinstance(x, str) else x


def canonical(statistics):
    """A statistics attribute as canonical JSON text: equal texts, equal bits (NaN too)."""
    return json.dumps(_numbers(statistics), sort_keys=True)


def statistics_of(store):
    """{array: its "statistics" attribute, as canonical JSON text}."""
    return {name: canonical(a["statistics"]) for name, a in attributes_of(store).items() if "statistics" in a}


def _bytes(store, array, name):
    with open(os.path.join(store, array, name), "rb") as f:
        return f.read()


def _expect_same(ref, got, what):
    if got != ref:
        diff = sorted(k for k in set(ref) | set(got) if ref.get(k) != got.get(k))
        first = diff[0]
        sys.exit(f"FAIL {what}: the statistics of {diff} differ from the reference run's, e.g. {first}:\n"
                 f"  got  {got.get(first)}\n  want {ref.get(first)}")


# ---- the cases ----

def case_statistics_oracle(r, a):
    import xarray as xr
    source = _source(r.work)
    for job, statistics in JOBS.items():
        stats_file = os.path.join(r.work, job + ".stats.json")
        store = _run(r, job, source, statistics, extra=("--stats", stats_file))
        ds = xr.open_zarr(store, consolidated=True)
        by = [] if statistics is True else statistics["by"]
        names = [n for n in ds.data_vars if n != "name"] if statistics is True or "variables" not in statistics \
            else statistics["variables"]
        written = {n: a["statistics"] for n, a in attributes_of(store).items() if "statistics" in a}
        if sorted(written) != sorted(names):
            sys.exit(f"FAIL {job}: statistics written for {sorted(written)}, expected {sorted(names)}")
        for name in names:
            _compare(written[name], _expected(ds, name, by, _windows(statistics)), f"{job}: {name}")
            if canonical(ds[name].attrs["statistics"]) != canonical(written[name]):
                sys.exit(f"FAIL {job}: xarray reads {name}'s statistics otherwise than they are written")
        empty = [n for n in names if 0 in _flat(written[n]["count"])]
        if job == "by_lat_time" and sorted(empty) != ["packed", "t2m"]:
            sys.exit(f"FAIL {job}: groups without values in {empty}, expected in packed and t2m")
        with open(stats_file) as f:
            text = f.read()
        summary = json.loads(text, parse_constant=lambda c: sys.exit(f"FAIL {job}: {c} in the --stats file"))
        if canonical(summary["statistics"]) != canonical(written):
            sys.exit(f"FAIL {job}: the --stats file's statistics {summary['statistics']} are not the "
                     f"attributes' {written}")
        print(f"ok {job}: {', '.join(names)} ({sum(len(_flat(written[n]['count'])) for n in names)} groups) "
              f"against numpy on xr.open_zarr; the --stats file carries them")
    with open(os.path.join(r.work, "all.stats.json")) as f:
        print("packed, decoded in float32 as xarray does after masking:", json.load(f)["statistics"]["packed"])
    _noleap_window(r)


def _noleap_window(r):
    """A window on a noleap calendar across the end of February: the steps ds.sel keeps."""
    import netCDF4
    import xarray as xr
    source = os.path.join(r.work, "noleap.nc")
    with netCDF4.Dataset(source, "w") as nc:
        nc.createDimension("time", 16)
        nc.createDimension("x", 5)
        t = nc.createVariable("time", "f8", ("time",))
        t.units, t.calendar = "days since 2001-02-20", "noleap"
        t[:] = np.arange(16)
        nc.createVariable("v", "f4", ("time", "x"))[:] = np.random.default_rng(3).random((16, 5)) * 10
    window = {"time": ["2001-02-27", "2001-03-02"]}  # Feb 27, 28, Mar 1, 2: 4 days without a 29th
    store = r.store("noleap.zarr")
    job = r.job("noleap", source=source, store=store, chunks={"time": 3}, statistics=dict(window))
    from cases import expect_ok
    expect_ok(r.run(2, "--config", job), "a noleap window")
    ds = xr.open_zarr(store)
    want = _expected(ds, "v", [], window)
    got = attributes_of(store)["v"]["statistics"]
    _compare(got, want, "noleap window")
    if got["count"] != 20:
        sys.exit(f"FAIL noleap window: {got['count']} values, expected 4 days x 5")
    print(f"ok a noleap window {window['time']}: {got['count']} values, as ds.sel keeps them")


def case_statistics_same(r, a):
    source = _source(r.work)
    layouts = [(2, "auto"), (3, "auto"), (3, {"time": 4, "level": 2, "lat": 8, "lon": 7})]
    for job, statistics in JOBS.items():
        if job == "q_by_level":  # by a dim of q alone: by_lat_time groups q, too
            continue
        ref_store = _run(r, f"{job}_ref", source, statistics)
        ref = statistics_of(ref_store)
        for fmt, shards in layouts:
            name = f"{job}_n{a.ranks}_w{a.workers}_v{fmt}"
            store = _run(r, name, source, statistics, ranks=a.ranks, workers=a.workers, fmt=fmt, shards=shards,
                         memory_limit="40kB")
            _expect_same(ref, statistics_of(store), name)
            if fmt == 2:  # the same bytes, not only the same numbers
                for array in ref:
                    if _bytes(ref_store, array, ".zattrs") != _bytes(store, array, ".zattrs"):
                        sys.exit(f"FAIL {name}: {array}/.zattrs differs from the 1-rank run's")
        print(f"ok {job}: {len(ref)} arrays' statistics on {a.ranks} ranks x {a.workers} workers, v2 and v3 "
              f"(shards auto and of several chunks) equal the 1-rank v2 run's")


def case_statistics_resume(r, a):
    """SIGKILL to every rank mid-run (ZPMPI_TEST_WRITE_DELAY_MS slows the writes), then
    --resume on another number of ranks: the same statistics as a clean run."""
    from cases import _kill_session, _wait_for, expect_ok
    from resume_cases import copies, start, wait_chunks
    source = _source(r.work)
    rng = random.Random(28)
    for fmt in (2, 3):
        # Shards of 2 chunks along lat: a shard a killed run finished holds an inner chunk
        # of t2m that is all fill (not stored), read back as fill.
        keys = {"zarr_format": 3, "shards": {"time": 4, "level": 2, "lat": 8, "lon": 7}} if fmt == 3 else {}
        ref = statistics_of(_run(r, f"clean_v{fmt}", source, JOBS["by_lat_time"], fmt=fmt,
                                 shards=keys.get("shards")))
        for trial in range(2):
            name = f"killed_v{fmt}_{trial}"
            store = r.store(name + ".zarr")
            job = r.job(name, source=source, store=store, chunks=CHUNKS, statistics=JOBS["by_lat_time"], **keys)
            p = start(r, 2, ["--config", job], env={"ZPMPI_TEST_WRITE_DELAY_MS": "30"}, name=name)
            if fmt == 3 and trial == 0:  # the shard holding t2m's chunk of fill alone (not stored)
                _wait_for("t2m's first shard", lambda: any(os.path.exists(os.path.join(c, "t2m", "c", "0", "0", "0"))
                                                           for c in copies(r.work, os.path.basename(store))), p)
            else:
                wait_chunks(r, p, os.path.basename(store), rng.randrange(3, 12))
            _kill_session(p)
            p = r.run(3, "--config", job, "--resume", "--workers", "2")
            expect_ok(p, f"--resume of {name}")
            kept = re.search(r"resuming .*: (\d+) of (\d+) .* are complete and kept", p.stdout + p.stderr)
            if not kept or int(kept.group(1)) == 0 or kept.group(1) == kept.group(2):
                sys.exit(f"FAIL {name}: the run after the kill did not resume with some chunks kept:\n"
                         f"{p.stdout}{p.stderr}")
            _expect_same(ref, statistics_of(store), f"{name} resumed")
            print(f"ok {name}: killed on 2 ranks, resumed on 3 with 2 workers keeping {kept.group(1)} of "
                  f"{kept.group(2)} files: the clean run's statistics")
        _verify(r, job, store, fmt)


def _verify(r, job, store, fmt):
    from cases import expect_ok
    p = r.run(2, "verify", "--config", job)
    expect_ok(p, f"verify of the v{fmt} store with statistics")
    meta = os.path.join(store, "q", ".zattrs" if fmt == 2 else "zarr.json")
    with open(meta) as f:
        text = f.read()
    doc = json.loads(text)
    attrs = doc if fmt == 2 else doc["attributes"]
    attrs["statistics"]["mean"][3][1] = np.nextafter(attrs["statistics"]["mean"][3][1], 1.0)
    with open(meta, "w") as f:
        json.dump(doc, f, indent=4)
    p = r.run(2, "verify", "--config", job)
    out = p.stdout + p.stderr
    want = f"verify: differs q/{os.path.basename(meta)}"
    if p.returncode != 1 or want not in out:
        sys.exit(f"FAIL verify of an edited statistics figure (v{fmt}): exit {p.returncode}, {want!r} expected:\n{out}")
    print(f"ok verify (v{fmt}): passes the store, then reports the edited mean: {want}")


def case_statistics_precision(r, a):
    """Values 1e5 + a trend + N(0, 0.03), float64: variance ~2e-3, 1e-13 of the squares of
    the values. (Failed before each chunk's mean was kept as a double-double: 1.8e-12.)"""
    import netCDF4
    import xarray as xr
    from cases import expect_ok
    rng = np.random.default_rng(5)
    trend = 0.05 * np.sin(np.arange(16) / 16 * 2 * np.pi)[:, None, None]  # chunk means apart by the spread
    values = 1e5 + trend + 0.03 * rng.standard_normal((16, 40, 50))
    source = os.path.join(r.work, "precise.nc")
    with netCDF4.Dataset(source, "w") as nc:
        for d, n in zip(("time", "y", "x"), values.shape):
            nc.createDimension(d, n)
        nc.createVariable("v", "f8", ("time", "y", "x"))[:] = values
    want = _figures(values)
    # What the methods zpmpi does not use would give: float32 accumulation, and float64
    # sums of the values and their squares (m2 = sum x^2 - (sum x)^2 / n).
    flat = values.ravel()
    n = flat.size
    f32 = np.float32(0)
    for x in flat.astype(np.float32):
        f32 += x
    s, ss = 0.0, 0.0
    for x in flat:
        s += x
        ss += x * x
    naive = {"float32 accumulation (mean)": (float(f32) / n, want["mean"]),
             "sum of squares (sum_squares)": (ss - s * s / n, want["sum_squares"])}
    for what, (got, ref) in naive.items():
        error = abs(got - ref) / abs(ref)
        if error <= RTOL:
            sys.exit(f"FAIL: {what} is within {RTOL} ({error:.1e}): this case would prove nothing")
        print(f"{what} would be off by {error:.1e} relative")
    for ranks, workers in ((1, 1), (3, 2)):
        store = r.store(f"precise_n{ranks}.zarr")
        job = r.job(f"precise_n{ranks}", source=source, store=store, chunks={"time": 3, "y": 16, "x": 16},
                    statistics=True, workers=workers)
        expect_ok(r.run(ranks, "--config", job), f"precise: {ranks} ranks")
        got = attributes_of(store)["v"]["statistics"]
        _compare(got, want, f"precise, {ranks} ranks")
        _compare(got, _expected(xr.open_zarr(store), "v", []), f"precise, {ranks} ranks, read back")
        print(f"ok {ranks} ranks x {workers} workers: mean {got['mean']!r}, stdev {got['stdev']!r} "
              f"(oracle {want['mean']!r}, {want['stdev']!r}): within {RTOL}")


def case_statistics_refusals(r, a):
    from cases import _zpmpi_entries, expect_error
    source = _source(r.work)
    refusals = [
        ("a by dim a variable lacks", {"by": ["level"]},
         "statistics.by: t2m has no dim 'level' (its dims: time, lat, lon)"),
        ("a variable the job does not write", {"variables": ["q", "u10"]},
         "statistics.variables: 'u10' is not a data variable the job writes (it writes: "),
        ("a variable left out by the job", {"variables": ["t2m"]},
         "statistics.variables: 't2m' is not a data variable the job writes (it writes: q)"),
        ("a text variable", {"variables": ["name"]},
         "statistics.variables: 'name' is a text array: statistics are of numbers"),
        ("an unknown key", {"by": ["level"], "variable": ["q"]},
         "statistics.variable: must be the labels [start, stop] of the steps that count along variable "
         "(the other keys are \"variables\" and \"by\"), got [\"q\"]"),
    ]
    for i, (what, statistics, message) in enumerate(refusals):
        store = r.store(f"refused{i}.zarr")
        keys = {"variables": {"q": []}} if what == "a variable left out by the job" else {}
        job = r.job(f"refused{i}", source=source, store=store, chunks=CHUNKS, statistics=statistics, **keys)
        expect_error(r.run(2, "--config", job), what, 2, message, job=job)
        left = _zpmpi_entries(r.work, os.path.basename(store))
        if os.path.exists(store) or left:
                sys.exit(f"FAIL {what}: the refused run left {store if os.path.exists(store) else left}")
    print(f"ok {len(refusals)} refusals: exit 2, one line naming the key, no store, copy or lock")
