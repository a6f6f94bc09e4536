"""Memory from above (issue 26): a rank's peak resident memory is what the plan says its
buffers take, plus what the process needs anyway.

  rss_bound   sources large enough that the buffers dominate: a netCDF-4 zlib+shuffle
              source of 151 MB (t2m float32, time 24 x y 1024 x x 1536, stored chunks of
              1 x 512 x 1536 = 3 MB, decoded by zpmpi), a kerchunk reference set to it, and
              the same data as a set of 3 files along time. Each is converted by 2 ranks (1
              worker, memory_limit 120MB, output chunks 24 x 64 x 1536: a batch of 75 MB, the
              largest buffer, and 107 MB of buffers in all); every rank's peak_rss (--stats)
              must be at most (plan + baseline) * 1.25, where plan is the rank's peak_memory
              in `zpmpi plan --json` and baseline that rank's peak_rss converting a tiny source
              of the same kind (same generator, 8 x 12 grid) in this run: the libraries, MPI
              and the code, measured on this machine rather than assumed. Measured here:
              peak_rss 125 to 133 MB against bounds of 169 to 176 MB; a second, uncounted
              batch buffer (tried by hand) gives 199 to 208 MB and fails every rank. Each
              rank's peak_buffer (the buffers zpmpi counts itself) must be within its plan
              too: that caught the multi-file set's decode buffers kept per file (128 MB
              counted, 154 MB resident, before they were shared).
Imported into cases.py; the helpers (Runner, expect_ok) are its own.
"""
import json
import os
import shutil
import subprocess
import sys
import zlib

import numpy as np

MARGIN = 1.25  # over plan + baseline: allocator rounding, HDF5's metadata caches, thread stacks
NT, NY, NX, CHUNK_Y = 24, 1024, 1536, 512  # the large source: 151 MB of float32
TINY = (4, 8, 12, 4)                       # the baseline's source: the same, 1.5 kB
PARTS = 3                                  # the multi-file set: NT / PARTS steps per file


def _cases():
    return sys.modules["__main__"]  # cases.py, which runs the case


def _write(path, t0, nt, ny, nx, chunk_y, stored):
    """netCDF-4 t2m(time, y, x) zlib level 1 + shuffle in chunks of (1, chunk_y, nx), every
    time step's chunks the bytes `stored` (written raw through h5py: compressing 151 MB
    with netCDF-C took 10 to 20 s on a loaded 2-core machine, this takes 1 s)."""
    import h5py
    import netCDF4
    tmp = path + ".tmp"
    with netCDF4.Dataset(tmp, "w", format="NETCDF4") as ds:
        ds.createDimension("time", nt)
        ds.createDimension("y", ny)
        ds.createDimension("x", nx)
        t = ds.createVariable("time", "f8", ("time",))
        t.units, t.calendar = "hours since 2000-01-01 00:00:00", "gregorian"
        t[:] = t0 + np.arange(nt)
        ds.createVariable("y", "f4", ("y",))[:] = np.arange(ny)
        ds.createVariable("x", "f4", ("x",))[:] = np.arange(nx)
        v = ds.createVariable("t2m", "f4", ("time", "y", "x"), zlib=True, complevel=1, shuffle=True,
                              chunksizes=(1, chunk_y, nx))
        v.units = "K"
    with h5py.File(tmp, "r+") as f:
        d = f["t2m"]
        for k in range(nt):
            for i, chunk in enumerate(stored):
                d.id.write_direct_chunk((k, i * chunk_y, 0), chunk)
    os.replace(tmp, path)


def _stored_chunks(ny, nx, chunk_y):
    """The zlib(shuffle(float32)) bytes of each chunk along y of a noisy field: stored
    chunks almost as large as decoded ones, so that the stored bytes a rank holds are
    near what the plan counts for them."""
    rng = np.random.default_rng(26)
    field = (280 + rng.standard_normal((ny, nx))).astype("<f4")
    return [zlib.compress(field[j:j + chunk_y].view(np.uint8).reshape(-1, 4).T.tobytes(), 1)
            for j in range(0, ny, chunk_y)]


