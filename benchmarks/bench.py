#!/usr/bin/python3
"""zpmpi side by side with xarray+dask and nccopy, netCDF -> Zarr v2 (and zpmpi's Zarr v3, with
and without shards), run by benchmarks/run.sh.

For every case (chunking x source x codec) and every contender, runs the conversion
`--repeats` times, interleaved (repeat 1 of everything, then repeat 2, ...), checks each
output against the source before its time counts (v3 stores through zarr_v3_read.py), counts
its files and bytes, times zarrita opening the stores of the --metadata-cases, and reports
medians next to the floor computed from stage rates measured in the same run. Writes
results.md, results.json, chart.dat (+ chart.png via plot.gp) and logs/ into --out.

usage: bench.py --size small|medium --out DIR [--repeats 3] [--cases SUBSTR,..]
                [--contenders SUBSTR|=NAME,..] [--plan-benchmark BIN]
                [--metadata-cases SUBSTR,..] [--metadata-repeats N]
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

import netCDF4
import numcodecs
import numpy as np
import xarray as xr

import zarr_v3_read
from oracle_v3 import zarrita_missing  # tests/integration, on the path since zarr_v3_read

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
DATA = os.path.join(BENCH, "data")
# Where outputs (and the cp probe) are written: BENCH_WORK, else benchmarks/data/work.
WORK = os.environ.get("BENCH_WORK") or os.path.join(DATA, "work")
ZPMPI = os.path.join(ROOT, "build", "zpmpi")
# The floor's stages with zpmpi's own library calls (benchmarks/stage_probe.cpp).
STAGE_PROBE = os.path.join(ROOT, "build-bench", "benchmarks", "stage_probe")
PY = "/usr/bin/python3"
# zarrita (npm, installed there by scripts/setup.sh or `npm ci`) opening a store's metadata.
OPEN_METADATA = os.path.join(ROOT, "tests", "integration", "zarrita", "open_metadata.mjs")
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}

SIZES = {"small": 48, "medium": 336}  # hours of ERA5-like data (~400 MB, ~2.8 GB)
NLAT, NLON, SOURCE_CHUNK_HOURS = 721, 1440, 24
DATA_VARS = ("t2m", "d2m")
DIMS = ("time", "latitude", "longitude")
TIMEOUT = 3600  # seconds per run

# --- cases -------------------------------------------------------------------------------
# A chunking maps the time length to the output chunks ("auto" = the source chunks).
# Tiling cases come later: add them here as further entries (and, if they need job keys
# beyond "chunks", in the contenders' command builders below, which receive the whole case).
CHUNKINGS = {
    "copy": lambda nt: "auto",                                                     # (a)
    "rechunk": lambda nt: {"time": min(168, nt), "latitude": 145, "longitude": 288},  # (b)
    "smallchunks": lambda nt: {"time": 1, "latitude": 145, "longitude": 144},      # (c)
}
# Uncompressed and zlib(1)+shuffle netCDF-4, and a kerchunk reference set into the zlib file
# (the Python package's default engine): same bytes, decoded by zpmpi itself on its workers.
SOURCES = ("raw", "zlib", "refs")
MAKE_REFS = os.path.join(ROOT, "tests", "integration", "make_refs.py")
CODECS = ("zstd1", "lz4", "none")
# (d) a region and a week: `sel` of latitude 60..-30 and longitude 40..100 (361 x 241 points
# at 0.25 degrees) and of up to 168 hours from the start of the second day (source-chunk
# aligned in time), one output chunk per day of the region.
SEL_LABELS = {"latitude": [60, -30], "longitude": [40, 100]}
SEL_INDEX = {"latitude": [120, 481], "longitude": [160, 401]}  # the same points as indices


# (e) tiles for ML batches: the `tiled` preprocessor, tiles of (24, 200, 400) (the issue's
# example; latitude and longitude padded with NaN: 721 = 3 x 200 + 121, 1440 = 3 x 400 + 240),
# one tile per chunk file; xarray+dask runs the same coarsen/construct/stack expression.
TILE = {"time": 24, "latitude": 200, "longitude": 400}


def tiled_reference(values):
    """A source array (time, latitude, longitude) as the tiled store holds it: padded with
    NaN to whole tiles, then (batch_dim, time_fine, latitude_fine, longitude_fine), the batch
    index running over (time, latitude, longitude) tiles in C order."""
    tiles = [-(-n // TILE[d]) for n, d in zip(values.shape, DIMS)]
    padded = np.full([t * TILE[d] for t, d in zip(tiles, DIMS)], np.nan, dtype=values.dtype)
    padded[tuple(slice(0, n) for n in values.shape)] = values
    shaped = padded.reshape(tiles[0], TILE["time"], tiles[1], TILE["latitude"], tiles[2], TILE["longitude"])
    return shaped.transpose(0, 2, 4, 1, 3, 5).reshape(-1, *(TILE[d] for d in DIMS))


def sel_case_fields(times):
    """The `sel` of case (d) over the source's decoded `times`: labels for the job, the index
    box it selects (for the reference) and its output chunks."""
    t0 = SOURCE_CHUNK_HOURS if len(times) > SOURCE_CHUNK_HOURS else 0
    t1 = min(len(times), t0 + 168)
    label = lambda t: np.datetime_as_string(t, unit="m").replace("T", " ")
    index = {"time": [t0, t1], **SEL_INDEX}
    return {"sel": {"time": [label(times[t0]), label(times[t1 - 1])], **SEL_LABELS}, "index": index,
            "chunks": {"time": min(24, t1 - t0), "latitude": 361, "longitude": 241}}


def make_cases(times):
    nt = len(times)
    cases = []
    for ch, fn in [*CHUNKINGS.items(), ("sel", None), ("tiled", None)]:
        for src in SOURCES:
            for codec in CODECS:
                case = {"name": f"{ch}/{src}/{codec}", "chunking": ch, "source": src, "codec": codec}
                if ch == "tiled":
                    case["tiled"] = TILE
                    case["chunks"] = "auto"  # a tiled array is one tile per chunk; "chunks" may not name its dims
                    case["out_chunks"] = [1] + [TILE[d] for d in DIMS]
                elif fn is None:
                    case.update(sel_case_fields(times))
                    case["out_chunks"] = [case["chunks"][d] for d in DIMS]
                    case["nbytes"] = len(DATA_VARS) * 4 * int(np.prod([b - a for a, b in case["index"].values()]))
                else:
                    chunks = case["chunks"] = fn(nt)
                    out = [SOURCE_CHUNK_HOURS, NLAT, NLON] if chunks == "auto" else [chunks[d] for d in DIMS]
                    case["out_chunks"] = [min(c, n) for c, n in zip(out, (nt, NLAT, NLON))]
                cases.append(case)
    return cases


def case_box(case):
    """The index box of the source a case writes (everything unless it selects)."""
    if "index" not in case:
        return (slice(None),) * len(DIMS)
    return tuple(slice(*case["index"][d]) for d in DIMS)


def case_nbytes(case, ref):
    return case.get("nbytes", ref.nbytes)


# --- small helpers -----------------------------------------------------------------------
def log(msg):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)


def tree_size(path):
    nbytes = nfiles = 0
    for d, _, files in os.walk(path):
        for f in files:
            nbytes += os.path.getsize(os.path.join(d, f))
            nfiles += 1
    return nbytes, nfiles


def rmtree(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


# A VM with free page reporting (a Firecracker guest like RESULTS.md's machine) hands freed
# pages back to its host; a page touched again costs a host fault. Measured there: 448 files
# of 5 MB written 0-1 s after the previous 2.2 GB were removed took 0.35-0.69 s, 3 s or more
# after 1.5-1.9 s. So whether a run's page-cache writes are "hot" depended on how long its
# harness took since the previous run's removal. Every timed run and every write probe pass
# now starts after the same wait, so runs and floor start from the same state of memory.
PAGE_REPORTING = os.path.isdir("/sys/module/page_reporting")
SETTLE_SECONDS = 3.0 if PAGE_REPORTING else 0.0


def settle():
    """Untimed, before a timed run or write: the previous run's writeback out of the way, and
    on a page-reporting VM, the memory freed since handed back to the host."""
    os.sync()
    if SETTLE_SECONDS:
        time.sleep(SETTLE_SECONDS)


def time_v(path):
    """Fields of a /usr/bin/time -v report."""
    out = {}
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.strip().rpartition(": ")
            out[k] = v
    return out


def source_path(size, src):
    if src == "refs":
        return os.path.join(DATA, f"era5_{size}_zlib.json")
    return os.path.join(DATA, f"era5_{size}{'_zlib' if src == 'zlib' else ''}.nc")


def read_source(src):
    """The netCDF file whose bytes a source reads (a reference set reads the zlib file)."""
    return "zlib" if src == "refs" else src


def ensure_data(size):
    """Generates the two sources once (atomically: a half-written file is never reused)."""
    for src in SOURCES:
        path = source_path(size, src)
        if os.path.exists(path):
            continue
        log(f"generating {path}")
        tmp = path + ".tmp"
        if src == "refs":  # absolute urls: fsspec resolves relative ones against the working directory
            subprocess.run([PY, MAKE_REFS, tmp, source_path(size, "zlib"), "--url-prefix", os.path.abspath(DATA) + "/"],
                           check=True)
        else:
            cmd = [PY, os.path.join(ROOT, "scripts", "make_sample.py"), tmp, "--hours", str(SIZES[size])]
            subprocess.run(cmd + (["--zlib"] if src == "zlib" else []), check=True)
        os.replace(tmp, path)


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


# --- reference and verification ----------------------------------------------------------
class Reference:
    """The source values (t2m, d2m, decoded time) every output must equal."""

    def __init__(self, size):
        with xr.open_dataset(source_path(size, "raw")) as ds:
            self.values = {v: ds[v].values for v in DATA_VARS}
            self.time = ds["time"].values
        with xr.open_dataset(source_path(size, "zlib")) as ds:  # same generator, same seed
            for v in DATA_VARS:
                if not np.array_equal(ds[v].values, self.values[v]):
                    raise SystemExit(f"bench: {v} differs between the raw and zlib sources")
        self.nt = self.time.shape[0]
        self.nbytes = sum(a.nbytes for a in self.values.values())


def expected_compressor_ok(comp, codec):
    if codec == "none":
        return comp is None
    if comp is None:
        return False
    if codec == "zstd1":
        return comp.get("id") == "zstd" and comp.get("level") == 1
    return comp.get("id") == "lz4"


# Zarr v3 has no lz4 codec: v3 contenders write the lz4 cases with blosc's lz4 (byte shuffle).
V3_LZ4 = {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1}
V3_LZ4_NOTE = "lz4 written as blosc (cname lz4, clevel 5, byte shuffle): Zarr v3 has no lz4 codec"


def expected_v3_codecs_ok(codecs, codec):
    """Whether a v3 chunk's bytes-to-bytes codecs are the case's codec (lz4: V3_LZ4)."""
    if codec == "none":
        return codecs == []
    if len(codecs) != 1:
        return False
    name, conf = codecs[0]["name"], codecs[0].get("configuration", {})
    if codec == "zstd1":
        return name == "zstd" and conf.get("level") == 1
    return name == "blosc" and (conf.get("cname"), conf.get("clevel"), conf.get("shuffle")) == ("lz4", 5, "shuffle")


def layout_v2(out, case):
    """None if every data variable's .zarray has the case's chunks and codec, else why not."""
    for v in DATA_VARS:
        zarray = os.path.join(out, v, ".zarray")
        if not os.path.exists(zarray):
            return f"{v}/.zarray missing"
        meta = json.load(open(zarray))
        if list(meta["chunks"]) != case["out_chunks"]:
            return f"{v} chunks {meta['chunks']} != {case['out_chunks']}"
        if not expected_compressor_ok(meta.get("compressor"), case["codec"]):
            return f"{v} compressor {meta.get('compressor')} is not {case['codec']}"
    return None


def layout_v3(out, case, sharded):
    """None if every data variable's zarr.json has the case's (inner) chunks and codec, and
    shards exactly when `sharded`, else why not."""
    for v in DATA_VARS:
        doc = os.path.join(out, v, "zarr.json")
        if not os.path.exists(doc):
            return f"{v}/zarr.json missing"
        try:
            chunks, codecs, has_shards = zarr_v3_read.array_codecs(json.load(open(doc)))
        except zarr_v3_read.Unsupported as e:
            return f"{v}: the v3 reader cannot read {e}"
        if list(chunks) != case["out_chunks"]:
            return f"{v} chunks {chunks} != {case['out_chunks']}"
        if has_shards != sharded:
            return f"{v} is {'' if has_shards else 'not '}sharded"
        if not expected_v3_codecs_ok(codecs, case["codec"]):
            return f"{v} codecs {codecs} are not {case['codec']}"
    return None


def open_store(out, zarr_format):
    """The store as an xarray Dataset: Debian's xarray for v2, zarr_v3_read for v3."""
    if zarr_format == 3:
        return zarr_v3_read.open_dataset(out)
    consolidated = os.path.exists(os.path.join(out, ".zmetadata"))
    return xr.open_zarr(out, consolidated=consolidated, chunks=None)


