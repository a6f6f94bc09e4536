#!/usr/bin/python3
"""What appending one month to a 12-month store costs against caching that month alone
(issue 29: "<= 1.3x the time of caching that month alone - never a rewrite of the old data").

  /usr/bin/python3 benchmarks/append_cost.py [--pairs 5] [--ranks 2] [--chunks 24,50]
                                             [--zpmpi build/zpmpi] [--data DIR] [--work DIR]

Sources (made once into DATA, default benchmarks/data/append/, and reused): 13 monthly
netCDF-4 files the way the wild writes them, one xarray `to_netcdf` per month, 2001-01 ..
2002-01: hourly, ERA5-like 1 degree grid (latitude 90..-90, 181; longitude 0..359, 360),
float32 t2m and d2m (the fields of scripts/make_sample.py), zlib level 1 + shuffle, HDF5
chunks (24, 181, 360), time unlimited, each file's time in "hours since <its month's start>"
(int64), _FillValue NaN (xarray's default for floats). A 31-day month is 2 x 744 x 181 x
360 float32 = 388 MB.

Per case (output chunks (T, 181, 360), zstd 1, T from --chunks: 24 divides every month,
so the store's extent ends on a chunk boundary; 50 does not: 8760 = 175 x 50 + 10, so the
append merges the store's partly filled last chunk), the 12-month store is written once
(its first month, then 11 appends: one job over the 12 files is refused, see below) into
WORK/base-T.zarr. Then, in alternating pairs (the order
flips every pair; `sync` and 3 s before each run, untimed, as benchmarks/README.md advises
on this VM):
  append  `cp -al` of the base store to WORK/append-T.zarr (untimed), then
          mpirun -n N zpmpi --config append.json --append (the 13th file)
  alone   mpirun -n N zpmpi --config alone.json (the 13th file into a new store; the same
          job but the store and the mode)
Timed: the wall time of the whole command (mpirun included), the job's own seconds (the
--stats file's `seconds`: rank 0, command line read to the summary, before .zmetadata and
the swap) and the CPU seconds of the ranks (user + system, /usr/bin/time per rank).
Checked after every append: the store's time is 12 months + 1 (8760 + 744 steps, hourly,
in the base store's units), and the chunk files of the old extent are the base store's own
files (same inode: linked, not rewritten) but for the boundary chunk of T = 50; after the
first pair, the appended month's values equal the month cached alone (xarray); at the end,
the base store is unchanged. The files linked and the files written are counted from the
inodes. The linking itself has no timer in zpmpi: one more append per case (untimed) runs
under `strace -f -T -e trace=link,linkat` (calls, time inside them, first to last), and the
same number of files is linked with os.link on the same file system (median of 5).
--shifted adds a third run to each pair where the store's last chunk is partly filled: the
month alone with {"type": "isel", "time": [T - (8760 % T), null]}, i.e. read from the step
where the append's whole chunks start, off the source's chunk grid, without appending: what
that misalignment costs by itself. A second table has per run kind the slowest rank's read
and gather seconds, the peak buffers and the source bytes decoded (from --stats).
"""
import argparse
import calendar
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
NLAT, NLON = 181, 360
MONTHS = [(2001, m) for m in range(1, 13)] + [(2002, 1)]
VARS = ("t2m", "d2m")


def month_file(data, year, month):
    return os.path.join(data, f"era5_{year}_{month:02d}.nc")