def _sources(r, name, nt, ny, nx, chunk_y):
    """{"netcdf": file, "kerchunk": refs to it, "multi-file": PARTS files}, made once per
    build in the shared samples directory (each file written beside and renamed)."""
    base = os.path.join(r.samples, f"rss_{name}")
    os.makedirs(r.samples, exist_ok=True)
    single, refs = base + ".nc", base + ".json"
    parts = [f"{base}_part{i}.nc" for i in range(PARTS)]
    if not all(os.path.exists(p) for p in [single, refs, *parts]):
        stored = _stored_chunks(ny, nx, chunk_y)
        _write(single, 0, nt, ny, nx, chunk_y, stored)
        step = nt // PARTS
        for i, p in enumerate(parts):
            _write(p, i * step, step, ny, nx, chunk_y, stored)
        make_refs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_refs.py")
        subprocess.run([sys.executable, make_refs, refs + ".tmp", single], check=True, capture_output=True)
        os.replace(refs + ".tmp", refs)
    return {"netcdf": single, "kerchunk": refs, "multi-file": {"uri": parts, "concat_dim": "time"}}


def _run_with_stats(r, name, source):
    """Runs the job on 2 ranks; its --stats per rank, and the plan's per rank."""
    c = _cases()
    store = r.store(name + ".zarr")
    stats = os.path.join(r.work, name + ".stats.json")
    job = r.job(name, source=source, store=store, chunks={"time": 24, "y": 64, "x": 1536}, workers=1,
                memory_limit="120MB", overwrite=True)
    plan = subprocess.run([r.zpmpi, "plan", "--config", job, "--ranks", "2", "--json"], env=c.ENV,
                          capture_output=True, encoding="utf-8", timeout=60, stdin=subprocess.DEVNULL)
    assert plan.returncode == 0, f"zpmpi plan of {name}: exit {plan.returncode}\n{plan.stdout}\n{plan.stderr}"
    c.expect_ok(r.run(2, "--config", job, "--stats", stats), f"the run of {name}")
    with open(stats) as f:
        per_rank = json.load(f)["per_rank"]
    shutil.rmtree(store)
    return per_rank, json.loads(plan.stdout)["per_rank"]


def case_rss_bound(r, a):
    large = _sources(r, "large", NT, NY, NX, CHUNK_Y)
    tiny = _sources(r, "tiny", *TINY)
    problems = []
    for kind, source in large.items():
        baseline, _ = _run_with_stats(r, f"tiny_{kind}".replace("-", "_"), tiny[kind])
        ran, planned = _run_with_stats(r, f"large_{kind}".replace("-", "_"), source)
        for rank, (x, base, p) in enumerate(zip(ran, baseline, planned)):
            bound = int((p["peak_memory"] + base["peak_rss"]) * MARGIN)
            line = (f"{kind}, rank {rank}: peak_rss {x['peak_rss'] / 1e6:.1f} MB, bound {bound / 1e6:.1f} MB = "
                    f"(plan {p['peak_memory'] / 1e6:.1f} + baseline {base['peak_rss'] / 1e6:.1f}) * {MARGIN}; "
                    f"peak_buffer {x['peak_buffer'] / 1e6:.1f} MB")
            print(line)
            if x["peak_rss"] > bound:
                problems.append(line + ": peak_rss above the bound")
            if x["peak_buffer"] > p["peak_memory"]:
                problems.append(line + ": peak_buffer above the plan")
            if p["peak_memory"] < 2 * base["peak_rss"]:
                problems.append(line + ": the buffers do not dominate: the bound could not catch a buffer too many")
    if problems:
        sys.exit("FAIL: memory above the plan:\n  " + "\n  ".join(problems))
    print("ok every rank's peak RSS within its plan's buffers + the baseline, with a margin of 25%")