def values_differ(ds, case, ref):
    """None if the dataset's t2m, d2m and time (or tile grid) are the source's, else what differs."""
    box = case_box(case)
    if "tiled" in case:
        for v in DATA_VARS:
            if not np.array_equal(ds[v].values, tiled_reference(ref.values[v]), equal_nan=True):
                return f"{v} values differ from the tiled source"
        if not np.array_equal(ds["time_coarse"].values, np.repeat(np.arange(-(-ref.nt // TILE["time"])),
                                                                   -(-NLAT // TILE["latitude"]) * -(-NLON // TILE["longitude"]))):
            return "time_coarse differs from the tile grid"
        return None
    for v in DATA_VARS:
        if not np.array_equal(ds[v].values, ref.values[v][box]):
            return f"{v} values differ from the source"
    if not np.array_equal(ds["time"].values, ref.time[box[0]]):
        return "time differs from the source"
    return None


def statistics_differ(ds):
    """None if every data variable has a "statistics" attribute (issue 28) whose count is its
    size and whose mean is numpy's (float64, 1e-9 relative), else what is wrong."""
    for v in DATA_VARS:
        st = ds[v].attrs.get("statistics")
        if not isinstance(st, dict):
            return f"{v} has no statistics attribute"
        values = ds[v].values
        if st.get("count", 0) + st.get("nan_count", 0) != values.size:
            return f"{v} statistics count {st.get('count')} + nan_count {st.get('nan_count')} != {values.size}"
        mean = float(np.nanmean(values, dtype=np.float64))
        if not abs(st.get("mean", float("nan")) - mean) <= 1e-9 * abs(mean):
            return f"{v} statistics mean {st.get('mean')} != numpy's {mean}"
    return None


def verify(out, case, ref, zarr_format=2, sharded=False, with_statistics=False):
    """None if `out` holds the case's chunks/codec and the source's values (and with
    `with_statistics` every data variable's statistics), else why not. A v3 store is read by
    zarr_v3_read (every shard index checked on the way)."""
    why = layout_v3(out, case, sharded) if zarr_format == 3 else layout_v2(out, case)
    if why:
        return why
    try:
        with open_store(out, zarr_format) as ds:
            return values_differ(ds, case, ref) or (statistics_differ(ds) if with_statistics else None)
    except Exception as e:  # the reader's Unsupported or the oracle's Mismatch: a wrong store
        if zarr_format == 2:
            raise
        return f"v3 reader: {type(e).__name__}: {e}"


# --- contenders --------------------------------------------------------------------------
ZPMPI_STAGES = ("seconds_read", "seconds_gather", "seconds_encode", "seconds_write")


def zpmpi_figures(stats):
    """Per-rank stage seconds, the plan's buffer bound and memory_limit, the peak buffers and
    the read amplification, from one zpmpi run's --stats JSON (README.md, "Run statistics")."""
    if not stats or stats.get("chunks") is None:
        return {}
    fig = {"stages": [[r[k] for k in ZPMPI_STAGES] for r in stats["per_rank"]],
           "peak_buffers_mb": stats["peak_buffer"] / 1e6,
           "amplification": stats["read_amplification"]}
    if stats.get("plan"):
        fig["plan_buffers_mb"] = stats["plan"]["buffers_per_rank"] / 1e6
        fig["memory_limit_mb"] = stats["plan"]["memory_limit"] / 1e6
    return fig


class Contender:
    name = ""
    single_process = False  # peak RSS sum = max
    zarr_format, sharded = 2, False  # the store it writes
    statistics = False  # whether its job asks for "statistics": true (checked in its output)

    def substitute(self, case):
        """None when it writes `case`'s codec as asked, else what it writes instead (a note)."""
        return None

    def available(self):
        """None when it can run here, else why not (shown in the table)."""
        return None

    def unsupported(self, case):
        """None when it can run `case`, else why not."""
        return None

    def command(self, case, src, out, run_dir):
        raise NotImplementedError

    def extra(self, proc, run_dir):
        """Contender-specific figures from a finished run (rss_sum_kb, stages)."""
        return {}


V3_SUFFIX = {"plain": " v3", "auto": " v3 shards"}


STATS_SUFFIX = " stats"


class Zpmpi(Contender):
    def __init__(self, ranks, workers=1, decoder="zpmpi", fsync=False, v3=None, statistics=False):
        self.ranks, self.workers, self.decoder, self.fsync, self.v3 = ranks, workers, decoder, fsync, v3
        self.statistics = statistics  # issue 28: the same job with "statistics": true
        # Workers: threads per rank that encode and write, and decode the source's chunks
        # (netCDF-4 and kerchunk) unless the netCDF-C decoder is forced. v3: "plain" writes
        # Zarr v3 with one file per chunk, "auto" with "shards": "auto" (~1 GiB per shard).
        self.name = (f"zpmpi -n {ranks}" + (f" --workers {workers}" if workers > 1 else "")
                     + (f" {decoder}" if decoder != "zpmpi" else "") + (" fsync" if fsync else "")
                     + V3_SUFFIX.get(v3, "") + (STATS_SUFFIX if statistics else ""))
        if v3:
            self.zarr_format, self.sharded = 3, v3 == "auto"

    def substitute(self, case):
        return V3_LZ4_NOTE if self.v3 and case["codec"] == "lz4" else None

    def compressor(self, case):
        if self.v3 and case["codec"] == "lz4":
            return V3_LZ4
        return {"zstd1": {"id": "zstd", "level": 1}, "lz4": {"id": "lz4", "acceleration": 1}, "none": None}[case["codec"]]

    def unsupported(self, case):
        if self.decoder != "zpmpi" and case["source"] == "refs":
            return "unsupported: the netCDF-C decoder reads netCDF files, not reference sets"
        return None

    def available(self):
        return None if os.access(ZPMPI, os.X_OK) else f"{ZPMPI} not built"

    def command(self, case, src, out, run_dir):
        job = {"source": src if self.decoder == "zpmpi" else {"uri": src, "decoder": self.decoder},
               "chunks": case["chunks"], "store": out,
               "compressor": self.compressor(case),
               "overwrite": True, "log_level": 2, "workers": self.workers}
        if self.v3:
            job["zarr_format"] = 3
            if self.sharded:
                job["shards"] = "auto"
        if self.fsync:
            job["fsync"] = True  # each chunk file and its directory synced before the rename
        if self.statistics:
            job["statistics"] = True
        if "sel" in case:
            job["preprocessors"] = [{"type": "sel", **case["sel"]}]
        if "tiled" in case:
            job["preprocessors"] = [{"type": "tiled", **case["tiled"]}]
            job["recommendations"] = "warn"  # tiles of 200 x 400 in chunks of 721 x 1440: noted, not halted
        job_path = os.path.join(run_dir, "job.json")
        json.dump(job, open(job_path, "w"))
        # Each rank under its own /usr/bin/time, for the per-rank peak RSS (summed later).
        rss = 'exec /usr/bin/time -f %M -o "$0.$OMPI_COMM_WORLD_RANK" "$@"'
        # mpirun binds each of 2 ranks or fewer to one core: a rank's workers need more.
        bind = ["--bind-to", "none"] if self.workers > 1 else []
        return ["mpirun", "-n", str(self.ranks), "--oversubscribe", *bind,
                "sh", "-c", rss, os.path.join(run_dir, "rss"), ZPMPI, "--config", job_path,
                "--stats", os.path.join(run_dir, "stats.json")]

    def extra(self, proc, run_dir):
        rss = []
        for r in range(self.ranks):
            try:
                rss.append(int(open(os.path.join(run_dir, f"rss.{r}")).read().split()[-1]))
            except (OSError, ValueError, IndexError):
                pass
        try:
            with open(os.path.join(run_dir, "stats.json")) as f:
                stats = json.load(f)
        except (OSError, ValueError):
            stats = None  # a run that died before writing it: no figures
        # The whole summary is kept in results.json, so --rerender can derive the figures again.
        return {"rss_sum_kb": sum(rss) if len(rss) == self.ranks else None, "zpmpi_stats": stats,
                **zpmpi_figures(stats)}


class Xarray(Contender):
    def __init__(self, scheduler, workers):
        self.scheduler, self.workers = scheduler, workers
        self.name = (f"xarray+dask {workers} thread{'s' if workers > 1 else ''}" if scheduler == "threads"
                     else f"dask distributed {workers}x1")

    def available(self):
        if self.scheduler == "distributed":
            ok = subprocess.run([PY, "-c", "import distributed"], capture_output=True).returncode == 0
            return None if ok else "skipped: `import distributed` fails (python3-distributed not installed)"
        return None

    def command(self, case, src, out, run_dir):
        chunks = case["chunks"]
        source_chunks = {"time": SOURCE_CHUNK_HOURS, "latitude": NLAT, "longitude": NLON}
        return [PY, os.path.join(BENCH, "xr_convert.py"), src, out,
                "--source-chunks", json.dumps(source_chunks),
                "--chunks", json.dumps(source_chunks if chunks == "auto" else chunks),
                "--codec", case["codec"], "--scheduler", self.scheduler, "--workers", str(self.workers)] + (
                    ["--sel", json.dumps(case["sel"])] if "sel" in case else []) + (
                    ["--tiled", json.dumps(case["tiled"])] if "tiled" in case else [])

    def extra(self, proc, run_dir):
        for line in reversed(proc.stdout.splitlines()):
            try:
                return {"rss_sum_kb": json.loads(line)["rss_sum_kb"]}
            except (ValueError, KeyError, TypeError):
                continue
        return {}


class Nccopy(Contender):
    """nccopy writing NCZarr in pure-Zarr mode. The codecs are probed once on a tiny file:
    a build without the NCZarr filter plugins silently writes "compressor": null."""
    name = "nccopy"
    single_process = True
    FILTERS = {"zstd1": "32015,1", "lz4": "32004"}  # HDF5 filter ids of zstd and lz4

    def __init__(self):
        self.support = {}

    def flags(self, case):
        f = ["-u"]
        if case["chunks"] != "auto":
            f += ["-c", ",".join(f"{d}/{case['chunks'][d]}" for d in DIMS)]
        if case["codec"] in self.FILTERS:
            f += ["-F", f"*,{self.FILTERS[case['codec']]}"]
        return f

    def command(self, case, src, out, run_dir):
        return ["nccopy"] + self.flags(case) + [src, f"file://{out}#mode=zarr,file"]

    def available(self):
        if not shutil.which("nccopy"):
            return "unsupported: nccopy not installed"
        probe = os.path.join(WORK, "nccopy-probe")
        rmtree(probe)
        os.makedirs(probe)
        src = os.path.join(probe, "tiny.nc")
        subprocess.run([PY, os.path.join(ROOT, "scripts", "make_sample.py"), src, "--hours", "2",
                        "--grid", "10", "--chunk-hours", "1"], check=True)
        for codec in CODECS:
            out = os.path.join(probe, f"{codec}.zarr")
            case = {"chunks": "auto", "codec": codec}
            p = subprocess.run(self.command(case, src, out, probe), capture_output=True, text=True)
            try:
                comp = json.load(open(os.path.join(out, "t2m", ".zarray"))).get("compressor")
                ok = p.returncode == 0 and expected_compressor_ok(comp, codec)
                why = f"writes compressor {json.dumps(comp)} when asked for {codec}"
            except OSError:
                ok, why = False, f"no Zarr output (exit {p.returncode}: {p.stderr.strip()[-200:]})"
            self.support[codec] = None if ok else f"unsupported: {why}"
        rmtree(probe)
        if all(self.support.values()):
            return "unsupported: this nccopy cannot write Zarr"
        return None

    def unsupported(self, case):
        if "sel" in case:
            return "unsupported: nccopy has no label selection"
        if "tiled" in case:
            return "unsupported: nccopy cannot tile"
        if case["source"] == "refs":
            return "unsupported: nccopy reads no kerchunk references"
        return self.support.get(case["codec"])


def contenders():
    return [Zpmpi(2), Zpmpi(2, v3="plain"), Zpmpi(2, v3="auto"), Zpmpi(2, statistics=True),
            Zpmpi(2, decoder="netcdf-c"), Zpmpi(2, fsync=True),
            Zpmpi(1), Zpmpi(1, workers=2), Xarray("threads", 2), Xarray("threads", 1), Xarray("distributed", 2),
            Nccopy()]


def selected(name, patterns):
    """Whether --contenders picks `name`: a pattern "=NAME" is the whole name, others substrings."""
    return not patterns or any(name == p[1:] if p.startswith("=") else p in name for p in patterns.split(","))


# --- stage rates for the floor -----------------------------------------------------------
def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def read_seconds(path, repeats, index=None):
    """Median seconds of one core reading t2m and d2m through netCDF-C, chunk by chunk in
    time; only the box `index` (dim -> [start, stop]) when given."""
    def read():
        with netCDF4.Dataset(path) as ds:
            for v in DATA_VARS:
                var = ds[v]
                var.set_auto_maskandscale(False)
                t_start, t_stop = index["time"] if index else (0, var.shape[0])
                rest = tuple(slice(*index[d]) for d in DIMS[1:]) if index else ()
                for t0 in range(t_start, t_stop, SOURCE_CHUNK_HOURS):
                    var[(slice(t0, min(t0 + SOURCE_CHUNK_HOURS, t_stop)),) + rest]
    return median_time(read, repeats)


# glibc serves each chunk-sized buffer HDF5 allocates while decoding with a fresh mmap and
# unmaps it on free, so every compressed chunk faults its pages in again: about a third of
# the decode time. zpmpi keeps freed buffers in its heap (src/source/decode_buffers.cpp);
# the floor's reader gets the same allocator settings, so the floor is netCDF-C's rate.
RESIDENT_HEAP_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(2**31 - 1)}


def read_rate(path, nbytes, repeats, index=None):
    """Uncompressed bytes/s of one core reading the source (read_seconds, in a child process
    with RESIDENT_HEAP_ENV); `nbytes` are the bytes of `index`, when given."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--read-probe", path,
                          "--repeats", str(repeats)] + (["--read-index", json.dumps(index)] if index else []),
                         env=dict(os.environ, **RESIDENT_HEAP_ENV), check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return nbytes / float(out.split()[-1])


def encode_rate(ref, case, repeats):
    """Uncompressed bytes/s of one core encoding the output chunks of `case` with its codec."""
    codec = {"zstd1": numcodecs.Zstd(level=1), "lz4": numcodecs.LZ4(), "none": None}[case["codec"]]
    if codec is None:
        return float("inf")
    c = case["out_chunks"]
    pieces = [np.ascontiguousarray(a[t:t + c[0], y:y + c[1], x:x + c[2]])
              for a in (v[case_box(case)] for v in ref.values.values())
              for t in range(0, a.shape[0], c[0])
              for y in range(0, a.shape[1], c[1])
              for x in range(0, a.shape[2], c[2])]

    def encode():
        for p in pieces:
            codec.encode(p)
    return case_nbytes(case, ref) / median_time(encode, repeats)


def probe_rate(args, repeats, before=None):
    """(bytes/s, output of the last pass) of one core running stage_probe `args`: the median
    pass of `repeats` (each prints "<seconds> <bytes> ..."), each after `before()` if given."""
    passes = []
    for _ in range(repeats):
        if before:
            before()
        out = subprocess.run([STAGE_PROBE] + [str(a) for a in args], check=True, stdout=subprocess.PIPE,
                             text=True).stdout.split()
        passes.append((float(out[0]), out))
    seconds, out = sorted(passes)[len(passes) // 2]
    return int(out[1]) / seconds, out


def probe_box(case):
    """stage_probe's box argument for a case: "t0:t1,y0:y1,x0:x1" or "all"."""
    if "index" not in case:
        return "all"
    return ",".join(f"{a}:{b}" for a, b in (case["index"][d] for d in DIMS))


def cp_rate(path, repeats):
    """Bytes/s of `cp` of the (uncompressed) source to the output file system."""
    dst = os.path.join(WORK, "cp-probe.nc")
    times = []
    try:
        for _ in range(repeats):
            rmtree(dst)
            settle()  # untimed, as before every run
            t0 = time.perf_counter()
            subprocess.run(["cp", path, dst], check=True)
            times.append(time.perf_counter() - t0)
    finally:
        rmtree(dst)
    return os.path.getsize(path) / statistics.median(times)


def zpmpi_startup(ranks, repeats):
    """Seconds of `mpirun -n N zpmpi --version`: launching and MPI start-up, no work."""
    cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", ZPMPI, "--version"]
    return median_time(lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                                              env=dict(os.environ, **MPI_ENV)), repeats)


def measure_floor(size, ref, cases, repeats):
    cores = os.cpu_count()
    rates = {"cores": cores, "read": {}, "encode": {}, "cp": cp_rate(source_path(size, "raw"), repeats),
             "read_zpmpi": {}, "encode_zpmpi": {}, "write": {}}
    probe = os.access(STAGE_PROBE, os.X_OK)
    if not probe:
        log(f"floor: {STAGE_PROBE} not built: no zpmpi-stage floor")
    if os.access(ZPMPI, os.X_OK):
        rates["zpmpi_startup"] = {n: zpmpi_startup(n, max(repeats, 3)) for n in (1, 2)}
        log(f"zpmpi start-up (mpirun -n 1/2 zpmpi --version): {rates['zpmpi_startup']}")
    floor = {}
    for case in cases:
        key = f"{case['chunking']}/{case['codec']}"
        if key not in rates["encode"]:
            rates["encode"][key] = encode_rate(ref, case, repeats)
            log(f"floor: encode {key} {rates['encode'][key] / 1e6:.0f} MB/s per core")
        # Measured once per source, for the cases that need it; a selection reads (and
        # decodes) its own chunks.
        src = read_source(case["source"])
        read_key = src if "index" not in case else f"{src}, {case['chunking']}"
        if read_key not in rates["read"]:
            rates["read"][read_key] = read_rate(source_path(size, src), case_nbytes(case, ref),
                                                repeats, case.get("index"))
            log(f"floor: read {read_key} {rates['read'][read_key] / 1e6:.0f} MB/s per core")
        r, e = rates["read"][read_key], rates["encode"][key]
        compute = cores / (1 / r + 1 / e)
        tp = min(rates["cp"], compute)
        old = {"read": r, "encode": e, "cp": rates["cp"], "throughput": tp,
               "bound": "cp" if rates["cp"] <= compute else "read+encode", "seconds": case_nbytes(case, ref) / tp}
        if not probe:
            floor[case["name"]] = dict(old, old=old)
            continue
        # The same stages with zpmpi's own calls: its decode of the source (the kerchunk set's
        # own for refs), its codec, and the chunk files written as zpmpi writes them.
        zkey = f"{case['source']}" + ("" if "index" not in case else f", {case['chunking']}")
        if zkey not in rates["read_zpmpi"]:
            rates["read_zpmpi"][zkey], _ = probe_rate(
                ["read", source_path(size, case["source"]), "zpmpi", SOURCE_CHUNK_HOURS, probe_box(case), *DATA_VARS],
                repeats)
            log(f"floor: zpmpi read {zkey} {rates['read_zpmpi'][zkey] / 1e6:.0f} MB/s per core")
        ekey = f"{key}" + ("" if "index" not in case else ", sel")
        if ekey not in rates["encode_zpmpi"]:
            codec = {"zstd1": '{"id": "zstd", "level": 1}', "lz4": '{"id": "lz4"}', "none": "null"}[case["codec"]]
            tiled = case["chunking"] == "tiled"
            chunks = [TILE[d] for d in DIMS] if tiled else case["out_chunks"]
            # Tiles at the edges are padded to the full tile (with NaN), and zpmpi encodes the padding.
            rate, out = probe_rate(["encode", source_path(size, "raw"), codec, ",".join(map(str, chunks)),
                                    "pad" if tiled else "cut", probe_box(case), *DATA_VARS], repeats)
            pieces, encoded = int(out[3]), int(out[2])
            rates["encode_zpmpi"][ekey] = float("inf") if case["codec"] == "none" else rate
            # One core creating the case's chunk files (of their encoded size) in the output
            # file system; at most 2000 of them per pass.
            count = min(pieces, 2000)
            rates["write"][ekey], _ = probe_rate(["write", os.path.join(WORK, "write-probe"),
                                                  max(1, encoded // max(pieces, 1)), count], repeats, settle)
            rates["write"][ekey] *= (int(out[1]) / max(encoded, 1))  # in uncompressed bytes per second
            log(f"floor: zpmpi encode {ekey} {rates['encode_zpmpi'][ekey] / 1e6:.0f} MB/s, write "
                f"{rates['write'][ekey] / 1e6:.0f} MB/s (uncompressed bytes) per core")
        r2, e2, w = rates["read_zpmpi"][zkey], rates["encode_zpmpi"][ekey], rates["write"][ekey]
        compute2 = cores / (1 / r2 + 1 / e2 + 1 / w)
        tp2 = min(rates["cp"], compute2)
        floor[case["name"]] = {"read": r2, "encode": e2, "write": w, "cp": rates["cp"], "throughput": tp2,
                               "bound": "cp" if rates["cp"] <= compute2 else "read+encode+write",
                               "seconds": case_nbytes(case, ref) / tp2, "old": old}
    log(f"floor: cp {rates['cp'] / 1e6:.0f} MB/s")
    return rates, floor


# --- one run -----------------------------------------------------------------------------
def run_slug(contender, case, repeat):
    """The name of a run's log file in logs/."""
    return re.sub(r"[^A-Za-z0-9]+", "-", f"{contender}__{case}__r{repeat}").strip("-")


METADATA_MODES = ("consolidated", "arrays")


def metadata_open(out, repeats):
    """zarrita opening `out` and every array's metadata, `repeats` times per mode of
    open_metadata.mjs, alternating: {"samples": [{mode, format, arrays, docs, ms (in node),
    wall_s (the whole `node` process)}]} or {"error": why}."""
    samples = []
    for _ in range(repeats):
        for mode in METADATA_MODES:
            t0 = time.perf_counter()
            p = subprocess.run(["node", OPEN_METADATA, out, mode], capture_output=True, text=True, timeout=120,
                               stdin=subprocess.DEVNULL)
            wall = time.perf_counter() - t0
            if p.returncode != 0:
                return {"error": f"{mode}: " + (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[0][-200:]}
            samples.append(dict(json.loads(p.stdout), wall_s=wall))
    return {"samples": samples}


def run_one(contender, case, src, repeat, logs, ref, metadata_repeats=0):
    slug = run_slug(contender.name, case["name"], repeat)
    run_dir = os.path.join(WORK, "run")
    out = os.path.join(WORK, "out.zarr")
    rmtree(run_dir)
    rmtree(out)
    os.makedirs(run_dir)
    cmd = contender.command(case, src, out, run_dir)
    tfile = os.path.join(run_dir, "time.txt")
    env = dict(os.environ, **MPI_ENV)
    rec = {"contender": contender.name, "case": case["name"], "repeat": repeat, "command": cmd}
    settle()  # untimed: the previous run's writeback does not land in this one's time
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(["/usr/bin/time", "-v", "-o", tfile] + cmd, capture_output=True,
                              text=True, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        proc = subprocess.CompletedProcess(cmd, None, e.stdout or "", e.stderr or "")
    rec["seconds"] = time.perf_counter() - t0
    tv = time_v(tfile)
    rec["rss_max_kb"] = int(tv["Maximum resident set size (kbytes)"]) if "Maximum resident set size (kbytes)" in tv else None
    rec.update(contender.extra(proc, run_dir))
    if contender.single_process:
        rec["rss_sum_kb"] = rec["rss_max_kb"]
    with open(os.path.join(logs, slug + ".log"), "w") as f:
        f.write(" ".join(cmd) + "\n--- stdout\n" + (proc.stdout or "") + "--- stderr\n" + (proc.stderr or "")
                + "--- /usr/bin/time -v\n" + (open(tfile).read() if os.path.exists(tfile) else ""))
    if proc.returncode != 0:
        rec["error"] = "timeout" if proc.returncode is None else f"exit {proc.returncode}: " + (
            (proc.stderr or "").strip().splitlines() or [""])[-1][-200:]
    else:
        rec["output_bytes"], rec["files"] = tree_size(out)
        rec["error"] = verify(out, case, ref, contender.zarr_format, contender.sharded, contender.statistics)
        if rec["error"]:
            rec["error"] = "wrong output: " + rec["error"]
        elif metadata_repeats:
            rec["metadata_open"] = metadata_open(out, metadata_repeats)
    rmtree(out)
    rmtree(run_dir)
    return rec


# --- report ------------------------------------------------------------------------------
def fmt(x, spec, none="—"):
    return none if x is None else format(x, spec)


ZPMPI_MEMORY_KEYS = ("plan_buffers_mb", "memory_limit_mb", "peak_buffers_mb", "amplification")


# The floor before issue 15: netCDF-C's read (netCDF4-python) and numcodecs' encode, no write stage.
OLD_FLOOR = "floor (netCDF-C read, numcodecs)"
FLOORS = ["floor", OLD_FLOOR]


def metadata_summary(records):
    """Per mode of open_metadata.mjs, the medians over every sample of a case's runs: ms (in
    node), wall_ms (the node process), docs and arrays; or the first error."""
    errors = [m["error"] for m in records if "error" in m]
    if errors:
        return {"error": errors[0]}
    out = {}
    for mode in METADATA_MODES:
        ss = [x for m in records for x in m.get("samples", []) if x["mode"] == mode]
        if ss:
            out[mode] = {"ms": statistics.median(x["ms"] for x in ss),
                         "wall_ms": statistics.median(x["wall_s"] for x in ss) * 1e3,
                         "docs": ss[0]["docs"], "arrays": ss[0]["arrays"], "format": ss[0]["format"], "n": len(ss)}
    return out


def summarize(cases, conts, runs, floor, nbytes):
    rows = []
    by = {}
    for r in runs:
        by.setdefault((r["contender"], r["case"]), []).append(r)
    for case in cases:
        base = None
        for c in conts:
            rs = by.get((c.name, case["name"]), [])
            ok = [r for r in rs if not r.get("error")]
            row = {"contender": c.name, "case": case["name"], "runs": len(rs), "ok": len(ok)}
            if c.skip:
                row["note"] = c.skip
            elif c.unsupported(case):
                row["note"] = c.unsupported(case)
            elif not ok:
                row["note"] = "failed: " + (rs[0]["error"] if rs else "not run")
            else:
                secs = sorted(r["seconds"] for r in ok)
                med = statistics.median(secs)
                mid = min(ok, key=lambda r: abs(r["seconds"] - med))  # the run reported below
                sums = [r.get("rss_sum_kb") for r in ok if r.get("rss_sum_kb")]
                row.update(seconds=med, best=secs[0], mbps=case.get("nbytes", nbytes) / 1e6 / med,
                           rss_max_mb=max(r["rss_max_kb"] or 0 for r in ok) * 1024 / 1e6,
                           rss_sum_mb=max(sums) * 1024 / 1e6 if sums else None,
                           output_bytes=mid["output_bytes"], files=mid["files"],
                           stages=mid.get("stages"), all_seconds=secs)
                row.update({k: mid[k] for k in ZPMPI_MEMORY_KEYS if k in mid})
                if c.substitute(case):
                    row["substitute"] = c.substitute(case)
                if any("metadata_open" in r for r in ok):
                    row["metadata_open"] = metadata_summary([r.get("metadata_open", {}) for r in ok])
                if len(ok) < len(rs):
                    row["note"] = f"{len(rs) - len(ok)} of {len(rs)} runs failed: {[r['error'] for r in rs if r.get('error')][0]}"
                if c.name == "zpmpi -n 2":
                    base = med
            rows.append(row)
        fl = floor[case["name"]]
        rows.append({"contender": "floor", "case": case["name"], "seconds": fl["seconds"],
                     "mbps": fl["throughput"] / 1e6, "note": f"bound: {fl['bound']}"})
        old = fl.get("old", fl)  # results recorded before the zpmpi-stage floor have only the old one
        rows.append({"contender": OLD_FLOOR, "case": case["name"], "seconds": old["seconds"],
                     "mbps": old["throughput"] / 1e6, "note": f"bound: {old['bound']}"})
        for row in rows[-len(conts) - 2:]:
            if base and row.get("seconds"):
                row["vs_zpmpi2"] = row["seconds"] / base
    return rows


def markdown(rows, cases, conts, rates, floor, meta):
    L = []
    L.append(f"# zpmpi benchmark, size {meta['size']} ({meta['started']})\n")
    L.append(f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
             f"{meta['machine']['memory_gib']:.1f} GiB; load average at start {meta['load_start']}, "
             f"at end {meta['load_end']}. Outputs: {meta['machine']['outputs']}.  ")
    L.append(f"Data: {meta['data']}. {meta['repeats']} interleaved repeats per contender and case; "
             f"median seconds. Warm page cache (the sources are read once before, and fit in memory); "
             f"outputs are not fsynced (but by the `fsync` contender). Every run's output is checked against the source (t2m, d2m "
             f"and time values, chunks and codec) before its time counts. Total {meta['total_minutes']:.1f} min.\n")
    if meta.get("settle_seconds"):
        L.append(f"Every timed run, `cp` pass and write-probe pass starts {meta['settle_seconds']:.0f} s after an "
                 "`os.sync()`: this machine hands freed pages back to its host (free page reporting), and a "
                 "page-cache write into such pages is 2-4x slower; the wait starts runs and floor from the same state of memory.\n")
    L.append("MB/s = uncompressed t2m+d2m bytes written (for `sel` cases the selection; 1 MB = 1e6 B) / median seconds; best s = the fastest repeat. `vs -n 2` = median "
             "seconds / zpmpi -n 2's (above 1 = slower). RSS max = largest single process (for mpirun "
             "the largest rank); RSS sum = all ranks / workers + client. Output bytes and files "
             "include the metadata files.\n")
    L.append("## Throughput (MB/s; the floors in the last columns)\n")
    names = [c.name for c in conts] + FLOORS
    L.append("| case | " + " | ".join(names) + " |")
    L.append("|---" * (len(names) + 1) + "|")
    idx = {(r["contender"], r["case"]): r for r in rows}
    for case in cases:
        cells = []
        for n in names:
            r = idx[(n, case["name"])]
            cells.append(fmt(r.get("mbps"), ".0f", "unsupported" if "unsupported" in r.get("note", "")
                             else "skipped" if "skipped" in r.get("note", "") else "failed")
                         + (" †" if r.get("substitute") else ""))
        L.append(f"| {case['name']} | " + " | ".join(cells) + " |")
    notes = sorted({r["substitute"] for r in rows if r.get("substitute")})
    if notes:
        L.append("\n† " + "; ".join(notes) + ".")
    L.extend(v3_section(rows, cases, conts))
    L.extend(stats_section(rows, cases, conts))
    L.extend(metadata_section(rows, cases, conts, meta))
    L.append("\n## All results\n")
    L.append("| contender | case | median s | best s | MB/s | vs -n 2 | RSS max MB | RSS sum MB | output bytes | files | note |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        L.append(f"| {r['contender']} | {r['case']} | {fmt(r.get('seconds'), '.2f')} | {fmt(r.get('best'), '.2f')} | "
                 f"{fmt(r.get('mbps'), '.0f')} | "
                 f"{fmt(r.get('vs_zpmpi2'), '.2f')} | {fmt(r.get('rss_max_mb'), '.0f')} | {fmt(r.get('rss_sum_mb'), '.0f')} | "
                 f"{fmt(r.get('output_bytes'), ',')} | {fmt(r.get('files'), 'd')} | "
                 f"{'; '.join(x for x in (r.get('note'), r.get('substitute')) if x)} |")
    L.append("\n## Floor\n")
    L.append(f"floor MB/s = min(cp, cores / (1/read + 1/encode + 1/write)), cores = {rates['cores']}, each stage "
             f"one core running the library calls zpmpi makes (benchmarks/stage_probe.cpp): read = zpmpi's Source "
             f"reading t2m and d2m one source chunk at a time on one thread (its own decode of netCDF-4 and "
             f"kerchunk chunks); encode = zpmpi's codec on the case's output chunks (a tiled case's edge tiles "
             f"padded to the full tile, as zpmpi writes them), per byte of the source; write = creating the "
             f"case's chunk files (their encoded size; temporary file, write, rename) in the output file "
             f"system, counted in uncompressed bytes per second; cp as below.\n")
    for k, v in rates.get("read_zpmpi", {}).items():
        L.append(f"- zpmpi read, {k} source: {v / 1e6:.0f} MB/s per core")
    for k, v in rates.get("encode_zpmpi", {}).items():
        L.append(f"- zpmpi encode {k}: " + ("no encoding" if v == float("inf") else f"{v / 1e6:.0f} MB/s per core")
                 + f"; write {rates['write'][k] / 1e6:.0f} MB/s per core")
    L.append("")
    L.append(f"{OLD_FLOOR} MB/s = min(cp, cores / (1/read + 1/encode)), cores = {rates['cores']}; read = one core "
             f"reading t2m and d2m through netCDF-C (netCDF4-python, one source chunk at a time, zlib "
             f"decoding included; glibc heap kept resident, as zpmpi does); encode = one core, numcodecs, the case's output chunks; cp = `cp` of "
             f"the uncompressed source to the output file system (bytes of file per second).\n")
    L.append(f"- cp: {rates['cp'] / 1e6:.0f} MB/s")
    for src, v in rates["read"].items():
        L.append(f"- read, {src} source: {v / 1e6:.0f} MB/s per core")
    for k, v in rates["encode"].items():
        L.append(f"- encode {k}: " + ("no encoding" if v == float("inf") else f"{v / 1e6:.0f} MB/s per core"))
    if "zpmpi_startup" in rates:
        L.append("- zpmpi start-up, `mpirun -n N build/zpmpi --version` (not in the floor): "
                 + ", ".join(f"-n {n}: {v:.2f} s" for n, v in rates["zpmpi_startup"].items()))
    L.append("")
    L.append("| case | floor MB/s | floor s | bound | old floor MB/s | old bound |")
    L.append("|---|---:|---:|---|---:|---|")
    for case in cases:
        f = floor[case["name"]]
        old = f.get("old", f)
        L.append(f"| {case['name']} | {f['throughput'] / 1e6:.0f} | {f['seconds']:.2f} | {f['bound']} | "
                 f"{old['throughput'] / 1e6:.0f} | {old['bound']} |")
    L.append("\n## zpmpi stage timers (per rank, seconds, from the median run; --stats)\n")
    L.append("| contender | case | wall s | rank | read | gather | encode | write |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r["contender"].startswith("zpmpi") and r.get("stages"):
            for rank, s in enumerate(r["stages"]):
                L.append(f"| {r['contender']} | {r['case']} | {r['seconds']:.2f} | {rank} | "
                         + " | ".join(f"{x:.2f}" for x in s) + " |")
    L.extend(memory_section(rows, cases, conts))
    if meta.get("plan_benchmark"):
        L.append("\n## Planner micro-benchmark (4096 ranks x 1e6 output chunks)\n")
        L.append("| benchmark | time | CPU | iterations | counters |")
        L.append("|---|---:|---:|---:|---|")
        for b in meta["plan_benchmark"]:
            L.append(f"| {b['name']} | {b['real_time']:.3g} {b['time_unit']} | {b['cpu_time']:.3g} {b['time_unit']} | "
                     f"{b['iterations']} | {b['counters']} |")
    L.append("\n## Commands (first case of each contender; every run's command is in results.json)\n")
    L.append("```sh")
    L.extend(meta["commands"])
    L.append("```")
    return "\n".join(L) + "\n"


def v2_base(name):
    """The v2 contender a zpmpi v3 contender is compared with (its name without the v3 suffix),
    or None."""
    for suffix in sorted(V3_SUFFIX.values(), key=len, reverse=True):
        if name.startswith("zpmpi") and name.endswith(suffix):
            return name[:-len(suffix)]
    return None


def v3_section(rows, cases, conts):
    """Each zpmpi v3 contender against the same zpmpi writing v2: files, bytes, seconds, and
    its buffers against the plan (issue 27's figures)."""
    L = ["\n## Zarr v3 against v2 (zpmpi, the same ranks)\n",
         "files = regular files in the output store, metadata included; `v2 files / files` = how many "
         "times fewer files than v2; `speed vs v2` = v2's median seconds / v3's (above 1 = v3 faster); "
         "buffers / plan = the most buffers a rank held / the plan's buffers per rank; RSS max = the "
         "largest rank's peak resident set, memory_limit its bound.\n",
         "| case | contender | files | v2 files | v2 files / files | output MB | v2 output MB | s | v2 s "
         "| speed vs v2 | buffers / plan MB | RSS max MB | v2 RSS max MB | memory_limit MB |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    idx = {(r["contender"], r["case"]): r for r in rows}
    for case in cases:
        for c in conts:
            base = idx.get((v2_base(c.name), case["name"]))
            r = idx.get((c.name, case["name"]), {})
            if base is None or not r.get("seconds") or not base.get("seconds"):
                continue
            mb = lambda x: x.get("output_bytes") and x["output_bytes"] / 1e6
            L.append(f"| {case['name']} | {c.name} | {r['files']:,} | {base['files']:,} | {base['files'] / r['files']:.0f} | "
                     f"{fmt(mb(r), '.1f')} | {fmt(mb(base), '.1f')} | {r['seconds']:.2f} | {base['seconds']:.2f} | "
                     f"{base['seconds'] / r['seconds']:.2f} | {fmt(r.get('peak_buffers_mb'), '.0f')} / "
                     f"{fmt(r.get('plan_buffers_mb'), '.0f')} | {fmt(r.get('rss_max_mb'), '.0f')} | "
                     f"{fmt(base.get('rss_max_mb'), '.0f')} | {fmt(r.get('memory_limit_mb'), '.0f')} |"
                     + (" †" if r.get("substitute") else ""))
    return L if len(L) > 4 else []


def stats_section(rows, cases, conts):
    """Each zpmpi "stats" contender against the same zpmpi without statistics: what computing
    them in the same pass costs (issue 28 asks <= 5 % of the run's time)."""
    L = ["\n## Statistics cost (zpmpi, the same job with and without `\"statistics\": true`)\n",
         "s = median seconds of the whole run (start-up included); `with / without` = the ratio of "
         "the medians; cost = with / without - 1 (issue 28: <= 5 %); best = the same of the fastest "
         "repeats. The VM is noisy (up to 2x between repeats): read several cases together.\n",
         "| case | contender | s with | s without | with / without | cost | best with | best without | best cost |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    idx = {(r["contender"], r["case"]): r for r in rows}
    ratios = []
    for case in cases:
        for c in conts:
            if not c.name.startswith("zpmpi") or not c.name.endswith(STATS_SUFFIX):
                continue
            base = idx.get((c.name[:-len(STATS_SUFFIX)], case["name"]), {})
            r = idx.get((c.name, case["name"]), {})
            if not r.get("seconds") or not base.get("seconds"):
                continue
            ratio, best = r["seconds"] / base["seconds"], r["best"] / base["best"]
            ratios.append(ratio)
            L.append(f"| {case['name']} | {c.name} | {r['seconds']:.2f} | {base['seconds']:.2f} | {ratio:.3f} | "
                     f"{(ratio - 1) * 100:+.1f} % | {r['best']:.2f} | {base['best']:.2f} | {(best - 1) * 100:+.1f} % |")
    if not ratios:
        return []
    L.append(f"\nMedian over the cases: with / without {statistics.median(ratios):.3f} "
             f"({(statistics.median(ratios) - 1) * 100:+.1f} %).")
    return L


def metadata_section(rows, cases, conts, meta):
    """zarrita opening each store of the --metadata-cases (open_metadata.mjs): medians."""
    L = ["\n## Metadata open (zarrita in node)\n",
         "After each timed run of the cases below (output verified, page cache warm), "
         "`node tests/integration/zarrita/open_metadata.mjs STORE MODE` opens the store and every "
         f"array's metadata, {meta.get('metadata_repeats', '?')} times per run per mode, alternating; "
         "medians over all runs. consolidated = the root's consolidated metadata (v3: the root "
         "zarr.json; v2: .zmetadata) and every array opened through it; per array = list the root "
         "folder, then each array from its own documents (v3: zarr.json; v2: .zarray + .zattrs). "
         "docs = metadata files read; ms = in node, from the first read to the last array opened; "
         "node ms = the whole `node` process (start-up and module loading included); "
         "`vs v2` = ms / the v2 store's ms (zpmpi, the same ranks; below 1 = v3 faster).\n",
         "| case | contender | format | files | arrays | consolidated: docs | ms | node ms | vs v2 "
         "| per array: docs | ms | node ms | vs v2 |",
         "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    idx = {(r["contender"], r["case"]): r for r in rows}
    for case in cases:
        for c in conts:
            r = idx.get((c.name, case["name"]), {})
            m = r.get("metadata_open")
            if m is None:
                continue
            if "error" in m:
                L.append(f"| {case['name']} | {c.name} | zarrita failed: {m['error']} |" + " |" * 10)
                continue
            base = idx.get((v2_base(c.name), case["name"]), {}).get("metadata_open") or {}
            cells = []
            for mode in METADATA_MODES:
                x, b = m.get(mode), base.get(mode)
                cells += ["—"] * 4 if x is None else [
                    str(x["docs"]), f"{x['ms']:.1f}", f"{x['wall_ms']:.0f}", fmt(b and x["ms"] / b["ms"], ".2f")]
            first = next(iter(m.values()), {})
            L.append(f"| {case['name']} | {c.name} | {first.get('format', '—')} | {fmt(r.get('files'), ',')} | "
                     f"{first.get('arrays', '—')} | " + " | ".join(cells) + " |")
    return L if len(L) > 4 else []


def memory_section(rows, cases, conts):
    """zpmpi's peak RSS per rank against its plan's buffer estimate and memory_limit, its read
    amplification, and the RSS summed over ranks against xarray+dask with 2 threads."""
    L = ["\n## zpmpi memory and reads (median run)\n",
         "plan = the buffers the plan allows per rank (hyperslab, staging, chunk and encoded buffers "
         "of every worker); peak buffers = the most any rank held; RSS = the largest rank's peak "
         "resident set (libraries, MPI and HDF5 caches included); amplification = source bytes "
         "read / bytes the plan needs. `RSS sum / xarray` = zpmpi's RSS summed over ranks / "
         "xarray+dask 2 threads' RSS.\n",
         "| contender | case | plan MB/rank | peak buffers MB | RSS max MB | RSS / plan | memory_limit MB "
         "| amplification | RSS sum / xarray |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    idx = {(r["contender"], r["case"]): r for r in rows}
    for case in cases:
        xr = idx.get(("xarray+dask 2 threads", case["name"]), {})
        for c in conts:
            r = idx.get((c.name, case["name"]), {})
            if not c.name.startswith("zpmpi") or "plan_buffers_mb" not in r:
                continue
            sum_ratio = r["rss_sum_mb"] / xr["rss_sum_mb"] if r.get("rss_sum_mb") and xr.get("rss_sum_mb") else None
            L.append(f"| {c.name} | {case['name']} | {r['plan_buffers_mb']:.0f} | {fmt(r.get('peak_buffers_mb'), '.0f')} | "
                     f"{fmt(r.get('rss_max_mb'), '.0f')} | {fmt(r['rss_max_mb'] / r['plan_buffers_mb'] if r.get('rss_max_mb') else None, '.2f')} | "
                     f"{fmt(r.get('memory_limit_mb'), '.0f')} | {fmt(r.get('amplification'), '.2f')} | {fmt(sum_ratio, '.2f')} |")
    return L if len(L) > 4 else []


def chart_data(path, rows, cases, conts):
    names = [c.name for c in conts] + FLOORS
    idx = {(r["contender"], r["case"]): r for r in rows}
    with open(path, "w") as f:
        f.write("case\t" + "\t".join(f'"{n}"' for n in names) + "\n")
        for case in cases:
            vals = [idx[(n, case["name"])].get("mbps") for n in names]
            f.write(case["name"] + "\t" + "\t".join("-" if v is None else f"{v:.1f}" for v in vals) + "\n")


def run_plan_benchmark(binary, out_dir):
    out = os.path.join(out_dir, "plan_benchmark.json")
    subprocess.run([binary, f"--benchmark_out={out}", "--benchmark_out_format=json"], check=True,
                   stdout=subprocess.DEVNULL)
    res = []
    for b in json.load(open(out))["benchmarks"]:
        keys = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads", "iterations",
                "real_time", "cpu_time", "time_unit", "family_index", "per_family_instance_index"}
        counters = ", ".join(f"{k}={v:.4g}" for k, v in b.items() if k not in keys and isinstance(v, (int, float)))
        res.append({"name": b["name"], "real_time": b["real_time"], "cpu_time": b["cpu_time"],
                    "time_unit": b["time_unit"], "iterations": b["iterations"], "counters": counters})
    return res


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    os.makedirs(WORK, exist_ok=True)
    fs = subprocess.run(["findmnt", "-no", "SOURCE,FSTYPE,OPTIONS", "--target", WORK],
                        capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem / 2**20, "kernel": platform.release(),
            "outputs": f"{WORK} on {fs or 'unknown'}"}


def write_results(out, meta, cases, conts, rates, floor, rows, runs):
    md = markdown(rows, cases, conts, rates, floor, meta)
    open(os.path.join(out, "results.md"), "w").write(md)
    json.dump({"meta": meta, "cases": cases, "floor_rates": rates, "floor": floor, "rows": rows, "runs": runs},
              open(os.path.join(out, "results.json"), "w"), indent=1, default=str)
    chart_data(os.path.join(out, "chart.dat"), rows, cases, conts)
    return md


class Recorded(Contender):
    """A contender of an earlier run, known by its name, the notes of the cases it skipped and
    the codecs it substituted."""

    def __init__(self, name, notes, substitutes):
        self.name, self.skip, self.notes, self.substitutes = name, None, notes, substitutes

    def unsupported(self, case):
        return self.notes.get(case["name"])

    def substitute(self, case):
        return self.substitutes.get(case["name"])


def rerender(out):
    data = json.load(open(os.path.join(out, "results.json")))
    for r in data["runs"]:
        if r.get("zpmpi_stats"):  # runs recorded before --stats keep the figures they have
            r.update(zpmpi_figures(r["zpmpi_stats"]))
    names = list(dict.fromkeys(r["contender"] for r in data["rows"] if r["contender"] not in FLOORS))
    conts = [Recorded(n, {r["case"]: r["note"] for r in data["rows"] if r["contender"] == n
                          and r.get("seconds") is None and not r.get("note", "").startswith("failed")},
                      {r["case"]: r["substitute"] for r in data["rows"] if r["contender"] == n and r.get("substitute")})
             for n in names]
    # The bytes of a whole-source case, from one of its rows (sel cases carry their own;
    # a run of sel cases only has none).
    whole = {c["name"] for c in data["cases"] if "nbytes" not in c}
    timed = next((r for r in data["rows"] if r["contender"] not in FLOORS and r.get("seconds") and r["case"] in whole),
                 None)
    nbytes = timed["mbps"] * 1e6 * timed["seconds"] if timed else None
    rows = summarize(data["cases"], conts, data["runs"], data["floor"], nbytes)
    write_results(out, data["meta"], data["cases"], conts, data["floor_rates"], data["floor"], rows, data["runs"])
    log(f"rebuilt {out}/results.md from results.json and logs/")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=SIZES, default="small")
    p.add_argument("--out")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cases", default="", help="comma-separated substrings of case names to run")
    p.add_argument("--contenders", default="",
                   help="comma-separated substrings of contender names; =NAME picks that name alone")
    p.add_argument("--plan-benchmark", help="the plan_benchmark binary, run once at the end")
    p.add_argument("--metadata-cases", default="smallchunks/zlib/zstd1",
                   help="comma-separated substrings of the cases whose stores zarrita opens after each run "
                        "(the 'metadata open' table); empty: none")
    p.add_argument("--metadata-repeats", type=int, default=5, help="node runs per store and mode")
    p.add_argument("--rerender", action="store_true",
                   help="rebuild results.md/json and chart.dat in --out from its results.json and logs/, "
                        "running nothing (after a change to the report)")
    p.add_argument("--read-probe", metavar="PATH",
                   help="print the median seconds of one core reading PATH (the floor's read stage)")
    p.add_argument("--read-index", help="with --read-probe: JSON dim -> [start, stop] to read")
    a = p.parse_args()
    if a.read_probe:
        print(read_seconds(a.read_probe, a.repeats, json.loads(a.read_index) if a.read_index else None))
        return 0
    if not a.out:
        p.error("--out is required")
    if a.rerender:
        rerender(a.out)
        return 0
    t_start = time.time()
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    os.makedirs(a.out, exist_ok=True)
    logs = os.path.join(a.out, "logs")
    os.makedirs(logs, exist_ok=True)
    os.makedirs(WORK, exist_ok=True)
    load_start = " ".join(open("/proc/loadavg").read().split()[:3])

    ensure_data(a.size)
    for src in SOURCES:
        warm(source_path(a.size, src))
    ref = Reference(a.size)
    cases = [c for c in make_cases(ref.time) if not a.cases or any(s in c["name"] for s in a.cases.split(","))]
    conts = [c for c in contenders() if selected(c.name, a.contenders)]
    for c in conts:
        c.skip = c.available()
        log(f"contender {c.name}: {c.skip or 'available'}")
    no_zarrita = zarrita_missing() if a.metadata_cases and a.metadata_repeats > 0 else "not asked"
    if no_zarrita:
        log(f"metadata open: not timed ({no_zarrita})")
    metadata = lambda case: 0 if no_zarrita or not any(s in case["name"] for s in a.metadata_cases.split(",")) \
        else a.metadata_repeats
    log(f"{len(cases)} cases, {ref.nbytes / 1e6:.1f} MB of t2m+d2m per case (sel cases: their selection), "
        f"{a.repeats} repeats")

    rates, floor = measure_floor(a.size, ref, cases, a.repeats)
    runs = []
    for repeat in range(1, a.repeats + 1):
        for case in cases:
            src = source_path(a.size, case["source"])
            for c in conts:
                if c.skip or c.unsupported(case):
                    continue
                rec = run_one(c, case, src, repeat, logs, ref, metadata(case))
                runs.append(rec)
                log(f"r{repeat} {case['name']:22s} {c.name:24s} {rec['seconds']:7.2f} s "
                    f"{'ok' if not rec['error'] else rec['error']}")

    rows = summarize(cases, conts, runs, floor, ref.nbytes)
    commands = []
    for c in conts:
        first = next((r for r in runs if r["contender"] == c.name), None)
        if first:
            commands.append(f"# {c.name}, {first['case']}\n" + " ".join(
                f"'{x}'" if re.search(r"[\s{}\"$*#]", x) else x for x in first["command"]))
    meta = {"size": a.size, "started": started, "repeats": a.repeats, "machine": machine(),
            "data": f"{ref.nt} hours x {NLAT} x {NLON}, t2m and d2m float32 ({ref.nbytes / 1e6:.1f} MB); "
                    f"sources {', '.join(f'{s}: {os.path.getsize(source_path(a.size, s)) / 1e6:.1f} MB' for s in SOURCES)}",
            "load_start": load_start, "commands": commands, "settle_seconds": SETTLE_SECONDS,
            "metadata_repeats": a.metadata_repeats}
    if a.plan_benchmark:
        log("planner micro-benchmark")
        meta["plan_benchmark"] = run_plan_benchmark(a.plan_benchmark, a.out)
    meta["load_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    meta["total_minutes"] = (time.time() - t_start) / 60
    print(write_results(a.out, meta, cases, conts, rates, floor, rows, runs))
    bad = [r for r in runs if r["error"]]
    if bad:
        log(f"{len(bad)} runs failed or gave wrong output; see the notes and {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