def make_month(path, year, month, seed):
    import numpy as np
    import pandas as pd
    import xarray as xr
    hours = calendar.monthrange(year, month)[1] * 24
    start = pd.Timestamp(year=year, month=month, day=1)
    times = pd.date_range(start, periods=hours, freq="h")
    lat = np.linspace(90, -90, NLAT).astype(np.float32)
    lon = np.arange(NLON, dtype=np.float32)
    lat_r = np.deg2rad(lat.astype(np.float64))[:, None]
    lon_r = np.deg2rad(lon.astype(np.float64))[None, :]
    base = 300 - 45 * np.sin(lat_r) ** 2 + 4 * np.sin(3 * lon_r) * np.cos(2 * lat_r)
    continents = 6 * np.sin(2 * lon_r + 1) * np.cos(3 * lat_r) ** 2
    rng = np.random.default_rng(seed)
    t2m = np.empty((hours, NLAT, NLON), np.float32)
    d2m = np.empty_like(t2m)
    for i in range(hours):
        sun = 2 * np.pi * ((i % 24) / 24.0) + lon_r
        field = base + continents * (1 + 0.3 * np.cos(sun)) + 3 * np.cos(sun) * np.cos(lat_r)
        t2m[i] = field + rng.normal(0, 0.5, field.shape)
        d2m[i] = t2m[i] - 4 - np.abs(rng.normal(0, 2, field.shape))
    dims = ("time", "latitude", "longitude")
    ds = xr.Dataset(
        {"t2m": (dims, t2m, {"units": "K", "long_name": "2 metre temperature"}),
         "d2m": (dims, d2m, {"units": "K", "long_name": "2 metre dewpoint temperature"})},
        coords={"time": ("time", times, {"long_name": "time"}),
                "latitude": ("latitude", lat, {"units": "degrees_north", "long_name": "latitude"}),
                "longitude": ("longitude", lon, {"units": "degrees_east", "long_name": "longitude"})},
        attrs={"Conventions": "CF-1.6", "history": "zpmpi benchmarks/append_cost.py: synthetic ERA5-like month"})
    enc = {v: {"zlib": True, "complevel": 1, "shuffle": True, "chunksizes": (24, NLAT, NLON)} for v in VARS}
    enc["time"] = {"units": f"hours since {year}-{month:02d}-01 00:00:00", "calendar": "proleptic_gregorian",
                   "dtype": "int64"}
    tmp = path + ".tmp"
    ds.to_netcdf(tmp, format="NETCDF4", encoding=enc, unlimited_dims=["time"])
    os.replace(tmp, path)


def make_sources(data):
    os.makedirs(data, exist_ok=True)
    for k, (year, month) in enumerate(MONTHS):
        path = month_file(data, year, month)
        if not os.path.exists(path):
            t0 = time.perf_counter()
            make_month(path, year, month, seed=1000 + k)
            print(f"made {path} ({os.path.getsize(path) / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s", flush=True)
    return [month_file(data, y, m) for y, m in MONTHS]


def job(files, store, chunks, **extra):
    doc = {"source": {"uri": files if len(files) > 1 else files[0]}, "store": store,
           "chunks": {"time": chunks, "latitude": NLAT, "longitude": NLON},
           "compressor": {"id": "zstd", "level": 1}, "log_level": 2, "workers": 1}
    doc.update(extra)
    return doc


def write_job(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


def run(zpmpi, ranks, config, work, tag, extra=()):
    """One timed run: (wall s, job s from --stats, CPU s of the ranks, stats, stderr)."""
    stats = os.path.join(work, tag + ".stats.json")
    cpu = os.path.join(work, tag + ".cpu")
    for r in range(ranks):
        if os.path.exists(f"{cpu}.{r}"):
            os.remove(f"{cpu}.{r}")
    cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", "sh", "-c",
           'exec /usr/bin/time -f "%U %S" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"', cpu,
           zpmpi, "--config", config, "--stats", stats, *extra]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{tag}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    s = json.load(open(stats))
    cpu_s = sum(sum(float(x) for x in open(f"{cpu}.{r}").read().split()[-2:]) for r in range(ranks))
    return wall, s["seconds"], cpu_s, s, p.stdout + p.stderr


def quiet():
    subprocess.run(["sync"], check=True)
    time.sleep(3)


def files_of(store):
    """{relative path: inode} of every regular file in the store."""
    out = {}
    for d, _, names in os.walk(store):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, store)] = os.lstat(p).st_ino
    return out


