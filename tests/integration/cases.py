#!/usr/bin/python3
"""Integration cases: run the real zpmpi binary under mpirun and check what it leaves.

usage: cases.py CASE --zpmpi BIN --workdir DIR [--mpirun MPIRUN] [options]
CASE:
  convert             one conversion (--sample, --ranks, --compressor, --chunks, --memory-limit,
                      --variables, --zarr-format, --shards), checked by the oracle (xarray + zarr
                      against the source; for Zarr v3 oracle_v3.check_v3: zarrita, shard indexes,
                      xarray on the store transcoded to v2)
  identical           the stores of -n 1 and -n 4 are the same files with the same bytes
  oracle_selftest     the oracle passes a good store and catches each of a set of corruptions
  bad_inputs          --group config | dataset | source | store: each bad input fails with its exit
                      code and one "zpmpi: error:" line naming the cause, leaving no store
  memory_limit_too_low  the error names the need; that need, passed back, is enough
  fail_rank           ZPMPI_TEST_FAIL_RANK: every rank exits 1, message once, store removed
  renames             variables-dict rename + preprocessors rename, checked by the oracle
  cli                 --help, --version, bad flags, --store/--memory-limit/--num-jobs overrides
  stats               --stats FILE (and the job's "stats"): the JSON summary against the store it
                      describes; written on failure too, with the error and what is known
  stats_guard         --stats naming the source, the job file, a file of the store or of its copy:
                      refused in one line before anything runs; nothing changed
  plan_stop           SIGTERM / SIGINT end `zpmpi plan` of a 10^8-chunk grid within seconds
  mpi_failure         ZPMPI_TEST_MPI_FAIL makes one MPI call fail on one rank: one error line
                      naming the call and MPI's text, a non-zero exit, no hang, the old store intact
  chains | recommendations | bad_preprocessors   preprocessors against xarray's own isel/sel/roll
  text                char, string and enum variables (text sample): oracle, warnings for what is
                      skipped, and isel along the station dim against xarray
  groups              a file whose data live in a group: an error without source.group, the
                      group with it, warnings naming the groups not converted
  store_safety_*      paths (s.zarr/., ., links), fail_rank, kill, concurrent, stray_zgroup: a refused,
                      failed or killed run leaves the old store byte-identical; one writer per store
  rss_bound           each rank's peak RSS within its plan's buffers + a tiny job's RSS (memory_cases.py)
  oracle_selftest_v3 | v3_refusals   the v3 oracle catches corruptions; what v3 refuses (v3_cases.py)
  append_*            appending new time steps to a store (issue 29, append_cases.py): month by month
                      against xarray and the one-run store (v2, v3, v3 shards, kerchunk sources),
                      refusals, kills then --resume, a finished append run again
  statistics_*        normalisation statistics against numpy on xarray's reading of the store, the
                      same bits for any ranks, workers, format, resume; refusals (statistics_cases.py);
                      zpmpi statistics on existing stores (statistics_command_cases.py)
--zarr-format 3 [--shards JSON] runs convert, multifile, kerchunk_*, tiled and xform on Zarr v3
stores (skipped, exit 77, where zarrita is not installed).
Every mpirun has a timeout: a hang fails the case.
"""
import argparse
import filecmp
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netCDF4  # noqa: E402
import oracle  # noqa: E402
import oracle_v3  # noqa: E402
import processes  # noqa: E402
import samples  # noqa: E402
from multifile_cases import (case_multifile, case_multifile_mismatch, case_multifile_xarray,  # noqa: E402,F401
                             case_multifile_xarray_units)
from kerchunk_cases import *  # noqa: E402,F401,F403  (the case_kerchunk_* functions)
from s3_cases import case_s3_kerchunk, case_s3_errors, case_s3_faults  # noqa: E402,F401
from tiled_cases import case_tiled, case_tiled_guards  # noqa: E402,F401
from multinode_cases import case_multinode  # noqa: E402,F401
from plan_cases import case_plan_matches_run, case_plan_stop  # noqa: E402,F401
from install_cases import case_install  # noqa: E402,F401
from xform_cases import case_xform, case_xform_guards, case_xform_memory, case_xform_expand  # noqa: E402,F401
from progress_cases import case_progress  # noqa: E402,F401
from store_stats_cases import case_store_stats, case_stats_guard  # noqa: E402,F401
from wild_cases import case_wild_pad_values, case_wild_chars, case_wild_coordinates, case_wild_nearest  # noqa: E402,F401
from memory_cases import case_rss_bound  # noqa: E402,F401
from statistics_cases import (case_statistics_oracle, case_statistics_same, case_statistics_resume,  # noqa: E402,F401
                              case_statistics_precision, case_statistics_refusals)
from statistics_command_cases import case_statistics_command, case_statistics_command_refusals  # noqa: E402,F401
from append_cases import (case_append_oracle, case_append_v3, case_append_v3_shards,  # noqa: E402,F401
                          case_append_kerchunk, case_append_refusals, case_append_kill, case_append_idempotent,
                          case_append_statistics)
import v3_cases  # noqa: E402
from v3_cases import case_oracle_selftest_v3, case_v3_refusals  # noqa: E402,F401

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
# The test hooks only where a case sets them (a caller's environment may hold any).
for _hook in [k for k in ENV if k.startswith("ZPMPI_TEST_")]:
    del ENV[_hook]