def check_append(base_files, store, chunks, old_steps, new_steps, base_units):
    """Returns (files kept as the base's own, files new or rewritten); exits when wrong."""
    zarray = json.load(open(os.path.join(store, "t2m", ".zarray")))
    if zarray["shape"][0] != old_steps + new_steps:
        sys.exit(f"append: t2m has {zarray['shape'][0]} steps, not {old_steps + new_steps}")
    now = files_of(store)
    kept = [k for k, ino in now.items() if base_files.get(k) == ino]
    fresh = [k for k in now if base_files.get(k) != now[k]]
    boundary = old_steps // chunks if old_steps % chunks else None
    for v in VARS:
        for c in range(-(-old_steps // chunks)):
            key = f"{v}/{c}.0.0"
            if (key in kept) != (c != boundary):
                sys.exit(f"append: {key} {'kept' if key in kept else 'rewritten'}, expected the opposite")
    import numpy as np
    import zarr
    t = zarr.open(store, mode="r")["time"]
    values = np.asarray(t[:])
    step = np.diff(values)
    if len(values) != old_steps + new_steps or not (step == step[0]).all() or t.attrs["units"] != base_units:
        sys.exit(f"append: time is not {old_steps + new_steps} regular steps in {base_units}")
    return kept, fresh


def check_values(appended, alone, old_steps):
    import numpy as np
    import xarray as xr
    a = xr.open_zarr(appended, consolidated=True)
    b = xr.open_zarr(alone, consolidated=True)
    for v in VARS:
        x = a[v].isel(time=slice(old_steps, None)).values
        y = b[v].values
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=True):
            sys.exit(f"append: the appended {v} differs from the month cached alone")
    if not (a["time"].values[old_steps:] == b["time"].values).all():
        sys.exit("append: the appended times differ from the month's own")
    # The rows before the append's, in the boundary chunk, are the store's (a merged chunk).
    return True


def link_cost(store, n, work, repeats=5):
    """Seconds to os.link n files of the store into a fresh folder tree (median of repeats)."""
    paths = sorted(k for k in files_of(store) if not os.path.basename(k).startswith("."))[:n]
    out = []
    for _ in range(repeats):
        dst = os.path.join(work, "linkprobe")
        subprocess.run(["rm", "-rf", dst], check=True)
        quiet()
        t0 = time.perf_counter()
        made = set()
        for k in paths:
            d = os.path.dirname(k)
            if d not in made:
                os.makedirs(os.path.join(dst, d), exist_ok=True)
                made.add(d)
            os.link(os.path.join(store, k), os.path.join(dst, k))
        out.append(time.perf_counter() - t0)
    subprocess.run(["rm", "-rf", os.path.join(work, "linkprobe")], check=True)
    return statistics.median(out)


def strace_links(zpmpi, ranks, config, work, tag):
    """One untimed append under strace -f -T -e linkat: (linkat calls, seconds inside them
    summed, seconds from the first to the last). strace adds its own cost to each call, so
    the span is an upper bound; the summed in-call time is close to the kernel's."""
    trace = os.path.join(work, tag + ".strace")
    cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", "sh", "-c",
           'exec strace -f -T -tt -e trace=link,linkat -o "$0.$OMPI_COMM_WORLD_RANK" "$@"', trace,
           zpmpi, "--config", config, "--append", "-q"]
    p = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        sys.exit(f"{tag} under strace: exit {p.returncode}\n{p.stderr}")
    calls, inside, stamps = 0, 0.0, []
    for r in range(ranks):
        for line in open(f"{trace}.{r}"):
            m = re.match(r"\d+\s+(\d+):(\d+):([\d.]+) .*link.*= -?\d+.*<([\d.]+)>$", line.strip())
            if not m:  # not a link call, or its "<unfinished ...>" half
                continue
            stamps.append(int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]))
            calls += 1
            inside += float(m[4])
    return calls, inside, (max(stamps) - min(stamps)) if stamps else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--chunks", default="24,50")
    ap.add_argument("--zpmpi", default=os.path.join(ROOT, "build", "zpmpi"))
    ap.add_argument("--data", default=os.path.join(ROOT, "benchmarks", "data", "append"))
    ap.add_argument("--work", default=os.path.join(os.environ.get("BENCH_WORK", os.path.join(ROOT, "benchmarks", "data", "work")), "append"))
    ap.add_argument("--json", help="write every run here")
    ap.add_argument("--shifted", action="store_true",
                    help="a third run per pair where the store's last chunk is partly filled: the month alone "
                         "from the step the append's whole chunks start at (isel), the same reads off the "
                         "source's chunk grid without appending")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    files = make_sources(a.data)
    subprocess.run(["cat", *files], stdout=subprocess.DEVNULL, check=True)  # warm: the sources stay in the page cache
    cases = [int(c) for c in a.chunks.split(",")]
    old_steps = sum(calendar.monthrange(y, m)[1] * 24 for y, m in MONTHS[:12])
    new_steps = calendar.monthrange(*MONTHS[12])[1] * 24
    print(f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, load {os.getloadavg()}, zpmpi {a.zpmpi}, "
          f"{a.ranks} ranks, {a.pairs} pairs", flush=True)
    prepared = {}
    for T in cases:
        base = os.path.join(a.work, f"base-{T}.zarr")
        if not os.path.exists(os.path.join(base, ".zmetadata")):
            # Month by month, as such a cache grows: the 12 files in one job are refused, their time
            # variables are chunked (372,) (744 / 2) in one and (336,) in another (netCDF-C's default
            # chunks for an unlimited dim at xarray's to_netcdf), and files must agree on chunks.
            t0 = time.perf_counter()
            for k, f in enumerate(files[:12]):
                cfg = write_job(os.path.join(a.work, f"base-{T}.json"), job([f], base, T, overwrite=k == 0))
                subprocess.run(["mpirun", "-n", str(a.ranks), a.zpmpi, "--config", cfg, "-q"] + (["--append"] if k else []),
                               env=ENV, check=True)
            print(f"base store T={T}: {time.perf_counter() - t0:.1f} s (1 month + 11 appends)", flush=True)
        base_files = files_of(base)
        units = json.load(open(os.path.join(base, "time", ".zattrs")))["units"]
        app_store = os.path.join(a.work, f"append-{T}.zarr")
        alone_store = os.path.join(a.work, f"alone-{T}.zarr")
        prepared[T] = dict(
            base=base, base_files=base_files, units=units, app=app_store, alone=alone_store,
            app_cfg=write_job(os.path.join(a.work, f"append-{T}.json"), job(files[12:], app_store, T)),
            alone_cfg=write_job(os.path.join(a.work, f"alone-{T}.json"), job(files[12:], alone_store, T, overwrite=True)))
        if a.shifted and old_steps % T:
            # The month alone from the step where the append's whole chunks start (T - the
            # store's last chunk's steps): the same reads off the source's chunk grid.
            skip = T - old_steps % T
            prepared[T]["shifted_cfg"] = write_job(
                os.path.join(a.work, f"shifted-{T}.json"),
                job(files[12:], alone_store, T, overwrite=True, recommendations="warn",
                    preprocessors=[{"type": "isel", "time": [skip, None]}]))
            prepared[T]["skip"] = skip
        print(f"T={T}: base store {len(base_files)} files, time in {units}", flush=True)
    runs = []
    loads = [os.getloadavg()[0]]
    for i in range(a.pairs):
        for T in cases:
            c = prepared[T]
            order = ("append", "alone") if i % 2 == 0 else ("alone", "append")
            if "shifted_cfg" in c:
                order = order + ("shifted",) if i % 2 == 0 else ("shifted",) + order
            for kind in order:
                if kind == "append":
                    subprocess.run(["rm", "-rf", c["app"]], check=True)
                    subprocess.run(["cp", "-al", c["base"], c["app"]], check=True)
                    quiet()
                    wall, job_s, cpu_s, s, log = run(a.zpmpi, a.ranks, c["app_cfg"], a.work, f"append-{T}", ["--append"])
                    kept, fresh = check_append(c["base_files"], c["app"], T, old_steps, new_steps, c["units"])
                    extra = dict(linked=len(kept), written=len(fresh))
                else:
                    subprocess.run(["rm", "-rf", c["alone"]], check=True)
                    quiet()
                    wall, job_s, cpu_s, s, log = run(a.zpmpi, a.ranks, c[kind + "_cfg"], a.work, f"{kind}-{T}")
                    extra = dict(written=len(files_of(c["alone"])))
                r = dict(pair=i, chunks=T, kind=kind, wall=wall, job=job_s, cpu=cpu_s, chunk_files=s.get("chunks"),
                         load=os.getloadavg()[0], seconds_write=s.get("seconds_write"),
                         seconds_read=s.get("seconds_read"), seconds_gather=s.get("seconds_gather"),
                         peak_buffer=s.get("peak_buffer"), bytes_decoded=s.get("bytes_decoded"), **extra)
                runs.append(r)
                print(json.dumps(r), flush=True)
                if kind == "append":
                    c["log"] = log
            if i == 0:  # the alone store is the last run's: the shifted one when it ran last
                if order[-1] == "shifted":
                    subprocess.run(["rm", "-rf", c["alone"]], check=True)
                    run(a.zpmpi, a.ranks, c["alone_cfg"], a.work, f"alone-{T}")
                check_values(c["app"], c["alone"], old_steps)
    loads.append(os.getloadavg()[0])
    for T in cases:
        c = prepared[T]
        if files_of(c["base"]) != c["base_files"]:
            sys.exit(f"the base store T={T} changed")
    traced = {T: (0, 0.0, 0.0) for T in cases}
    for T in cases if shutil.which("strace") else []:  # untimed: where the linking goes
        c = prepared[T]
        subprocess.run(["rm", "-rf", c["app"]], check=True)
        subprocess.run(["cp", "-al", c["base"], c["app"]], check=True)
        quiet()
        traced[T] = strace_links(a.zpmpi, a.ranks, c["app_cfg"], a.work, f"append-{T}")
        subprocess.run(["rm", "-rf", c["app"], c["alone"]], check=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(runs=runs, loads=loads, strace={T: traced[T] for T in cases}), f, indent=1)
    print(f"\nload average {loads[0]:.2f} at start, {loads[-1]:.2f} at end; medians of {a.pairs} pairs")
    print("| output chunks | store before | append: wall | alone: wall | append / alone | job s append / alone | "
          "CPU s append / alone | files linked | files written (append / alone) | linkat under strace: calls, "
          "in-call s, first-last s | os.link of as many |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for T in cases:
        c = prepared[T]
        ap_ = [r for r in runs if r["chunks"] == T and r["kind"] == "append"]
        al = [r for r in runs if r["chunks"] == T and r["kind"] == "alone"]
        med = lambda rs, k: statistics.median(r[k] for r in rs)  # noqa: E731
        ratios = sorted(x["wall"] / y["wall"] for x, y in zip(ap_, al))
        linked = ap_[-1]["linked"]
        probe = link_cost(c["base"], linked, a.work)
        kept_chunks = old_steps % T
        before = f"{old_steps} steps" + (f", last chunk {kept_chunks} of {T}" if kept_chunks else ", whole chunks")
        print(f"| ({T}, {NLAT}, {NLON}) | {before} | {med(ap_, 'wall'):.2f} s | {med(al, 'wall'):.2f} s | "
              f"**{med(ap_, 'wall') / med(al, 'wall'):.2f}** (pairs {ratios[0]:.2f}-{ratios[-1]:.2f}) | "
              f"{med(ap_, 'job'):.2f} / {med(al, 'job'):.2f} = {med(ap_, 'job') / med(al, 'job'):.2f} | "
              f"{med(ap_, 'cpu'):.2f} / {med(al, 'cpu'):.2f} = {med(ap_, 'cpu') / med(al, 'cpu'):.2f} | "
              f"{linked} | {ap_[-1]['written']} / {al[-1]['written']} | "
              f"{traced[T][0]}, {traced[T][1] * 1e3:.0f} ms, {traced[T][2] * 1e3:.0f} ms | {probe * 1e3:.0f} ms |")
    print("\n| output chunks | run | wall s | CPU s | slowest rank's read s | gather s | peak buffers per rank | "
          "source bytes decoded |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for T in cases:
        for kind in ("append", "alone", "shifted"):
            rs = [r for r in runs if r["chunks"] == T and r["kind"] == kind]
            if not rs:
                continue
            med = lambda k: statistics.median(r[k] for r in rs)  # noqa: E731
            name = f"alone, isel time {prepared[T]['skip']}.." if kind == "shifted" else kind
            print(f"| ({T}, {NLAT}, {NLON}) | {name} | {med('wall'):.2f} | {med('cpu'):.2f} | {med('seconds_read'):.2f} | "
                  f"{med('seconds_gather'):.2f} | {med('peak_buffer') / 1e6:.0f} MB | {med('bytes_decoded') / 1e6:.0f} MB |")
    for T in cases:
        print(f"\nlast append's log, T={T}:\n{prepared[T].get('log', '')}")


if __name__ == "__main__":
    main()