COMPRESSORS = {"zstd": {"id": "zstd", "level": 1}, "lz4": {"id": "lz4", "acceleration": 1}, "none": None,
               "gzip": {"id": "gzip", "level": 5},
               # spelled as numcodecs' get_config, which is what the .zarray holds
               "blosc_lz4": {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0},
               "blosc_zstd_bit": {"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2, "blocksize": 0}}
EDGE_CHUNKS = {"time": 4, "latitude": 10, "longitude": 20}  # divide neither the dims nor the source chunks


class Runner:
    def __init__(self, args):
        # Absolute: some cases run zpmpi from another working directory.
        self.zpmpi, self.mpirun, self.work = os.path.abspath(args.zpmpi), args.mpirun, os.path.abspath(args.workdir)
        # Shared by all cases of the build; samples.sample() generates each once, atomically.
        self.samples = os.path.join(os.path.dirname(self.work.rstrip("/")), "samples")
        os.makedirs(self.work, exist_ok=True)

    def sample(self, kind):
        return samples.sample(kind, self.samples)

    def job(self, name, **keys):
        path = os.path.join(self.work, name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(keys.pop("_text") if "_text" in keys else json.dumps(keys, indent=1))
        return path

    def run(self, ranks, *args, env=None, timeout=120):
        return self.run_command([self.mpirun, "-n", str(ranks), "--oversubscribe", self.zpmpi, *args], env, timeout)

    def run_command(self, cmd, env=None, timeout=120):
        """`cmd` with ENV (and `env`), its output captured; a hang past `timeout` fails the test."""
        try:
            # zpmpi writes UTF-8 whatever the caller's locale: decode it as such.
            p = subprocess.run(cmd, env=dict(ENV, **(env or {})), capture_output=True, encoding="utf-8",
                               errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            sys.exit(f"FAIL: {' '.join(cmd)} did not finish in {timeout} s (a hang)\n"
                     f"stdout:\n{e.stdout}\nstderr:\n{e.stderr}")
        p.cmd = shlex.join(cmd)
        return p

    def store(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        return path


def expect_ok(p, what):
    if p.returncode != 0:
        sys.exit(f"FAIL: {what}: exit {p.returncode}\n$ {p.cmd}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    if error_lines(p):
        sys.exit(f"FAIL: {what}: exit 0 but error lines on stderr:\n{p.stderr}")


def error_lines(p):
    """Every error line any rank printed (rank 0 as "zpmpi: error:", others "zpmpi[rank r]: error:")."""
    return [line for line in (p.stderr + p.stdout).splitlines() if line.startswith("zpmpi") and "error:" in line]


def expect_error(p, what, code, message, job=None):
    """Exit `code`, exactly one error line, from rank 0, containing `message` (and the job
    file path, for errors in the job file)."""
    lines = error_lines(p)
    problems = []
    if p.returncode != code:
        problems.append(f"exit {p.returncode}, expected {code}")
    if len(lines) != 1:
        problems.append(f"expected exactly one error line, got {len(lines)}")
    elif not lines[0].startswith("zpmpi: error: "):
        problems.append(f"the error line does not start with 'zpmpi: error: ': {lines[0]!r}")
    elif message not in lines[0]:
        problems.append(f"{message!r} not in {lines[0]!r}")
    elif job is not None and job not in lines[0]:
        problems.append(f"the job file {job!r} is not named in {lines[0]!r}")
    if problems:
        sys.exit(f"FAIL {what}: " + "; ".join(problems) + f"\n$ {p.cmd}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    print(f"ok {what}: {lines[0]}")


def oracle_check(source, store, **kw):
    try:
        oracle.check(source, store, **kw)
    except oracle.Mismatch as e:
        sys.exit(f"FAIL: oracle: {store} differs from {source}:\n{e}")


# ---- Zarr v3 (issue 27): --zarr-format 3 and --shards of the cases that take them ----------

def format_keys(a):
    """The job keys of the store's format the case was given: {} for Zarr v2 (the default),
    else "zarr_format": 3 and the "shards" asked for (none: unsharded)."""
    keys = {"zarr_format": 3} if a.zarr_format == 3 else {}
    if a.shards is not None:
        keys["shards"] = json.loads(a.shards)
    return keys


def format_flags(a):
    """format_keys(a) as command-line flags (--zarr-format 3, --shards auto | DIM=SIZE,...)."""
    flags = ["--zarr-format", "3"] if a.zarr_format == 3 else []
    shards = json.loads(a.shards) if a.shards is not None else None
    if shards is not None:
        flags += ["--shards", shards if isinstance(shards, str) else ",".join(f"{d}={n}" for d, n in shards.items())]
    return flags


def skip_without_zarrita(a):
    """A v3 case cannot be checked without zarrita: skipped (exit 77) with the reason."""
    if a.zarr_format != 3:
        return
    missing = oracle_v3.zarrita_missing()
    if missing:
        print(f"SKIP: {missing}")
        sys.exit(77)


def check_store(r, a, source, store, **kw):
    """The oracle of the store's format: oracle.check, or oracle_v3.check_v3 with the
    case's shards (keywords: oracle.check's)."""
    if a.zarr_format != 3:
        return oracle_check(source, store, **kw)
    try:
        oracle_v3.check_v3(source, store, shards=format_keys(a).get("shards"), workdir=r.work, **kw)
    except oracle.Mismatch as e:
        sys.exit(f"FAIL: v3 oracle: {store} differs from {source}:\n{e}")
    print(f"ok v3 oracle: {store} equals {source} (zarrita, shard indexes, xarray on its v2 transcode)")


def readable_store(r, a, store, compressor="zstd", check_shards=True):
    """A v2 store Debian's zarr and xarray read as the store: the store itself, or a v3
    store checked (files, zarr.json, shards as the case asks unless not `check_shards`)
    and transcoded to v2 (oracle_v3.as_v2)."""
    if a.zarr_format != 3:
        return store
    try:
        return oracle_v3.as_v2(store, r.work, compressor, format_keys(a).get("shards") if check_shards else False)
    except oracle.Mismatch as e:
        sys.exit(f"FAIL: v3 store {store}:\n{e}")


def open_store(r, a, store, compressor="zstd", check_shards=True):
    """xarray's (loaded) view of the store (readable_store)."""
    import xarray as xr
    return oracle.open_zarr(readable_store(r, a, store, compressor, check_shards), consolidated=True).load()


def expected_view(a, ds):
    """An expectation as the store's format holds its attributes (v3: non-finite as strings)."""
    return oracle_v3.v3_attrs(ds) if a.zarr_format == 3 else ds


def case_convert(r, a):
    skip_without_zarrita(a)
    source = r.sample(a.sample)
    chunks = json.loads(a.chunks)
    variables = json.loads(a.variables) if a.variables else None
    store = r.store("out.zarr")
    keys = {} if a.format_flags else format_keys(a)
    job = r.job("job", source={"uri": source, "engine": "netcdf"}, chunks=chunks, store=store,
                compressor=COMPRESSORS[a.compressor], memory_limit=a.memory_limit,
                cache_label="_v1", add_attrs={"preprocessor_hash": "abc123", "n_members": 10},
                workers=a.workers, **({"variables": variables} if variables else {}), **keys)
    flags = format_flags(a) if a.format_flags else []
    p = r.run(a.ranks, "--config", job, "--log-level", "2", *flags)
    expect_ok(p, "convert")
    print(p.stdout)
    assert "done:" in p.stdout, f"no summary line in\n{p.stdout}"
    check_store(r, a, source, store, variables=variables,
                extra_attrs={"cache_label": "_v1", "preprocessor_hash": "abc123", "n_members": 10},
                chunks=chunks, compressor=COMPRESSORS[a.compressor])
    if a.compressor.startswith("blosc"):
        (v3_cases.check_blosc_typesize_v3 if a.zarr_format == 3 else check_blosc_typesize)(store)
    print(f"ok convert {a.sample} -n {a.ranks} {a.compressor} chunks {a.chunks} workers {a.workers}"
          f"{' zarr_format 3, shards ' + str(a.shards) if a.zarr_format == 3 else ''}")


def check_blosc_typesize(store):
    """Every numeric array's chunks were shuffled by its element size, as numcodecs.Blosc
    takes it from the array (byte 3 of the blosc header is the type size)."""
    checked = 0
    for name in sorted(os.listdir(store)):
        zarray = os.path.join(store, name, ".zarray")
        if not os.path.exists(zarray):
            continue
        with open(zarray, encoding="utf-8") as f:
            dtype = json.load(f)["dtype"]
        if dtype[1] not in "iuf":
            continue
        itemsize = int(dtype[2:])
        for key in sorted(os.listdir(os.path.join(store, name))):
            if key.startswith("."):
                continue
            with open(os.path.join(store, name, key), "rb") as f:
                header = f.read(16)
            if header[3] != itemsize:
                sys.exit(f"FAIL: {name}/{key}: blosc type size {header[3]}, the array's {dtype} is {itemsize}")
            checked += 1
    if checked == 0:
        sys.exit(f"FAIL: no blosc chunk checked in {store}")
    print(f"ok blosc type size = element size in {checked} chunks")


def tree(store):
    """The output files of a store (not .zpmpi/, the run's own statistics)."""
    out = {}
    for root, dirs, files in os.walk(store):
        if root == store and ".zpmpi" in dirs:
            dirs.remove(".zpmpi")
        for f in files:
            path = os.path.join(root, f)
            out[os.path.relpath(path, store)] = path
    return out


VOLATILE = ("created", "uuid")  # the provenance fields that name the run (README, "Provenance")


def same_but_run_identity(a, b):
    """Two metadata files equal once the provenance's volatile fields are set aside: the
    root .zattrs / zarr.json, or .zmetadata holding it. Raises unless exactly those differ."""
    docs = [json.load(open(p)) for p in (a, b)]
    blocks = []
    for d in docs:
        attrs = d.get("metadata", {}).get(".zattrs", d.get("attributes", d))
        block = attrs.get("zpmpi")
        assert block and all(block.get(k) for k in VOLATILE), f"no provenance with {VOLATILE} in {a}"
        blocks.append({k: block.pop(k) for k in VOLATILE})
    assert docs[0] == docs[1], f"{a} and {b} differ beyond {VOLATILE}"
    return blocks[0] != blocks[1]


def case_identical(r, a):
    """The same job with -n 1 and -n 4 (and a memory limit that splits the work in many
    batches; --workers threads per rank for -n 4): the same file names with the same bytes,
    but for the provenance's record of the run (when, which uuid)."""
    source = r.sample(a.sample)
    stores = []
    for ranks in (1, 4):
        store = r.store(f"n{ranks}.zarr")
        job = r.job(f"job{ranks}", source=source, chunks=EDGE_CHUNKS, store=store, memory_limit="200kB",
                    compressor=COMPRESSORS[a.compressor], workers=1 if ranks == 1 else a.workers)
        expect_ok(r.run(ranks, "--config", job), f"-n {ranks}")
        stores.append(tree(store))
    one, four = stores
    assert one.keys() == four.keys(), f"files differ between -n 1 and -n 4: {sorted(set(one) ^ set(four))[:10]}"
    differ = [k for k in sorted(one) if not filecmp.cmp(one[k], four[k], shallow=False)]
    assert sorted(differ) == [".zattrs", ".zmetadata"], f"{len(differ)} files differ between -n 1 and -n 4, e.g. {differ[:10]}"
    assert all(same_but_run_identity(one[k], four[k]) for k in differ), "two runs with the same uuid"
    print(f"ok: {len(one)} files identical between -n 1 and -n 4 ({a.sample}, {a.compressor})")
    oracle_check(source, os.path.join(r.work, "n4.zarr"), chunks=EDGE_CHUNKS, compressor=COMPRESSORS[a.compressor])


def case_in_flight(r, a):
    """Batches in flight: d2m (zlib + shuffle, decoded by zpmpi) in its own source chunks, so
    that a batch is one source chunk. With workers > 1 the plan keeps as many batches in
    flight, and the store is byte for byte that of one worker, and the source's values."""
    source = r.sample("nc4")
    chunks = {"time": 5, "latitude": 37, "longitude": 72}  # d2m's source chunks
    stores = {}
    for ranks, workers in ((1, 1), (1, 2), (2, 3)):
        name = f"n{ranks}w{workers}"
        store = r.store(name + ".zarr")
        job = r.job(name, source=source, variables=["d2m"], chunks=chunks, store=store, workers=workers,
                    compressor=COMPRESSORS["lz4"])
        p = r.run(1, "plan", "--config", job)
        expect_ok(p, f"plan {name}")
        line = next(ln for ln in p.stdout.splitlines() if ln.strip().startswith("d2m") and "files, batch" in ln)
        flight = f", {workers} in flight" if workers > 1 else ""
        assert line.endswith("batch [1, 1, 1]" + flight), f"{name}: {line!r}"
        # mpirun binds each of 2 ranks or fewer to one core: the workers would take turns.
        p = r.run(ranks, "--config", job, "--stats", os.path.join(r.work, name + ".stats.json"))
        expect_ok(p, name)
        warned = f"workers {workers}, but rank 0 may run on 1 CPU (its affinity)" in p.stderr
        assert warned == (workers > 1), p.stderr
        if workers > 1:
            p = r.run(ranks, "--config", job, "--overwrite", env={"OMPI_MCA_hwloc_base_binding_policy": "none"})
            expect_ok(p, name + " unbound")
            cpus = len(os.sched_getaffinity(0))  # unbound: the machine's (the test's own)
            assert ("its affinity" in p.stderr) == (workers > cpus), p.stderr
        stores[name] = tree(store)
        with open(os.path.join(r.work, name + ".stats.json")) as f:
            stats = json.load(f)
        assert stats["bytes_needed"] == stats["bytes_decoded"] >= 30 * 37 * 72 * 2, stats  # nothing decoded twice
        plan_buffers = stats["plan"]["buffers_per_rank"]
        assert 0 < stats["peak_buffer"] <= plan_buffers, (stats["peak_buffer"], plan_buffers)
    one = stores.pop("n1w1")
    for name, files in stores.items():
        assert files.keys() == one.keys(), f"{name}: files differ: {sorted(set(one) ^ set(files))[:10]}"
        differ = [k for k in sorted(one) if not filecmp.cmp(one[k], files[k], shallow=False)]
        assert differ == [".zattrs", ".zmetadata"], f"{name}: {len(differ)} files differ from one worker's, e.g. {differ[:10]}"
        assert all(same_but_run_identity(one[k], files[k]) for k in differ), f"{name}: the same uuid"
        oracle_check(source, os.path.join(r.work, name + ".zarr"), variables=["d2m"], chunks=chunks,
                     compressor=COMPRESSORS["lz4"])
    print(f"ok in flight: {len(one)} files identical with 1, 2 and 3 workers")


def _edit_json(path, change):
    with open(path) as f:
        doc = json.load(f)
    change(doc)
    with open(path, "w") as f:
        json.dump(doc, f)


def _reconsolidate(store):
    import zarr
    zarr.consolidate_metadata(store)


def _set_value(store, name, index, value):
    import zarr
    array = zarr.open_array(os.path.join(store, name), mode="r+")
    array[index] = value


def case_oracle_selftest(r, a):
    """The oracle is only worth something if it fails: it must pass zpmpi's store and catch
    each corruption below (made on a copy, metadata re-consolidated where that applies)."""
    source = r.sample("nc4")
    good = r.store("good.zarr")
    job = r.job("job", source=source, store=good, chunks=EDGE_CHUNKS, cache_label="_v1")
    expect_ok(r.run(2, "--config", job), "convert")
    extra = {"cache_label": "_v1"}
    oracle_check(source, good, chunks=EDGE_CHUNKS, extra_attrs=extra)
    corruptions = {
        "a changed value": lambda s: _set_value(s, "t2m", (29, 36, 70), 1.0),
        "a NaN turned into a number": lambda s: _set_value(s, "t2m", (3, 5, 10), 280.0),
        "a packed value off by one": lambda s: _set_value(s, "d2m", (12, 3, 4), -100),
        "a missing chunk file": lambda s: os.remove(os.path.join(s, "t2m", "7.3.3")),
        "a stray file": lambda s: open(os.path.join(s, "t2m", "0.0.0.tmp"), "w").close(),
        "no .zmetadata": lambda s: os.remove(os.path.join(s, ".zmetadata")),
        "stale .zmetadata": lambda s: _edit_json(os.path.join(s, "d2m", ".zattrs"),
                                                lambda d: d.update(units="degC")),
        "a lost scale_factor": lambda s: (_edit_json(os.path.join(s, "d2m", ".zattrs"),
                                                     lambda d: d.pop("scale_factor")), _reconsolidate(s)),
        "a float32 attr written as its shortest decimal": lambda s: (
            _edit_json(os.path.join(s, "t2m", ".zattrs"), lambda d: d.update(valid_range=[180.0, 340.0001])),
            _reconsolidate(s)),
        "a wrong fill_value": lambda s: (_edit_json(os.path.join(s, "d2m", ".zarray"),
                                                    lambda d: d.update(fill_value=-32768)), _reconsolidate(s)),
        "packed shorts unpacked to float": lambda s: _unpack_d2m(s),
        "shifted time units": lambda s: (_edit_json(os.path.join(s, "time", ".zattrs"),
                                                    lambda d: d.update(units="hours since 1900-01-02")),
                                         _reconsolidate(s)),
        "a changed global attr": lambda s: (_edit_json(os.path.join(s, ".zattrs"),
                                                       lambda d: d.update(version=4)), _reconsolidate(s)),
        "cache_label missing": lambda s: (_edit_json(os.path.join(s, ".zattrs"), lambda d: d.pop("cache_label")),
                                          _reconsolidate(s)),
        "other chunks": lambda s: _rechunk(s, "t2m", (5, 10, 20)),
        "other compressor": lambda s: _recompress(s, "u2v"),
        "a dropped variable": lambda s: (shutil.rmtree(os.path.join(s, "u8v")), _reconsolidate(s)),
    }
    expect_caught(r, good, corruptions, lambda bad: oracle.check(source, bad, chunks=EDGE_CHUNKS, extra_attrs=extra),
                  "the oracle")


def expect_caught(r, good, corruptions, check, oracle_name):
    """Each corruption (name -> function of a store path) of a copy of the store `good`
    must make `check` (a function of the copy's path) fail: an oracle's self-test."""
    for what, corrupt in corruptions.items():
        bad = r.store("bad.zarr")
        shutil.copytree(good, bad)
        corrupt(bad)
        try:
            check(bad)
        except oracle.Mismatch as e:
            print(f"ok caught {what}: {str(e).splitlines()[0][:150]}")
            continue
        except Exception as e:  # noqa: BLE001 - a crash of a reader is a catch too, but say so
            print(f"ok caught {what} (reader raised {type(e).__name__}: {str(e)[:100]})")
            continue
        sys.exit(f"FAIL: {oracle_name} accepted a store with {what}")


def _unpack_d2m(store):
    import zarr
    group = zarr.open_group(store, mode="r+")
    old = group["d2m"]
    data, attrs = old[...].astype("f4"), dict(old.attrs)
    new = group.create_dataset("d2m", data=data, chunks=old.chunks, overwrite=True, fill_value=-32767.0)
    new.attrs.update(attrs)
    zarr.consolidate_metadata(store)


def _rechunk(store, name, chunks):
    import zarr
    group = zarr.open_group(store, mode="r+")
    old = group[name]
    data, attrs = old[...], dict(old.attrs)
    new = group.create_dataset(name, data=data, chunks=chunks, overwrite=True, fill_value=old.fill_value,
                               compressor=old.compressor)
    new.attrs.update(attrs)
    zarr.consolidate_metadata(store)


def _recompress(store, name):
    import numcodecs
    import zarr
    group = zarr.open_group(store, mode="r+")
    old = group[name]
    data, attrs = old[...], dict(old.attrs)
    new = group.create_dataset(name, data=data, chunks=old.chunks, overwrite=True, fill_value=old.fill_value,
                               compressor=numcodecs.Zstd(level=3))
    new.attrs.update(attrs)
    zarr.consolidate_metadata(store)


def case_renames(r, a):
    source = r.sample("nc4")
    store = r.store("renamed.zarr")
    job = r.job("job", source=source, store=store,
                variables={"t2m": [{"type": "rename", "new_name": "temp2m"}], "d2m": [], "q": []},
                preprocessors=[{"type": "rename", "var_id": "d2m", "new_name": "dewpoint"}])
    expect_ok(r.run(2, "--config", job), "renames")
    oracle_check(source, store, variables=["t2m", "d2m", "q"], renames={"t2m": "temp2m", "d2m": "dewpoint"})
    print("ok renames (variables dict + preprocessors), others untouched")
    # A list of variables with a preprocessors rename, on netCDF-3.
    source3 = r.sample("nc3")
    store = r.store("renamed3.zarr")
    job = r.job("job3", source=source3, store=store, variables=["t2m", "mask"],
                preprocessors=[{"type": "rename", "var_id": "mask", "new_name": "land_sea"}])
    expect_ok(r.run(2, "--config", job), "renames nc3")
    oracle_check(source3, store, variables=["t2m", "mask"], renames={"mask": "land_sea"})
    print("ok renames (list + preprocessors) on netCDF-3")


def case_fail_rank(r, a):
    source = r.sample("nc4")
    for ranks, failing in ((2, 1), (4, 1), (2, 0), (4, 3)):
        store = r.store(f"fail{ranks}_{failing}.zarr")
        job = r.job(f"job{ranks}_{failing}", source=source, store=store, chunks={"time": 2})
        p = r.run(ranks, "--config", job, env={"ZPMPI_TEST_FAIL_RANK": str(failing)}, timeout=60)
        # Rank 0 speaks for itself; another rank's message is prefixed with its number.
        message = f"rank {failing}: injected failure" if failing else "error: injected failure"
        expect_error(p, f"fail rank {failing} of {ranks}", 1, message)
        assert (p.stdout + p.stderr).count("injected failure") == 1, f"message not printed once:\n{p.stderr}"
        assert not os.path.exists(store), f"incomplete store {store} left behind"
    # The hook names a rank that does not exist: a normal run.
    store = r.store("nofail.zarr")
    job = r.job("nofail", source=source, store=store)
    expect_ok(r.run(2, "--config", job, env={"ZPMPI_TEST_FAIL_RANK": "7"}), "fail rank 7 of 2")
    oracle_check(source, store)


def help_of_flag(text, flag):
    """The --help text of one flag (its wrapped lines joined)."""
    m = re.search(rf"^  (?:-\w \[ )?{re.escape(flag)}\b.*?(?=^  -|\Z)", text, re.M | re.S)
    return " ".join(m.group(0).split()) if m else ""


def case_cli(r, a):
    # Every rank parses the command line; only rank 0 prints, so with 2 ranks: once.
    p = r.run(2, "--help")
    assert p.returncode == 0 and "--memory-limit" in p.stdout and "--config" in p.stdout, p.stdout + p.stderr
    assert p.stdout.count("--memory-limit") == 1, f"--help printed more than once:\n{p.stdout}"
    p = r.run(2, "--version")
    assert p.returncode == 0 and re.match(r"zpmpi \d+\.\d+\.\d+\n", p.stdout), repr(p.stdout)
    # Issue 14: the versions of the libraries it runs with, once each.
    for lib in ("MPI", "HDF5", "netCDF-C", "zstd", "lz4"):
        found = re.findall(rf"^  {re.escape(lib)}: (\S.*)$", p.stdout, re.M)
        assert len(found) == 1 and "not loaded" not in found[0], f"{lib} version: {found}\n{p.stdout}"
    # Every flag with its default (or "required").
    usage = r.run(1, "--help").stdout
    for flag in re.findall(r"^\s+(?:-\w \[ )?(--[\w-]+)", usage, re.M):
        if flag not in ("--help", "--version"):
            line = help_of_flag(usage, flag)
            assert "default" in line or "required" in line, f"--help: {flag} has no default: {line!r}"
    print("ok --help (every flag with its default), --version with the library versions (printed once with 2 ranks)")
    expect_error(r.run(1, "--config", "x.json", "--json"), "--json without plan", 2, '--json is a flag of "zpmpi plan"')
    expect_error(r.run(1, "--config", "x.json", "--ranks", "3"), "--ranks without plan", 2, "--ranks is a flag of")
    expect_error(r.run(1, "plan", "--config", "x.json", "--ranks", "0"), "plan --ranks 0", 2, "--ranks must be")
    expect_error(r.run(1, "convert", "--config", "x.json"), "unknown command", 2, "unknown command 'convert'")
    expect_error(r.run(2, "--config", "x.json", "--frobnicate"), "unknown flag", 2, "frobnicate")
    expect_error(r.run(1), "no --config", 2, "--config FILE is required")
    expect_error(r.run(2, "--config", os.path.join(r.work, "absent.json")), "missing job file", 2, "absent.json")
    expect_error(r.run(2, "--config", "x.json", "--log-level", "5"), "bad --log-level", 2, "--log-level")
    expect_error(r.run(2, "--config", "x.json", "--num-jobs", "0"), "bad --num-jobs", 2, "--num-jobs")
    expect_error(r.run(2, "--config", "x.json", "--num-jobs", "many"), "non-integer --num-jobs", 2, "many")
    source = r.sample("nc4")
    store = r.store("cli.zarr")
    unused = os.path.join(r.work, "unused.zarr")
    job = r.job("job", source=source, store=unused, chunks={"time": 30}, memory_limit="2GB", num_jobs=1)
    expect_error(r.run(2, "--config", job, "--memory-limit", "lots"), "bad --memory-limit", 2, "'lots'")
    assert not os.path.exists(unused)
    p = r.run(2, "--config", job, "--store", store, "--memory-limit", "3MB", "--num-jobs", "5", "--log-level", "2")
    expect_ok(p, "overrides")
    assert "5 jobs" in p.stdout and "memory_limit 3MB" in p.stdout, p.stdout
    assert not os.path.exists(unused), "--store did not override the job's store"
    oracle_check(source, store, chunks={"time": 30})
    print("ok --store, --memory-limit, --num-jobs override the job")
    p = r.run(2, "--config", job, "--store", store, "--log-level", "0", "--overwrite")
    expect_ok(p, "--log-level 0 --overwrite")
    assert p.stdout == "", f"--log-level 0 printed:\n{p.stdout}"
    oracle_check(source, store, chunks={"time": 30})
    print("ok --log-level 0 is quiet, --overwrite overrides the job")


def case_memory_limit_too_low(r, a):
    """"memory_limit X is too low: one batch of array V needs Y": a user passes Y back and the
    run either succeeds or names a larger need (another array), never the same one again."""
    source = r.sample(a.sample)
    store = r.store("mem.zarr")
    job = r.job("job", source=source, store=store, chunks=EDGE_CHUNKS, memory_limit="1kB")
    p = r.run(2, "--config", job)
    expect_error(p, "memory_limit 1kB in the job", 2, "memory_limit 1kB is too low: one batch of array ")
    assert not os.path.exists(store), "store left behind"
    limit, seen = "1kB", []
    for attempt in range(10):
        p = r.run(2, "--config", job, "--memory-limit", limit)
        if p.returncode == 0:
            break
        expect_error(p, f"--memory-limit {limit}", 2, f"memory_limit {limit} is too low: one batch of array ")
        m = re.search(r"one batch of array (\S+) needs (\S+)", error_lines(p)[0])
        assert m, error_lines(p)
        if (m.group(1), m.group(2)) in seen:
            sys.exit(f"FAIL: --memory-limit {limit}, the need printed for array {m.group(1)}, is still too low:\n"
                     f"$ {p.cmd}\n{p.stderr}")
        seen.append((m.group(1), m.group(2)))
        limit = m.group(2)
        assert not os.path.exists(store), "store left behind"
    else:
        sys.exit(f"FAIL: no success after following the printed needs {seen}")
    expect_ok(p, f"--memory-limit {limit}")
    print(f"ok: followed the printed needs {seen}; the run with --memory-limit {limit} succeeded")
    oracle_check(source, store, chunks=EDGE_CHUNKS)


def _corrupt_a_zlib_chunk(source, path):
    """A copy of the nc4 sample with garbage inside one zlib-compressed d2m chunk (found as
    the zlib stream that inflates to exactly one chunk: 5 x 37 x 72 int16)."""
    import zlib
    with open(source, "rb") as f:
        data = bytearray(f.read())
    want = 5 * samples.NLAT * samples.NLON * 2
    found = [i for i in range(len(data) - 1) if data[i] == 0x78 and data[i + 1] == 0x01
             and _inflates_to(data, i, want, zlib)]
    assert found, "no zlib-compressed d2m chunk found in the nc4 sample"
    at = found[len(found) // 2]
    data[at + 10:at + 74] = b"\xff" * 64
    with open(path, "wb") as f:
        f.write(data)
    return path


def _inflates_to(data, at, size, zlib):
    try:
        return len(zlib.decompressobj().decompress(bytes(data[at:at + size + 1024]), size + 1)) == size
    except zlib.error:
        return False


def case_bad_inputs(r, a):
    source = r.sample("nc4")
    store = os.path.join(r.work, "bad.zarr")

    def bad(name, code, message, text=None, args=(), in_job=True, **keys):
        shutil.rmtree(store, ignore_errors=True)
        keys.setdefault("source", source)
        keys.setdefault("store", store)
        job = r.job(name, _text=text) if text is not None else r.job(name, **keys)
        p = r.run(2, "--config", job, *args)
        expect_error(p, name, code, message, job=job if in_job else None)
        assert not os.path.exists(store), f"{name}: store left behind"
        leftovers = [e for e in os.listdir(r.work) if e.startswith(".bad.zarr")]
        assert not leftovers, f"{name}: left {leftovers} beside the store"
        return job

    if a.group == "config":  # exit 2: the job file itself is wrong; the file and key are named
        bad("malformed_json", 2, "malformed_json.json: line 3, column 1: malformed JSON",
            text='{"source": "a.nc",\n "store": "b"\n')
        bad("not_an_object", 2, "must be a JSON object", text='["source"]')
        bad("unknown_key", 2, "unknown key 'chunk'", chunk={"time": 3})
        bad("variables_wrong_type", 2, "variables: must be a list of names or an object", variables="t2m")
        bad("chunks_zero", 2, "chunks.latitude: must be a positive integer, got 0", chunks={"latitude": 0})
        bad("chunks_negative", 2, "chunks.latitude: must be a positive integer, got -3", chunks={"latitude": -3})
        bad("chunks_fraction", 2, "chunks.time: must be a positive integer, got 2.5", chunks={"time": 2.5})
        bad("chunks_string", 2, "chunks.time: must be a positive integer, got \"4\"", chunks={"time": "4"})
        bad("chunks_wrong_word", 2, "chunks: must be \"auto\" or an object", chunks="big")
        bad("memory_limit_unparsable", 2, "memory_limit: cannot parse 'lots'", memory_limit="lots")
        bad("memory_limit_negative", 2, "memory_limit: must be a size", memory_limit=-5)
        bad("memory_limit_zero", 2, "memory_limit: cannot parse '0GB'", memory_limit="0GB")
        bad("num_jobs_zero", 2, "num_jobs: must be a positive integer, got 0", num_jobs=0)
        bad("unsupported_preprocessor", 2, "preprocessors[0].type: 'tile' is not supported",
            preprocessors=[{"type": "tile", "time": 4}])
        bad("compressor_unknown", 2, "unknown compressor 'bz2'", compressor={"id": "bz2"})
        bad("compressor_blosc_cname", 2, 'compressor: cname: must be "lz4" or "zstd", got "snappy"',
            compressor={"id": "blosc", "cname": "snappy"})
        bad("wrong_type", 2, "overwrite: must be true or false", overwrite="yes")
        bad("resume_not_bool", 2, "resume: must be true or false", resume="yes")
        bad("log_level_bad", 2, "log_level: must be 0, 1 or 2", log_level=7)
        bad("empty_source", 2, "source.uri: is required", source="")
        bad("no_source", 2, "source: is required", text=json.dumps({"store": store}))
        # Issue 10, defect 1: the check and the removal saw "plain_dir" and emptied it.
        plain = os.path.join(r.work, "plain_dir")
        os.makedirs(plain, exist_ok=True)
        with open(os.path.join(plain, "precious.txt"), "w") as f:
            f.write("keep me")
        bad("nul_in_store", 2, "store: contains a NUL byte", store=plain + "\0", overwrite=True)
        assert sorted(os.listdir(plain)) == ["precious.txt"], os.listdir(plain)
        bad("nul_in_source", 2, "source: contains a NUL byte", source=source + "\0/etc/passwd")
        bad("nul_in_source_uri", 2, "source.uri: contains a NUL byte", source={"uri": source + "\0x"})
        bad("nul_in_variable", 2, "variables[0]: contains a NUL byte", variables=["t2m\0"])
        bad("nul_in_rename", 2, "preprocessors[0].new_name: contains a NUL byte",
            preprocessors=[{"type": "rename", "var_id": "t2m", "new_name": "a\0b"}])
        bad("nul_in_chunks_dim", 2, "chunks: a key contains a NUL byte", chunks={"time\0": 2})
        bad("nul_in_add_attrs", 2, "add_attrs.a: contains a NUL byte", add_attrs={"a": "\0"})
        bad("lone_surrogate", 2, "malformed JSON",
            text=json.dumps({"source": source, "store": store})[:-1] + ', "cache_label": "\\ud800"}')
        bad("duplicate_key", 2, "store: is given twice",
            text=json.dumps({"source": source, "store": store})[:-1] + ', "store": "/elsewhere"}')
        bad("duplicate_nested_key", 2, "chunks.time: is given twice",
            text=json.dumps({"source": source, "store": store})[:-1] + ', "chunks": {"time": 2, "time": 3}}')
        bad("too_large", 2, "the job file is larger than the limit of 16 MiB",
            text=json.dumps({"source": source, "store": store}) + " " * (16 << 20))
        bad("max_chunks_zero", 2, "max_chunks: must be a positive integer, got 0", max_chunks=0)
        # Issue 10, defect 6: names that cannot be store keys are refused before anything exists.
        bad("rename_to_zgroup", 2, "variables.t2m[0].new_name: '.zgroup' cannot name a Zarr array: it is a Zarr "
            "metadata key", variables={"t2m": [{"type": "rename", "new_name": ".zgroup"}]})
        bad("rename_too_long", 2, "preprocessors[0].new_name: '" + "n" * 300 + "' cannot name a Zarr array: it is "
            "300 bytes long", preprocessors=[{"type": "rename", "var_id": "t2m", "new_name": "n" * 300}])
    elif a.group == "dataset":  # exit 2: the job does not fit the source
        bad("unknown_variable", 2, "variables: 'u10' is not a variable of", variables=["t2m", "u10"])
        bad("compound_variable", 2, "variables: 'pairs' is not a variable of", source=r.sample("text"),
            variables=["pairs"])
        bad("chunks_unknown_dim", 2, "chunks.lat: 'lat' is not a dimension of", chunks={"lat": 10})
        bad("memory_limit_too_low", 2, "memory_limit 1kB is too low: one batch of array", memory_limit="1kB",
            in_job=False)
        bad("rename_to_existing", 2, "an array is already named 'd2m'",
            preprocessors=[{"type": "rename", "var_id": "t2m", "new_name": "d2m"}])
        bad("rename_unknown", 2, "no output array is named 'u10'",
            preprocessors=[{"type": "rename", "var_id": "u10", "new_name": "wind"}])
        bad("rename_coordinate", 2, "renaming coordinate 'latitude' is not supported",
            preprocessors=[{"type": "rename", "var_id": "latitude", "new_name": "lat"}])
        # Issue 10, defect 7: a plan over max_chunks is refused at once (from the shapes).
        bad("max_chunks", 2, "chunks, more than max_chunks 100000 (array ",
            chunks={"time": 1, "latitude": 1, "longitude": 1}, in_job=False, max_chunks=100000)
        bad("max_chunks_flag", 2, "the plan has 224 chunks, more than max_chunks 100 (array", args=("--max-chunks", "100"),
            in_job=False)
        huge = os.path.join(r.work, "huge.nc")
        with netCDF4.Dataset(huge, "w") as ds:  # 2^28 x 2^28, no data written: a few kB
            ds.createDimension("y", 1 << 28)
            ds.createDimension("x", 1 << 28)
            ds.createVariable("v", "u1", ("y", "x"), chunksizes=(1024, 1024))
        job = r.job("huge", source=huge, store=store, chunks={"y": 1024, "x": 1024})
        p = r.run(2, "plan", "--config", job, timeout=60)
        expect_error(p, "huge_chunk_count", 2, "the plan has 68719476736 chunks, more than max_chunks 10000000")
        # Many small chunk files are allowed, with a warning naming array, size and count.
        job = r.job("small_chunks", source=source, store=store, chunks={"time": 1, "latitude": 1, "longitude": 1})
        p = r.run(2, "plan", "--config", job)
        expect_ok(p, "small chunks")
        warning = "array t2m: 79920 chunk files of 4 bytes each (uncompressed, chunks [1, 1, 1])"
        assert warning in p.stderr, p.stderr
        assert "array time:" not in p.stderr, p.stderr
        print("ok small chunks: " + warning)
        # Issue 10, defect 13: dates whose year overflows 64 bits were read uninitialised.
        bad("sel_year_overflow", 2, "'99999999999999999999-01-01' is not a valid date-time (year "
            "99999999999999999999 is not in 0..9999999)",
            preprocessors=[{"type": "sel", "time": ["99999999999999999999-01-01", "1900-01-02"]}])
        bad("sel_month_13", 2, "'2000-13-01' is not a valid date-time (month 13 is not in 1..12)",
            preprocessors=[{"type": "sel", "time": "2000-13-01"}])
        bad("sel_trailing_garbage", 2, "cannot read '2000-01-01x' as a date",
            preprocessors=[{"type": "sel", "time": "2000-01-01x"}])
        bad_units = os.path.join(r.work, "bad_units.nc")
        with netCDF4.Dataset(bad_units, "w") as ds:
            ds.createDimension("time", 3)
            t = ds.createVariable("time", "f8", ("time",))
            t.units = "days since 99999999999999999999-01-01"
            t[:] = [0, 1, 2]
            ds.createVariable("v", "f4", ("time",))[:] = [1, 2, 3]
        bad("units_year_overflow", 2, "'99999999999999999999-01-01' is not a valid date-time",
            source=bad_units, preprocessors=[{"type": "sel", "time": "2000-01-01"}])
    elif a.group == "source":  # exit 1: the source cannot be read
        bad("missing_source", 1, "nope.nc: no such file", source="/nonexistent/nope.nc", in_job=False)
        notnc = os.path.join(r.work, "not_netcdf.nc")
        with open(notnc, "w") as f:
            f.write("this is not a netCDF file\n" * 10)
        bad("not_netcdf", 1, "not_netcdf.nc: not a netCDF file", source=notnc, in_job=False)
        empty = os.path.join(r.work, "empty.nc")
        open(empty, "w").close()
        bad("empty_file", 1, "empty.nc", source=empty, in_job=False)
        unreadable = os.path.join(r.work, "dir.nc")
        os.makedirs(unreadable, exist_ok=True)
        bad("source_is_directory", 1, "dir.nc: is a directory", source=unreadable, in_job=False)
        # A damaged compressed chunk: the open succeeds, a read fails on some rank mid-run.
        corrupt = _corrupt_a_zlib_chunk(r.sample("nc4"), os.path.join(r.work, "corrupt.nc"))
        # zpmpi's own decoder names the chunk and its bytes; netCDF-C only says "HDF error".
        for ranks, decoder, message in ((1, "zpmpi", "corrupt.nc: d2m: chunk (3, 0, 0) ("),
                                        (4, "zpmpi", "corrupt.nc: d2m: chunk (3, 0, 0) ("),
                                        (4, "netcdf-c", "corrupt.nc: d2m: NetCDF: HDF error")):
            shutil.rmtree(store, ignore_errors=True)
            job = r.job(f"corrupt{ranks}{decoder}", source={"uri": corrupt, "decoder": decoder}, store=store,
                        chunks={"time": 5})
            p = r.run(ranks, "--config", job, timeout=60)
            expect_error(p, f"corrupt_chunk -n {ranks} {decoder}", 1, message)
            if decoder == "zpmpi":
                expect_error(p, f"corrupt_chunk -n {ranks} {decoder}", 1, "zlib: corrupt or truncated data")
            assert not os.path.exists(store), f"corrupt_chunk -n {ranks}: incomplete store left behind"
    elif a.group == "store":  # exit 1: the store cannot be written, or is not ours to replace
        parent_file = os.path.join(r.work, "a_file")
        with open(parent_file, "w") as f:
            f.write("x")
        bad("store_not_writable", 1, "cannot create store", store=os.path.join(parent_file, "out.zarr"),
            in_job=False)
        # An existing store needs overwrite; overwrite replaces only zarr stores, whole.
        os.makedirs(os.path.join(store, "old_var"))
        with open(os.path.join(store, ".zgroup"), "w") as f:
            f.write('{"zarr_format": 2}')
        with open(os.path.join(store, "old_var", "0.0"), "w") as f:
            f.write("stale chunk")
        job = r.job("exists", source=source, store=store)
        expect_error(r.run(2, "--config", job), "store_exists", 1, "exists; pass --overwrite")
        assert os.path.exists(os.path.join(store, "old_var", "0.0")), "existing store was touched"
        expect_ok(r.run(2, "--config", job, "--overwrite"), "overwrite a store")
        assert not os.path.exists(os.path.join(store, "old_var")), "overwrite kept a file of the old store"
        oracle_check(source, store)
        job = r.job("exists_overwrite_key", source=source, store=store, overwrite=True)
        expect_ok(r.run(2, "--config", job), "\"overwrite\": true replaces a store")
        oracle_check(source, store)
        print("ok an existing store is refused, then replaced whole with --overwrite / \"overwrite\": true")
        plain = os.path.join(r.work, "plain_dir")
        os.makedirs(plain, exist_ok=True)
        with open(os.path.join(plain, "precious.txt"), "w") as f:
            f.write("keep me")
        job = r.job("plain", source=source, store=plain, overwrite=True)
        expect_error(r.run(2, "--config", job), "overwrite_plain_dir", 1, "not a zarr store")
        assert open(os.path.join(plain, "precious.txt")).read() == "keep me"
        assert sorted(os.listdir(plain)) == ["precious.txt"], os.listdir(plain)
        job = r.job("file", source=source, store=parent_file, overwrite=True)
        expect_error(r.run(2, "--config", job), "overwrite_file", 1, "not a zarr store")
        assert open(parent_file).read() == "x"
        empty_dir = os.path.join(r.work, "empty_dir")
        os.makedirs(empty_dir, exist_ok=True)
        job = r.job("empty_dir", source=source, store=empty_dir, overwrite=True)
        p = r.run(2, "--config", job)
        if p.returncode == 0:
            oracle_check(source, empty_dir)
            print("ok an empty directory is used as the store")
        else:
            expect_error(p, "overwrite_empty_dir", 1, "not a zarr store")
            assert os.path.isdir(empty_dir) and not os.listdir(empty_dir)
        # A --store path that is not UTF-8 (legal on POSIX) is taken byte for byte; it used to
        # break the job message every rank decodes ("internal: malformed job message").
        latin1 = os.path.join(r.work, "caf\udce9.zarr")  # b"caf\xe9.zarr" on disk
        shutil.rmtree(latin1, ignore_errors=True)
        job = r.job("latin1", source=source)
        expect_ok(r.run(2, "--config", job, "--store", latin1), "non-UTF-8 --store")
        assert b"caf\xe9.zarr" in os.listdir(os.fsencode(r.work)), os.listdir(os.fsencode(r.work))
        oracle_check(source, latin1)
        print("ok a non-UTF-8 --store path is written byte for byte")
    else:
        sys.exit(f"unknown --group {a.group!r} (config, dataset, source, store)")


CHAINS = [
    [{"type": "reverse_axis", "dim": "latitude"}],
    [{"type": "sel", "latitude": [60, -30], "longitude": [40, 100]}],
    [{"type": "reverse_axis", "dim": "latitude"}, {"type": "sel", "latitude": [-30, 60]}],
    [{"type": "sel", "time": ["2000-01-02", "2000-01-05 12:00"]}],
    [{"type": "isel", "time": [2, 20, 3]}],
    [{"type": "isel", "latitude": [None, None, -1]}, {"type": "isel", "longitude": [-10, None]}],
    [{"type": "roll", "dim": "longitude", "shifts": 36}],
    [{"type": "sel", "longitude": [100, 200]}, {"type": "roll", "dim": "longitude", "shifts": 7}],
    [{"type": "roll", "dim": "longitude", "shifts": 20}, {"type": "isel", "longitude": [10, 40]}],
    [{"type": "isel", "time": 3}],
    [{"type": "sel", "latitude": 45.2}],
    [{"type": "subset", "time": ["2000-01-03", "2000-01-04"]}, {"type": "reverse_axis", "dim": "longitude"}],
    [{"type": "isel", "time": [-5, None]}, {"type": "sel", "latitude": [20, -20]},
     {"type": "roll", "dim": "longitude", "shifts": -1}],
    [{"type": "isel", "latitude": [30, 3, -4], "longitude": [1, 70, 5]}, {"type": "reverse_axis", "dim": "time"}],
]


def xarray_chain(ds, chain):
    """The same preprocessors applied by xarray: what the store must equal."""
    for p in chain:
        args = {k: v for k, v in p.items() if k != "type"}
        kind = p["type"]
        if kind == "isel":
            ds = ds.isel({d: v if isinstance(v, int) else slice(*v) for d, v in args.items()})
        elif kind in ("sel", "subset") and "method" in args:
            # xarray's own call: lists are lists of labels, the edge outside the coordinate.
            options = {k: args.pop(k) for k in ("method", "tolerance") if k in args}
            ds = ds.sel(args, **options)
        elif kind in ("sel", "subset"):
            for d, v in args.items():
                ds = ds.sel({d: slice(*v)}) if isinstance(v, list) else ds.sel({d: v}, method="nearest")
        elif kind == "reverse_axis":
            ds = ds.isel({args["dim"]: slice(None, None, -1)})
        elif kind == "roll":
            ds = ds.roll({args["dim"]: args["shifts"]}, roll_coords=True)
    return ds


def case_chains(r, a):
    import xarray as xr
    source = r.sample(a.sample)
    variables = ["t2m", "d2m"]
    for i, chain in enumerate(CHAINS):
        store = r.store(f"chain{i}.zarr")
        job = r.job(f"chain{i}", source=source, variables=variables, store=store, preprocessors=chain,
                    chunks={"time": 4, "latitude": 8}, recommendations="warn", memory_limit="400kB")
        expect_ok(r.run(a.ranks, "--config", job), f"chain {i}: {json.dumps(chain)}")
        # Loaded first: Debian's xarray 2023.01 reads negative-step slices of a lazily opened
        # netCDF-4 variable wrongly (ds.isel(latitude=slice(30, 3, -4)) returns other rows),
        # while the same isel on loaded data agrees with numpy and with zpmpi.
        expected = xarray_chain(xr.open_dataset(source)[variables].load(), chain)
        got = oracle.open_zarr(store, consolidated=True)
        try:
            xr.testing.assert_identical(got.load(), expected.load())
        except AssertionError as e:
            sys.exit(f"FAIL chain {i} {json.dumps(chain)}:\n{e}")
        # Dims not named in chunks keep the source chunk, also when a step maps them
        # (isel longitude [1, 70, 5] once gave chunks of 1 along longitude).
        for name in variables:
            with open(os.path.join(store, name, ".zarray")) as f:
                chunks = tuple(json.load(f)["chunks"])
            want = oracle.expected_chunks(source, name, name, got[name].dims, got[name].shape,
                                          {"time": 4, "latitude": 8})
            if chunks != want:
                sys.exit(f"FAIL chain {i} {json.dumps(chain)}: {name} chunks {chunks}, expected {want}")
        print(f"ok chain {i}: {dict(got.sizes)} {json.dumps(chain)}")


def case_recommendations(r, a):
    source = r.sample("nc4")  # t2m chunks (7, 10, 16)
    store = r.store("rec.zarr")
    misaligned = [{"type": "isel", "time": [3, 17], "latitude": [10, 30]}]
    job = r.job("halt", source=source, variables=["t2m"], store=store, preprocessors=misaligned)
    p = r.run(2, "--config", job)
    expect_error(p, "misaligned selection halts", 3, "not aligned to the source chunks")
    assert "recommendation: time: the selection [3, 17) starts or ends inside a source chunk of 7" in p.stderr, p.stderr
    assert "nearest aligned: [0, 14)" in p.stderr, p.stderr
    assert "latitude" not in p.stderr.split("recommendation")[-1] or "latitude: the selection" not in p.stderr, p.stderr
    assert not os.path.exists(store), "a halted run wrote a store"
    p = r.run(1, "plan", "--config", job)
    assert p.returncode == 0 and "plan:" in p.stdout and "recommendation: time" in p.stderr, p.stdout + p.stderr
    assert not os.path.exists(store), "zpmpi plan wrote a store"
    aligned = [{"type": "isel", "time": [7, 21], "latitude": [10, 30]}]
    job = r.job("aligned", source=source, variables=["t2m"], store=store, preprocessors=aligned)
    p = r.run(2, "--config", job)
    expect_ok(p, "aligned selection")
    assert "recommendation" not in p.stderr, p.stderr
    job = r.job("warn", source=source, variables=["t2m"], store=store, preprocessors=misaligned,
                recommendations="warn", overwrite=True)
    p = r.run(2, "--config", job)
    expect_ok(p, "warn")
    assert "recommendation: time" in p.stderr
    job = r.job("ignore", source=source, variables=["t2m"], store=store, preprocessors=misaligned,
                recommendations="ignore", overwrite=True)
    p = r.run(2, "--config", job)
    expect_ok(p, "ignore")
    assert "recommendation" not in p.stderr, p.stderr
    print("ok recommendations")


def case_bad_preprocessors(r, a):
    source = r.sample("nc4")
    store = os.path.join(r.work, "badp.zarr")
    cases = [
        ("unknown_dim", [{"type": "isel", "height": 0}], "preprocessors[0]: no dimension 'height'"),
        ("unknown_type", [{"type": "tile", "time": 4}], "preprocessors[0].type: 'tile' is not supported"),
        ("index_out_of_range", [{"type": "isel", "time": 30}],
         "preprocessors[0].time: index 30 is out of range for length 30"),
        ("slice_out_of_range", [{"type": "isel", "latitude": [0, 99]}],
         "preprocessors[0].latitude: index 99 is out of range for length 37"),
        ("label_outside", [{"type": "sel", "longitude": [40, 400]}],
         "preprocessors[0].longitude: 400 is outside longitude (0 .. 355)"),
        ("wrong_order", [{"type": "sel", "latitude": [-30, 60]}],
         "preprocessors[0].latitude: [-30, 60] selects nothing from latitude (90 .. -90)"),
        ("date_outside", [{"type": "sel", "time": ["1999-01-01", "2000-01-02"]}],
         "preprocessors[0].time: \"1999-01-01\" is outside time"),
        ("bad_date", [{"type": "sel", "time": ["2000-02-30", "2000-03-01"]}],
         "preprocessors[0].time: 2000-2-30 does not exist in this calendar"),
        ("dropped_twice", [{"type": "isel", "time": 0}, {"type": "reverse_axis", "dim": "time"}],
         "preprocessors[1].time: the dim was dropped by an earlier selection"),
        ("zero_step", [{"type": "isel", "time": [0, 10, 0]}], "preprocessors[0].time: slice step must not be 0"),
        ("roll_needs_shifts", [{"type": "roll", "dim": "longitude"}], "preprocessors[0]: roll needs \"shifts\""),
        ("second_position", [{"type": "reverse_axis", "dim": "latitude"}, {"type": "isel", "lat": 1}],
         "preprocessors[1]: no dimension 'lat'"),
    ]
    for name, chain, message in cases:
        job = r.job(name, source=source, store=store, preprocessors=chain)
        expect_error(r.run(2, "--config", job), name, 2, message)
        assert not os.path.exists(store), f"{name}: store left behind"


TEXT_CHAINS = [
    [{"type": "isel", "station": [4, 0, -2]}],
    [{"type": "isel", "station": 2}],
    [{"type": "reverse_axis", "dim": "station"}, {"type": "isel", "time": [1, 3]}],
    [{"type": "roll", "dim": "station", "shifts": 2}],
]
TEXT_SKIPPED = ["skipping variable pairs (compound)", "skipping variable ragged (vlen)",
                "skipping attribute obs:calibration (compound)"]


def case_coordinates(r, a):
    """Issue 10, defect 12: a "coordinates" attribute names only arrays that are written, else
    xarray turns none of them into coordinates. ds[["packed"]] drops zone (dim y), which
    packed's attribute names beside lat_x."""
    convert_choices(r, a, r.sample("fillnan"), (None, ["packed"], ["counts"]))


def convert_choices(r, a, source, choices):
    """One run per list of variables (None: all), each store checked by the oracle."""
    for variables in choices:
        store = r.store("coords.zarr")
        keys = {"variables": variables} if variables else {}
        job = r.job("coords", source=source, store=store, chunks={}, **keys)
        expect_ok(r.run(a.ranks, "--config", job), f"variables {variables}")
        oracle_check(source, store, variables=variables, chunks={})
        print(f"ok coordinates of {os.path.basename(source)} with variables {variables}")


def case_text(r, a):
    import xarray as xr
    source = r.sample("text")
    store = r.store("text.zarr")
    job = r.job("job", source=source, store=store, chunks={"time": 3})
    p = r.run(a.ranks, "--config", job)
    expect_ok(p, "text")
    for warning in TEXT_SKIPPED:
        assert f"zpmpi: warning: {warning}" in p.stderr, f"no warning {warning!r} in:\n{p.stderr}"
    oracle_check(source, store, chunks={"time": 3})
    print(f"ok text sample -n {a.ranks}: char, string and enum variables; warned: {TEXT_SKIPPED}")
    for i, chain in enumerate(TEXT_CHAINS):
        store = r.store(f"chain{i}.zarr")
        job = r.job(f"chain{i}", source=source, store=store, preprocessors=chain)
        expect_ok(r.run(a.ranks, "--config", job), f"text chain {i}: {json.dumps(chain)}")
        expected = xarray_chain(oracle.xarray_view(source).load(), chain)
        got = oracle.open_zarr(store, consolidated=True)
        try:
            xr.testing.assert_identical(got.load(), expected.load())
        except AssertionError as e:
            sys.exit(f"FAIL text chain {i} {json.dumps(chain)}:\n{e}")
        print(f"ok text chain {i}: {dict(got.sizes)} station_name {got['station_name'].values} {json.dumps(chain)}")
    # ds[["obs"]]: the station_name coordinate comes along, crs (a data variable) does not.
    store = r.store("obs.zarr")
    job = r.job("obs", source=source, store=store, variables=["obs", "label"])
    expect_ok(r.run(a.ranks, "--config", job), "variables obs, label")
    oracle_check(source, store, variables=["obs", "label"])
    print("ok variables [obs, label] keep the station_name coordinate")


def case_groups(r, a):
    source = r.sample("groups")
    store = r.store("groups.zarr")
    job = r.job("root", source=source, store=store)
    p = r.run(a.ranks, "--config", job)
    expect_error(p, "data only in groups", 2, "no data variable to convert in group / (other groups: /g1, /g1/g2, /other)")
    for g in ("/g1/g2", "/other"):
        assert f"zpmpi: warning: skipping group {g} (" in p.stderr, f"group {g} not named:\n{p.stderr}"
    assert not os.path.exists(store), "a store was left by a job with no data variable"
    for spelling in ("g1/g2", "/g1/g2/"):
        store = r.store("groups.zarr")
        job = r.job("g2", source={"uri": source, "engine": "netcdf", "group": spelling}, store=store)
        p = r.run(a.ranks, "--config", job)
        expect_ok(p, f"group {spelling}")
        for g in ("/", "/other"):
            assert f"zpmpi: warning: skipping group {g} (" in p.stderr, f"group {g} not named:\n{p.stderr}"
        assert "skipping group /g1 (" not in p.stderr, f"the way to the group is named:\n{p.stderr}"
        oracle_check(source, store, group="g1/g2")
        print(f"ok group {spelling!r}: warned about / and /other")
    job = r.job("nogroup", source={"uri": source, "group": "g9"}, store=store, overwrite=True)
    expect_error(r.run(a.ranks, "--config", job), "unknown group", 2,
                 "source.group: " + source + " has no group '/g9' (groups: /, /g1, /g1/g2, /other)")


# --- Store safety (issue 10): a run that is refused, fails or is killed leaves the old
# store as it was; one writer per store; only Zarr stores are ever deleted.

def _snapshot(path):
    """Every entry below `path` (relative path -> kind and bytes): a tree compared before and
    after must be the same files with the same bytes."""
    out = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path)
            if os.path.islink(full):
                out[rel] = ("link", os.readlink(full))
            elif os.path.isdir(full):
                out[rel] = ("dir",)
            else:
                with open(full, "rb") as f:
                    out[rel] = ("file", f.read())
    return out


def without_run_identity(data):
    """A root metadata document's bytes with the provenance's volatile fields (VOLATILE)
    taken out: what two runs of one job must write alike."""
    doc = json.loads(data)
    attrs = doc.get("metadata", {}).get(".zattrs", doc.get("attributes", doc))
    for k in VOLATILE:
        attrs.get("zpmpi", {}).pop(k, None)
    return json.dumps(doc, sort_keys=True).encode()


def _output_snapshot(store):
    """_snapshot of a store's output: without .zpmpi/, the statistics of the run that wrote it
    (its seconds and ranks differ from run to run), and without the provenance's record of
    the run in the root documents."""
    out = {k: v for k, v in _snapshot(store).items() if k.split(os.sep)[0] != ".zpmpi"}
    for k in (".zattrs", ".zmetadata", "zarr.json"):
        if k in out and out[k][0] == "file":
            out[k] = ("file", without_run_identity(out[k][1]))
    return out


def _expect_unchanged(before, path, what):
    after = _snapshot(path)
    if after != before:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        sys.exit(f"FAIL {what}: {path} changed: {len(changed)} entries differ, e.g. {changed[:8]}")
    print(f"ok {what}: {path} unchanged ({len(before)} entries, same bytes)")


def _zpmpi_entries(parent, name):
    """The copies and the lock zpmpi keeps beside store `name`."""
    return sorted(e for e in os.listdir(parent) if e.startswith(f".{name}.zpmpi"))


def _run_in(r, cwd, ranks, *args, env=None, timeout=120):
    """Runner.run with another working directory."""
    cmd = [r.mpirun, "-n", str(ranks), "--oversubscribe", r.zpmpi, *args]
    try:
        p = subprocess.run(cmd, env=dict(ENV, **(env or {})), capture_output=True, encoding="utf-8",
                           errors="replace", timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        sys.exit(f"FAIL: {' '.join(cmd)} (in {cwd}) did not finish in {timeout} s\nstderr:\n{e.stderr}")
    p.cmd = f"(cd {shlex.quote(cwd)} && {shlex.join(cmd)})"
    return p


def _old_store(store):
    """A small finished store written by hand (an int32 array "old" of 4 values, no
    compressor), to be replaced or kept: quicker than a run, and readable by zarr."""
    shutil.rmtree(store, ignore_errors=True)
    zarray = {"zarr_format": 2, "shape": [4], "chunks": [4], "dtype": "<i4", "compressor": None, "fill_value": 0,
              "order": "C", "filters": None}
    docs = {".zgroup": {"zarr_format": 2}, ".zattrs": {"title": "old"}, "old/.zarray": zarray,
            "old/.zattrs": {"_ARRAY_DIMENSIONS": ["x"]}}
    docs[".zmetadata"] = {"zarr_consolidated_format": 1, "metadata": dict(docs)}
    os.makedirs(os.path.join(store, "old"))
    for name, doc in docs.items():
        with open(os.path.join(store, name), "w") as f:
            json.dump(doc, f)
    with open(os.path.join(store, "old", "0"), "wb") as f:
        f.write(bytes(range(16)))
    return _snapshot(store)


def _start(r, ranks, job, env=None, name="bg"):
    """A run in the background, in a session of its own (mpirun and its ranks)."""
    err = open(os.path.join(r.work, name + ".stderr"), "w")
    return subprocess.Popen([r.mpirun, "-n", str(ranks), "--oversubscribe", r.zpmpi, "--config", job],
                            env=dict(ENV, **(env or {})), stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                            start_new_session=True)


_session_members = processes.session_members


def _kill_session(p):
    """SIGKILL to mpirun and every rank (the way a scheduler ends a job: a killed mpirun
    alone leaves its ranks running), then wait until none is left."""
    import signal
    import time
    for _ in range(500):
        members = _session_members(p.pid)
        if not members:
            break
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    else:
        sys.exit(f"FAIL: processes of the killed run are still alive: {_session_members(p.pid)}")
    p.wait()


def _wait_for(what, condition, p, timeout=60):
    """Polls `condition` until it holds; fails if the background run `p` ends first."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if p.poll() is not None:
            sys.exit(f"FAIL: the background run ended (exit {p.returncode}) before {what}")
        time.sleep(0.005)
    sys.exit(f"FAIL: no {what} after {timeout} s")


def case_store_safety_paths(r, a):
    """Issue 10.2: "s.zarr/." is the store s.zarr (replaced correctly); "." from inside the
    store and a link to a store ("l.zarr/") are refused, the store left as it was."""
    source = r.sample("nc4")
    store = r.store("s.zarr")
    _old_store(store)
    job = r.job("dot", source=source, store="s.zarr/.", overwrite=True)
    expect_ok(_run_in(r, r.work, 2, "--config", job), '"store": "s.zarr/."')
    oracle_check(source, store)
    assert _zpmpi_entries(r.work, "s.zarr") == [], _zpmpi_entries(r.work, "s.zarr")
    print('ok "s.zarr/." replaced s.zarr')
    link = os.path.join(r.work, "l.zarr")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(store, link)
    inside = r.job("inside", source=source, store=".", overwrite=True)
    links = {spec: r.job(f"link{i}", source=source, store=spec, overwrite=True)
             for i, spec in enumerate(("l.zarr/", "l.zarr"))}
    before = _snapshot(r.work)
    expect_error(_run_in(r, store, 1, "--config", inside), '"store": "." inside the store', 1,
                 f"refusing to write store {store}: it is the working directory")
    for spec, job in links.items():
        expect_error(_run_in(r, r.work, 1, "--config", job), f'"store": "{spec}" (a link)', 1,
                     f"refusing to write store {link} through a symbolic link (to {store})")
    _expect_unchanged(before, r.work, "refused runs")


def case_store_safety_fail_rank(r, a):
    """Issue 10.3: a run that fails on a rank leaves the old store byte-identical and removes
    only its own copy; a failed new store leaves nothing."""
    source = r.sample("nc4")
    store = r.store("old.zarr")
    before = _old_store(store)
    job = r.job("fail", source=source, store=store, overwrite=True, chunks={"time": 2})
    p = r.run(2, "--config", job, env={"ZPMPI_TEST_FAIL_RANK": "1"}, timeout=60)
    expect_error(p, "fail rank 1 of 2 with overwrite", 1, "rank 1: injected failure")
    assert "removed the incomplete copy" in p.stderr and f"{store} is unchanged" in p.stderr, p.stderr
    _expect_unchanged(before, store, "failed overwrite")
    assert _zpmpi_entries(r.work, "old.zarr") == [], _zpmpi_entries(r.work, "old.zarr")
    new = r.store("new.zarr")
    job = r.job("fail_new", source=source, store=new, chunks={"time": 2})
    expect_error(r.run(2, "--config", job, env={"ZPMPI_TEST_FAIL_RANK": "0"}, timeout=60), "fail rank 0, new store",
                 1, "error: injected failure")
    assert not os.path.lexists(new) and _zpmpi_entries(r.work, "new.zarr") == [], os.listdir(r.work)
    print("ok a failed run left no copy, no lock, and no store where there was none")


def case_store_safety_kill(r, a):
    """Issue 10.3/10.5: kill -9 of a run mid-write leaves the old store byte-identical; the
    next run is refused by the stale lock (naming the rm command), and after that rm it
    succeeds and removes the killed run's copy."""
    source = r.sample("nc4")
    store = r.store("kill.zarr")
    before = _old_store(store)
    lock = os.path.join(r.work, ".kill.zarr.zpmpi-lock")
    # Tiny chunks: tens of thousands of files, so the kill lands while chunks are written.
    slow = r.job("slow", source=source, store=store, overwrite=True, chunks={"time": 1, "latitude": 1, "longitude": 2})
    p = _start(r, 2, slow, name="killed")

    def copy_with_chunks():
        # ".kill.zarr.zpmpi-new-HOST-PID": matched from the start, as a host name may hold
        # "-new-" itself; the copy's t2m/ may not be there yet.
        for e in _zpmpi_entries(r.work, "kill.zarr"):
            copy = os.path.join(r.work, e)
            if e.startswith(".kill.zarr.zpmpi-new-") and os.path.isdir(os.path.join(copy, "t2m")):
                try:
                    if any(f[0].isdigit() for f in os.listdir(os.path.join(copy, "t2m"))):
                        return copy
                except FileNotFoundError:
                    pass
        return None

    copy = _wait_for("chunk files in the run's copy", copy_with_chunks, p)
    _kill_session(p)
    print(f"killed the run while it wrote {copy}")
    _expect_unchanged(before, store, "kill -9 mid-write")
    assert os.path.isdir(copy) and os.path.exists(lock), _zpmpi_entries(r.work, "kill.zarr")
    fast = r.job("fast", source=source, store=store, overwrite=True)
    p = r.run(2, "--config", fast)
    expect_error(p, "the next run meets the stale lock", 1, f"has a stale lock {lock} of a zpmpi run that is gone")
    m = re.search(r"remove it: (rm .+)$", error_lines(p)[0])
    # A command to paste into a shell: the lock's path, quoted where it needs it (spaces).
    assert m and shlex.split(m.group(1)) == ["rm", lock], error_lines(p)[0]
    _expect_unchanged(before, store, "refused by the stale lock")
    subprocess.run(m.group(1), shell=True, check=True)
    p = r.run(2, "--config", fast)
    expect_ok(p, "the run after rm")
    assert f"removed {copy}, the unfinished copy of a zpmpi run that did not end" in p.stderr, p.stderr
    assert _zpmpi_entries(r.work, "kill.zarr") == [], _zpmpi_entries(r.work, "kill.zarr")
    oracle_check(source, store)
    print("ok the next run removed the killed run's copy and replaced the store")


def case_store_safety_concurrent(r, a):
    """Issue 10.5: two runs on one store (overwrite, different sources): the second is refused
    naming the first's host and pid, the first succeeds, the store is the first's source."""
    source, other = r.sample("nc4"), r.sample("nc3")
    store = r.store("both.zarr")
    _old_store(store)
    lock = os.path.join(r.work, ".both.zarr.zpmpi-lock")
    release = os.path.join(r.work, "release")
    if os.path.exists(release):
        os.remove(release)
    first = r.job("first", source=source, store=store, overwrite=True)
    # The test hook holds the first run just after it took the lock, until `release` exists.
    p = _start(r, 2, first, env={"ZPMPI_TEST_HOLD_STORE_LOCK": release}, name="first")
    try:
        text = _wait_for("the first run's lock", lambda: os.path.exists(lock) and open(lock).read(), p)
        holder = dict(line.split("=", 1) for line in text.splitlines()[1:])
        second = r.job("second", source=other, store=store, overwrite=True)
        expect_error(r.run(2, "--config", second), "the second run", 1,
                     f"is being written by another zpmpi run (host {holder['host']}, pid {holder['pid']}")
    finally:
        open(release, "w").close()
    p.wait(timeout=120)
    with open(os.path.join(r.work, "first.stderr")) as f:
        log = f.read()
    assert p.returncode == 0 and "error:" not in log, f"the first run failed (exit {p.returncode}):\n{log}"
    oracle_check(source, store)
    assert _zpmpi_entries(r.work, "both.zarr") == [], _zpmpi_entries(r.work, "both.zarr")
    print("ok one run wrote the store, the other was refused naming it")


def case_store_safety_stray_zgroup(r, a):
    """Issue 10.4: a directory holding the source and a stray .zgroup is not a store to delete."""
    work = r.store("project")
    os.makedirs(work)
    source = os.path.join(work, "era5.nc")
    shutil.copyfile(r.sample("nc4"), source)
    with open(os.path.join(work, ".zgroup"), "w") as f:
        f.write('{"zarr_format": 2}')
    before = _snapshot(work)
    job = r.job("stray", source=source, store=work, overwrite=True)
    expect_error(r.run(1, "--config", job), "store holding the source", 1,
                 f"refusing to overwrite {work}: it holds the source {source}")
    _expect_unchanged(before, work, "the directory with the source")
    with open(os.path.join(work, "notes.txt"), "w") as f:
        f.write("mine")
    before = _snapshot(work)
    job = r.job("stray_other", source=r.sample("nc4"), store=work, overwrite=True)
    expect_error(r.run(1, "--config", job), "store holding other files", 1, f"refusing to overwrite {work}: it holds ")
    _expect_unchanged(before, work, "the directory with other files")


def _chunk_files(store):
    """{array: [chunk file sizes]} of a store (files not starting with "." in array dirs)."""
    out = {}
    for name in sorted(os.listdir(store)):
        d = os.path.join(store, name)
        if os.path.isfile(os.path.join(d, ".zarray")):
            out[name] = [os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if not f.startswith(".")]
    return out


def _load_stats(path):
    leftovers = [f for f in os.listdir(os.path.dirname(path)) if f.startswith(os.path.basename(path) + ".tmp")]
    assert not leftovers, f"temporary stats files left behind: {leftovers}"
    with open(path) as f:
        return json.load(f)


def case_stats(r, a):
    source = r.sample(a.sample)
    store = r.store("stats.zarr")
    path = os.path.join(r.work, "stats.json")
    for stale in (path,):
        if os.path.exists(stale):
            os.remove(stale)
    job = r.job("job", source=source, store=store, chunks=EDGE_CHUNKS, memory_limit="300kB", workers=2)
    p = r.run(a.ranks, "--config", job, "--stats", path)
    expect_ok(p, "--stats")
    s = _load_stats(path)
    chunks = _chunk_files(store)
    problems = []

    def same(what, got, want):
        if got != want:
            problems.append(f"{what}: {got!r} in the stats, {want!r} in the store/run")

    same("ok", s["ok"], True)
    same("exit_code", s["exit_code"], 0)
    same("error", s["error"], None)
    same("store", s["store"], store)
    same("source", s["source"], source)
    same("ranks", s["ranks"], a.ranks)
    same("workers", s["workers"], 2)
    same("arrays", s["arrays"], len(chunks))
    same("chunks", s["chunks"], sum(len(v) for v in chunks.values()))
    same("bytes_written", s["bytes_written"], sum(sum(v) for v in chunks.values()))
    same("plan.memory_limit", s["plan"]["memory_limit"], 300000)
    same("len(per_rank)", len(s["per_rank"]), a.ranks)
    for key, how in s["combine"].items():
        per = [x[key] for x in s["per_rank"]]
        same(f"{key} ({how} over ranks)", s[key], sum(per) if how == "sum" else max(per))
    same("combine of seconds_read", s["combine"]["seconds_read"], "max")
    same("combine of chunks", s["combine"]["chunks"], "sum")
    if not (s["bytes_raw"] >= s["bytes_needed"] > 0 and s["peak_buffer"] > 0 and s["seconds"] > 0):
        problems.append(f"implausible figures: {s}")
    if abs(s["mb_per_s"] - s["bytes_needed"] / 1e6 / s["seconds"]) > 1e-6 * s["mb_per_s"]:
        problems.append(f"mb_per_s {s['mb_per_s']} is not bytes_needed / 1e6 / seconds")
    # Issue 14: each rank's peak resident memory, above its buffers (libraries, code).
    for i, x in enumerate(s["per_rank"]):
        if not x["peak_rss"] > max(x["peak_buffer"], 1 << 20):
            problems.append(f"rank {i}: peak_rss {x['peak_rss']} not above its buffers {x['peak_buffer']} and 1 MiB")
    if not s["plan"]["buffers_per_rank"] >= s["peak_buffer"]:
        problems.append(f"peak buffers {s['peak_buffer']} above the plan's {s['plan']['buffers_per_rank']}")
    if f"done: {len(chunks)} arrays, {s['chunks']} chunks" not in p.stdout:
        problems.append(f"the summary line disagrees with the stats:\n{p.stdout}")
    if problems:
        sys.exit("FAIL: --stats:\n  " + "\n  ".join(problems) + f"\n{json.dumps(s, indent=1)}")
    print(f"ok --stats matches the store: {s['chunks']} chunks, {s['bytes_written']} bytes, {a.ranks} ranks")

    # The job's "stats" key, and a failure on a rank: written with the error and the totals.
    os.remove(path)
    store = r.store("stats_fail.zarr")
    job = r.job("fail", source=source, store=store, chunks=EDGE_CHUNKS, stats=path)
    p = r.run(2, "--config", job, env={"ZPMPI_TEST_FAIL_RANK": "1"}, timeout=60)
    expect_error(p, "fail rank 1 with stats", 1, "rank 1: injected failure")
    s = _load_stats(path)
    assert s["ok"] is False and s["exit_code"] == 1 and "rank 1: injected failure" in s["error"], s
    assert s["chunks"] is not None and len(s["per_rank"]) == 2 and s["per_rank"][1]["chunks"] == 0, s
    assert s["plan"] is not None, s
    print("ok the job's \"stats\" key; a failed run's stats carry its error and totals")

    # A job that fails before any plan: the error and exit code, nothing else known.
    os.remove(path)
    job = r.job("bad", source=source, store=store, chunks={"time": -3})
    p = r.run(2, "--config", job, "--stats", path)
    expect_error(p, "bad job with stats", 2, "chunks.time")
    s = _load_stats(path)
    assert s["ok"] is False and s["exit_code"] == 2 and "chunks.time" in s["error"], s
    assert s["chunks"] is None and s["plan"] is None and s["per_rank"] == [] and s["ranks"] == 2, s
    print("ok a job refused before planning still writes its stats (error, exit code)")

    # A stats file that cannot be written fails the run, on every rank, naming the path.
    store = r.store("stats_nowrite.zarr")
    job = r.job("nowrite", source=source, store=store, chunks=EDGE_CHUNKS)
    bad = os.path.join(r.work, "no_such_dir", "stats.json")
    p = r.run(2, "--config", job, "--stats", bad)
    expect_error(p, "unwritable --stats", 1, f"--stats {bad}: cannot create")
    print("ok an unwritable --stats path is an error")


def case_mpi_failure(r, a):
    """A failed MPI call (injected: it returns MPI_ERR_OTHER without running) on one rank:
    that rank prints one line naming the call and MPI's text and MPI_Abort ends every rank
    with exit 1 -- the other ranks, waiting inside the collective, must not hang. The old
    store is left as it was (like a killed run, the build copy and lock stay behind)."""
    source = r.sample("nc4")
    for call, rank, ranks in (("MPI_Bcast", 0, 2), ("MPI_Allreduce", 1, 2), ("MPI_Gather", 2, 3),
                              ("MPI_Comm_dup", 1, 2)):
        name = f"mpi_{call}_{rank}.zarr"
        for e in _zpmpi_entries(r.work, name):  # what an aborted earlier run of this case left
            path = os.path.join(r.work, e)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
        store = r.store(name)
        before = _old_store(store)
        job = r.job(f"mpi_{call}", source=source, store=store, overwrite=True, chunks={"time": 2})
        p = r.run(ranks, "--config", job, env={"ZPMPI_TEST_MPI_FAIL": f"{call}@{rank}"}, timeout=60)
        lines = error_lines(p)
        prefix = "zpmpi: error: " if rank == 0 else f"zpmpi[rank {rank}]: error: "
        want = f"{prefix}{call} failed: MPI_ERR_OTHER"
        if p.returncode != 1 or len(lines) != 1 or not lines[0].startswith(want):
            sys.exit(f"FAIL: {call} failing on rank {rank} of {ranks}: exit {p.returncode} (want 1), "
                     f"error lines {lines} (want one starting {want!r})\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        _expect_unchanged(before, store, f"a run whose {call} failed")
        print(f"ok {call} failing on rank {rank} of {ranks}: {lines[0]}")


CASES = ["coordinates", "text", "groups", "convert", "identical", "in_flight", "oracle_selftest", "bad_inputs", "memory_limit_too_low", "fail_rank",
         "renames", "cli", "chains", "recommendations", "bad_preprocessors"]
CASES += ["stats", "mpi_failure"]
CASES += ["multifile", "multifile_mismatch", "multifile_xarray", "multifile_xarray_units"]
CASES += ["kerchunk_single", "kerchunk_multi", "kerchunk_http_retry", "kerchunk_http_404", "kerchunk_errors",
          "kerchunk_duplicates"]
CASES += ["s3_kerchunk", "s3_errors", "s3_faults"]
CASES += ["tiled", "tiled_guards"]
CASES += ["multinode", "plan_matches_run", "plan_stop", "install"]
CASES += ["progress", "store_stats", "stats_guard"]
CASES += ["xform", "xform_guards", "xform_memory", "xform_expand"]
CASES += ["wild_pad_values", "wild_chars", "wild_coordinates", "wild_nearest"]
CASES += ["store_safety_paths", "store_safety_fail_rank", "store_safety_kill", "store_safety_concurrent",
          "store_safety_stray_zgroup"]
CASES += ["rss_bound"]
CASES += ["statistics_oracle", "statistics_same", "statistics_resume", "statistics_precision", "statistics_refusals",
          "statistics_command", "statistics_command_refusals"]
CASES += ["oracle_selftest_v3", "v3_refusals"]
CASES += ["append_oracle", "append_v3", "append_v3_shards", "append_kerchunk", "append_refusals", "append_kill",
          "append_idempotent", "append_statistics"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("case", choices=CASES)
    p.add_argument("--zpmpi", required=True)
    p.add_argument("--mpirun", default="mpirun")
    p.add_argument("--workdir", required=True)
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--sample", default="nc4", choices=list(samples.SAMPLES))
    p.add_argument("--compressor", default="zstd", choices=list(COMPRESSORS))
    p.add_argument("--chunks", default=json.dumps(EDGE_CHUNKS), help='JSON: {"dim": size}, "auto" or {}')
    p.add_argument("--memory-limit", default="2GB")
    p.add_argument("--workers", type=int, default=1, help="encode/write threads per rank")
    p.add_argument("--group", default="config", help="bad_inputs: config, dataset, source or store")
    p.add_argument("--variables", default=None, help='convert: JSON list of the source variables to convert')
    p.add_argument("--zarr-format", type=int, default=2, choices=[2, 3],
                   help="the store's Zarr format (convert, multifile, kerchunk_*, tiled, xform)")
    p.add_argument("--shards", default=None, help='with --zarr-format 3: JSON "auto" or {"dim": size}')
    p.add_argument("--chains", default=None, help="xform: JSON list of the chains to run (default: all)")
    p.add_argument("--format-flags", action="store_true",
                   help="convert: pass --zarr-format/--shards as command-line flags, not job keys")
    a = p.parse_args()
    r = Runner(a)
    globals()["case_" + a.case](r, a)


if __name__ == "__main__":
    main()
