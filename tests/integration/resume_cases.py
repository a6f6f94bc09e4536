#!/usr/bin/python3
"""Issue 13 (never lose work): stop signals, failures that stop every rank, --resume after
any kill, `zpmpi verify`. Each case runs the real binary under mpirun.

usage: resume_cases.py CASE --zpmpi BIN --workdir DIR [--mpirun MPIRUN] [--ranks N] [--trials N]
CASE:
  signal      SIGTERM / SIGUSR1 / SIGINT to every rank mid-run: exit 75, one line naming
              --resume, no temporary file; then --resume completes, identical to a clean run
  signal_mpirun  SIGUSR1 to mpirun itself: passed on to the ranks; exit 75; resumable
  early_stop  ZPMPI_TEST_FAIL_WRITE=1:1 (rank 1's first chunk write fails with ENOSPC after a
              short write): rank 0 stops long before its share is written, one message
  kill        SIGKILL to one rank or to all, at random points, then --resume: identical files,
              no temporary file, consolidated metadata valid (--trials, --ranks)
  kill_v3     the same on a sharded Zarr v3 run: no half-written shard file in the killed
              run's copy (temporaries only as hidden .N.tmpR), --resume gives a store the v3
              oracle passes, a second --resume has nothing to do (skipped without zarrita)
  refuse      --resume with a changed config or a changed source is refused naming what differs
  inputs      issue 25.9: a multi-file member replaced during the run fails it (no store); a
              file a kerchunk set points into, rewritten after a kill, makes --resume refuse
  complete    issue 25.10: --resume on a complete store of another job is refused by key; a
              half-removed old store a killed swap left is removed (marked) or named
  verify      zpmpi verify: a clean store passes; a flipped byte, a truncated and a deleted
              chunk are each reported by key, and so is what the job does not write (a chunk
              outside the grid, another array, a stray file) and a chunk that is a directory;
              a store that is not there is one line
  links       links planted in a killed run's copy: an owner file linked elsewhere is replaced,
              not written through; a linked array directory makes --resume refuse, naming it
Test hooks used (see README "Test hooks"): ZPMPI_TEST_WRITE_DELAY_MS, ZPMPI_TEST_FAIL_WRITE.
"""
import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402
import processes  # noqa: E402
from cases import ENV, expect_ok, error_lines, _output_snapshot, _session_members, _kill_session  # noqa: E402

RESUMABLE = 75
CHUNKS = {"time": 1, "y": 5, "x": 4}


def make_source(path, nt=12, seed=0, t0=0):
    """Small generated data: a float32 with NaNs, a packed int16, a coordinate each (time
    from t0 hours, so that files with t0 = 0, nt, 2 nt make a multi-file set)."""
    import numpy as np
    import netCDF4
    if os.path.exists(path):
        return path
    rng = np.random.default_rng(seed)
    tmp = path + ".tmp"
    with netCDF4.Dataset(tmp, "w") as ds:
        ds.createDimension("time", nt)
        ds.createDimension("y", 10)
        ds.createDimension("x", 8)
        t = ds.createVariable("time", "f8", ("time",))
        t.units = "hours since 2000-01-01"
        t[:] = t0 + np.arange(nt)
        ds.createVariable("y", "f4", ("y",))[:] = np.linspace(-45, 45, 10)
        ds.createVariable("x", "f4", ("x",))[:] = np.arange(8) * 45.0
        a = ds.createVariable("a", "f4", ("time", "y", "x"), chunksizes=(2, 5, 8), zlib=True)
        data = rng.normal(size=(nt, 10, 8)).astype("f4")
        data[data > 1.5] = np.nan
        a[:] = data
        b = ds.createVariable("b", "i2", ("time", "y", "x"), fill_value=-999)
        b.scale_factor = 0.01
        b[:] = rng.normal(size=(nt, 10, 8))
    os.replace(tmp, path)
    return path


def job(r, name, source, store, **more):
    return r.job(name, source=source, store=store, chunks=CHUNKS, **more)


def copies(parent, store_name):
    return [os.path.join(parent, e) for e in os.listdir(parent) if e.startswith(f".{store_name}.zpmpi-new-")]


def temp_files(path):
    found = []
    for root, dirs, files in os.walk(path):
        found += [os.path.join(root, f) for f in files if ".tmp" in f]
    return found


def chunk_count(path):
    n = 0
    for root, dirs, files in os.walk(path):
        n += sum(1 for f in files if f[0].isdigit())
    return n


def start(r, ranks, args, env=None, name="bg"):
    err = open(os.path.join(r.work, name + ".out"), "w")
    p = subprocess.Popen([r.mpirun, "-n", str(ranks), "--oversubscribe", r.zpmpi, *args],
                         env=dict(ENV, **(env or {})), stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                         start_new_session=True)
    p.log = err.name
    return p


def output(p):
    with open(p.log, encoding="utf-8", errors="replace") as f:
        return f.read()


def ranks_of(p):
    """The rank processes of a background mpirun (its session, not mpirun itself)."""
    return [pid for pid in _session_members(p.pid) if pid != p.pid]


def wait_chunks(r, p, store_name, at_least, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in copies(r.work, store_name):
            if chunk_count(c) >= at_least:
                return c
        if p.poll() is not None:
            sys.exit(f"FAIL: the run ended (exit {p.returncode}) before {at_least} chunks:\n{output(p)}")
        time.sleep(0.005)
    sys.exit(f"FAIL: fewer than {at_least} chunks after {timeout} s")


def reference(r, source, name="ref.zarr"):
    store = r.store(name)
    expect_ok(r.run(2, "--config", job(r, "ref", source, store)), "uninterrupted reference run")
    return _output_snapshot(store)


def expect_same(ref, store, what):
    got = _output_snapshot(store)
    if got != ref:
        diff = sorted(k for k in set(ref) | set(got) if ref.get(k) != got.get(k))
        sys.exit(f"FAIL {what}: {len(diff)} entries differ from the uninterrupted run, e.g. {diff[:8]}")
    if temp_files(store):
        sys.exit(f"FAIL {what}: temporary files left: {temp_files(store)[:5]}")
    import zarr
    g = zarr.open_consolidated(store, mode="r")
    assert sorted(g.array_keys()) == ["a", "b", "time", "x", "y"], list(g.array_keys())


def expect_kept(p, found, what):
    """The resumed run adopted the copy and kept exactly the chunk files found in it."""
    m = re.search(r"resuming .*: (\d+) of (\d+) chunks are complete and kept", p.stdout + p.stderr)
    if found == 0 and not m:
        return
    if not m or int(m.group(1)) != found:
        sys.exit(f"FAIL {what}: {found} chunk files were in the copy, the resume says:\n{p.stdout}{p.stderr}")


def case_signal(r, a):
    source = make_source(os.path.join(r.work, "src.nc"))
    ref = reference(r, source)
    for i, sig in enumerate((signal.SIGTERM, signal.SIGUSR1, signal.SIGINT)):
        store = r.store(f"sig{i}.zarr")
        name = os.path.basename(store)
        p = start(r, a.ranks, ["--config", job(r, f"sig{i}", source, store)],
                  env={"ZPMPI_TEST_WRITE_DELAY_MS": "20"}, name=f"sig{i}")
        copy = wait_chunks(r, p, name, 10)
        for pid in ranks_of(p):  # as SLURM does: the signal reaches every task
            os.kill(pid, sig)
        p.wait(timeout=60)
        out = output(p)
        errors = [line for line in out.splitlines() if line.startswith("zpmpi") and "error:" in line]
        if p.returncode != RESUMABLE or len(errors) != 1 or "--resume" not in errors[0] \
                or signal.Signals(sig).name not in errors[0]:
            sys.exit(f"FAIL {signal.Signals(sig).name}: exit {p.returncode}, expected {RESUMABLE} and one "
                     f"line naming the signal and --resume:\n{out}")
        print(f"ok {signal.Signals(sig).name}: exit {p.returncode}: {errors[0]}")
        if temp_files(copy):
            sys.exit(f"FAIL: temporary files left after {signal.Signals(sig).name}: {temp_files(copy)}")
        if os.path.exists(store) or not os.path.isdir(copy):
            sys.exit(f"FAIL: after the signal the store must not exist and the copy {copy} must be kept")
        lock = os.path.join(r.work, f".{name}.zpmpi-lock")
        if os.path.exists(lock):
            sys.exit(f"FAIL: the interrupted run left its lock {lock}")
        found = chunk_count(copy)
        # Issue 14: the kept copy holds the interrupted run's statistics, with its error.
        with open(os.path.join(copy, ".zpmpi", "stats.json")) as f:
            kept = json.load(f)
        if kept["ok"] or kept["exit_code"] != RESUMABLE or kept["chunks"] != found:
            sys.exit(f"FAIL: the kept copy's stats.json is not the interrupted run's ({found} chunks): {kept}")
        # The last one resumes with one rank more: chunks are keyed by index, not by rank.
        p = r.run(a.ranks + (i == 2), "--config", job(r, f"sig{i}", source, store), "--resume")
        expect_ok(p, f"--resume after {signal.Signals(sig).name}")
        expect_kept(p, found, f"--resume after {signal.Signals(sig).name}")
        expect_same(ref, store, f"resumed after {signal.Signals(sig).name}")
        with open(os.path.join(store, ".zpmpi", "stats.json")) as f:
            done = json.load(f)
        if not done["ok"] or done["chunks_present"] != found or done["chunks"] + found != chunk_count(store):
            sys.exit(f"FAIL: the resumed store's stats.json does not count {found} kept chunks: {done}")
        # Its progress counts what is left to write, not the plan's chunks.
        last = [line for line in p.stderr.splitlines() if line.startswith("zpmpi: progress:")][-1:]
        left = done["chunks"]
        if not last or not last[0].startswith(f"zpmpi: progress: {left}/{left} chunks (100%)"):
            sys.exit(f"FAIL: the resumed run's last progress line is not {left}/{left} (100%): {last}")
        print(f"ok resumed after {signal.Signals(sig).name}: identical to the uninterrupted run")


def case_signal_mpirun(r, a):
    """SIGUSR1 sent to mpirun itself is passed on to the ranks: exit 75, one line naming
    --resume, no temporary file, and --resume finishes the job. (A SIGTERM to mpirun is
    mpirun's own affair: it ends the job its way and exits 1; not tested here.)"""
    source = make_source(os.path.join(r.work, "src.nc"))
    ref = reference(r, source)
    for i, (sig, code) in enumerate(((signal.SIGUSR1, RESUMABLE),)):
        store = r.store(f"mp{i}.zarr")
        name = os.path.basename(store)
        cfg = job(r, f"mp{i}", source, store)
        p = start(r, a.ranks, ["--config", cfg], env={"ZPMPI_TEST_WRITE_DELAY_MS": "20"}, name=f"mp{i}")
        copy = wait_chunks(r, p, name, 10)
        os.kill(p.pid, sig)
        p.wait(timeout=60)
        out = output(p)
        errors = [line for line in out.splitlines() if line.startswith("zpmpi") and "error:" in line]
        what = f"{signal.Signals(sig).name} to mpirun"
        if (code is not None and p.returncode != code) or p.returncode == 0 or len(errors) != 1 \
                or "--resume" not in errors[0]:
            sys.exit(f"FAIL {what}: exit {p.returncode}, expected {code or 'non-zero'} and one line naming --resume:\n{out}")
        if temp_files(copy):
            sys.exit(f"FAIL {what}: temporary files left: {temp_files(copy)}")
        print(f"ok {what}: exit {p.returncode}: {errors[0]}")
        found = chunk_count(copy)
        p = r.run(a.ranks, "--config", cfg, "--resume")
        expect_ok(p, f"--resume after {what}")
        expect_kept(p, found, f"--resume after {what}")
        expect_same(ref, store, f"resumed after {what}")
        print(f"ok resumed after {what}: identical to the uninterrupted run")


def case_early_stop(r, a):
    """A fault on rank 1's first chunk write stops rank 0 long before its share is done."""
    import json
    source = make_source(os.path.join(r.work, "big.nc"), nt=60)
    store = r.store("early.zarr")
    stats = os.path.join(r.work, "early.stats.json")
    delay_ms = 50
    # 2 arrays x 60 x 2 x 2 chunks = 480 chunks: about 240 x 50 ms = 12 s of work for rank 0.
    share = 240
    t0 = time.monotonic()
    p = r.run(2, "--config", job(r, "early", source, store), "--stats", stats,
              env={"ZPMPI_TEST_FAIL_WRITE": "1:1", "ZPMPI_TEST_WRITE_DELAY_MS": str(delay_ms)}, timeout=120)
    seconds = time.monotonic() - t0
    cases.expect_error(p, "injected ENOSPC on rank 1", 1, "rank 1: cannot write")
    line = error_lines(p)[0]
    assert "No space left on device" in line, line
    assert (p.stdout + p.stderr).count("No space left on device") == 1, p.stderr
    with open(stats) as f:
        rank0 = json.load(f)["per_rank"][0]["chunks"]
    share_seconds = share * delay_ms / 1000
    print(f"rank 0 stopped after {rank0} of its ~{share} chunks; the whole run took {seconds:.2f} s "
          f"(rank 0's share alone takes >= {share_seconds:.1f} s)")
    if rank0 > share // 10:
        sys.exit(f"FAIL: rank 0 wrote {rank0} chunks after rank 1 failed at its first: it did not stop early")
    if seconds > share_seconds * 0.75:  # start-up and tear-down of mpirun included
        sys.exit(f"FAIL: the run took {seconds:.2f} s: rank 0 did not stop early")
    if os.path.exists(store) or copies(r.work, "early.zarr"):
        sys.exit("FAIL: the failed run left a store or a copy")


def kill_trial(r, a, source, ref, trial, rng):
    ranks = a.ranks
    store = r.store(f"kill{trial}.zarr")
    name = os.path.basename(store)
    cfg = job(r, f"kill{trial}", source, store)
    total = 2 * 12 * 2 * 2
    point = rng.randrange(0, total - 10)
    whom = rng.choice(["one", "all"])
    p = start(r, ranks, ["--config", cfg], env={"ZPMPI_TEST_WRITE_DELAY_MS": str(rng.choice([2, 5, 10]))},
              name=f"kill{trial}")
    if point > 0:
        wait_chunks(r, p, name, point)
    else:
        while not copies(r.work, name) and p.poll() is None:
            time.sleep(0.002)
    if whom == "one":
        victims = ranks_of(p)
        if victims:
            os.kill(rng.choice(victims), signal.SIGKILL)
        try:
            p.wait(timeout=30)  # mpirun ends the other ranks
        except subprocess.TimeoutExpired:
            _kill_session(p)
    else:
        _kill_session(p)
    _kill_session(p)  # nothing of it may survive
    left = sum(chunk_count(c) for c in copies(r.work, name))
    stale = os.path.exists(os.path.join(r.work, f".{name}.zpmpi-lock"))
    p = r.run(ranks, "--config", cfg, "--resume", "--log-level", "2")
    expect_ok(p, f"kill trial {trial} --resume")
    expect_kept(p, left, f"kill trial {trial}")
    expect_same(ref, store, f"kill trial {trial}")
    if copies(r.work, name) or os.path.exists(os.path.join(r.work, f".{name}.zpmpi-lock")):
        sys.exit(f"FAIL kill trial {trial}: a copy or the lock is left after the resume")
    print(f"ok kill trial {trial}: {ranks} ranks, SIGKILL to {whom} after >= {point} chunks "
          f"({left} kept{', stale lock replaced' if stale else ''}), resumed, identical")
    return stale


def case_kill(r, a):
    source = make_source(os.path.join(r.work, "src.nc"))
    ref = reference(r, source)
    rng = random.Random(1300 + a.ranks)
    stale = sum(kill_trial(r, a, source, ref, trial, rng) for trial in range(a.trials))
    print(f"ok {a.trials} kill trials with {a.ranks} ranks: every resume matched "
          f"({stale} replaced the stale lock of the killed run)")


V3_SHARDS = {"time": 4}  # inner chunks (1, 5, 4): shards of 4 x 1 x 1, 12 per array
TEMPORARY = re.compile(r"\.(\d+|c)\.tmp\d+")  # temporary_name (store.hpp): ".3.tmp1", ".c.tmp0"


def check_killed_v3_copy(snapshot, store, what):
    """`snapshot`: a copy of the v3 copy a SIGKILL left, whose arrays have no zarr.json yet
    (metadata comes last); `store`: the store --resume then finished, whose zarr.json files
    say how the shards are laid out. Every shard file of the snapshot is whole (its index
    valid, inside the file) and kept as it was by the resume; the only other files are
    hidden temporaries ".N.tmpR" beside their keys. Returns (shard files, temporaries)."""
    import oracle
    import oracle_v3
    shards = temporaries = 0
    for name in sorted(os.listdir(snapshot)):
        if name.startswith(".") or not os.path.isdir(os.path.join(snapshot, name)):
            continue
        for directory, _, files in os.walk(os.path.join(snapshot, name)):
            stray = [f for f in files if f.startswith(".") and not TEMPORARY.fullmatch(f)]
            if stray:
                sys.exit(f"FAIL {what}: {directory}: hidden files that are no temporary of a key: {stray}")
            temporaries += sum(1 for f in files if f.startswith("."))
        meta = oracle_v3.load_strict_json(os.path.join(store, name, "zarr.json"))
        if not oracle_v3._sharding(meta):
            continue
        for key, path, _, per_shard in oracle_v3.shards_of(snapshot, name, meta):
            if not os.path.exists(path):
                continue
            try:
                oracle_v3.shard_index(path, math.prod(per_shard))
            except oracle.Mismatch as e:
                sys.exit(f"FAIL {what}: a half-written shard file in the killed run's copy: {e}")
            with open(path, "rb") as f, open(os.path.join(store, name, *key.split("/")), "rb") as g:
                if f.read() != g.read():
                    sys.exit(f"FAIL {what}: the whole shard {name}/{key} of the killed run was not kept by --resume")
            shards += 1
    return shards, temporaries


def kill_v3_trial(r, a, source, trial, rng):
    import oracle
    import oracle_v3
    store = r.store(f"v3kill{trial}.zarr")
    name = os.path.basename(store)
    cfg = job(r, f"v3kill{trial}", source, store, zarr_format=3, shards=V3_SHARDS)
    point = rng.randrange(1, 30)
    whom = rng.choice(["one", "all"])
    p = start(r, a.ranks, ["--config", cfg], env={"ZPMPI_TEST_WRITE_DELAY_MS": str(rng.choice([5, 10, 20]))},
              name=f"v3kill{trial}")
    copy = wait_chunks(r, p, name, point)
    if whom == "one" and ranks_of(p):
        os.kill(rng.choice(ranks_of(p)), signal.SIGKILL)
        try:
            p.wait(timeout=30)  # mpirun ends the other ranks
        except subprocess.TimeoutExpired:
            pass
    _kill_session(p)
    snapshot = os.path.join(r.work, f"v3kill{trial}.killed")
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.copytree(copy, snapshot, symlinks=True)
    p = r.run(a.ranks, "--config", cfg, "--resume", "--log-level", "2")
    expect_ok(p, f"v3 kill trial {trial} --resume")
    shards, temporaries = check_killed_v3_copy(snapshot, store, f"v3 kill trial {trial}")
    try:
        oracle_v3.check_v3(source, store, chunks=CHUNKS, shards=V3_SHARDS, workdir=r.work)
    except oracle.Mismatch as e:
        sys.exit(f"FAIL v3 kill trial {trial}: the resumed store differs from the source:\n{e}")
    if copies(r.work, name) or os.path.exists(os.path.join(r.work, f".{name}.zpmpi-lock")):
        sys.exit(f"FAIL v3 kill trial {trial}: a copy or the lock is left after the resume")
    p = r.run(a.ranks, "--config", cfg, "--resume")
    expect_ok(p, f"v3 kill trial {trial}: a second --resume")
    if "nothing to resume" not in p.stdout + p.stderr:
        sys.exit(f"FAIL v3 kill trial {trial}: a second --resume does not say nothing to resume:\n{p.stdout}{p.stderr}")
    print(f"ok v3 kill trial {trial}: SIGKILL to {whom} after >= {point} files ({shards} whole shard files, kept by "
          f"the resume; {temporaries} temporaries in the copy), resumed, equal to the source; a second --resume: "
          "nothing to do")


def case_kill_v3(r, a):
    """Issue 27: SIGKILL to a sharded v3 run mid-write leaves no half-written shard file
    (every shard there has a valid index; temporaries only as hidden .N.tmpR), and --resume
    then gives a store oracle_v3.check_v3 passes; a second --resume has nothing to do."""
    import oracle_v3
    missing = oracle_v3.zarrita_missing()
    if missing:
        print(f"SKIP: {missing}")
        sys.exit(77)
    source = make_source(os.path.join(r.work, "src.nc"))
    rng = random.Random(2700 + a.ranks)
    for trial in range(a.trials):
        kill_v3_trial(r, a, source, trial, rng)
    signal_v3(r, a, source)


def signal_v3(r, a, source):
    """SIGTERM to a sharded run: its one line says that the inner chunks of shards not yet
    complete (counted among those written) are written again; --resume finishes."""
    store = r.store("v3term.zarr")
    cfg = job(r, "v3term", source, store, zarr_format=3, shards=V3_SHARDS)
    p = start(r, a.ranks, ["--config", cfg], env={"ZPMPI_TEST_WRITE_DELAY_MS": "20"}, name="v3term")
    wait_chunks(r, p, os.path.basename(store), 3)
    for pid in ranks_of(p):
        os.kill(pid, signal.SIGTERM)
    p.wait(timeout=60)
    errors = [line for line in output(p).splitlines() if line.startswith("zpmpi") and "error:" in line]
    if p.returncode != RESUMABLE or len(errors) != 1 or "(those of shards not yet complete are written again)" \
            not in errors[0]:
        sys.exit(f"FAIL v3 SIGTERM: exit {p.returncode}, expected {RESUMABLE} and one line saying that unfinished "
                 f"shards are written again:\n{output(p)}")
    expect_ok(r.run(a.ranks, "--config", cfg, "--resume"), "v3 SIGTERM --resume")
    print(f"ok v3 SIGTERM: {errors[0]}; resumed")


def case_refuse(r, a):
    """--resume of a copy written for another job, or from a changed source, is refused by
    name; without --resume the job starts again. A stale lock of the killed run is replaced."""
    source = make_source(os.path.join(r.work, "src.nc"))
    store = r.store("refuse.zarr")
    cfg = job(r, "refuse", source, store)
    p = start(r, 2, ["--config", cfg], env={"ZPMPI_TEST_WRITE_DELAY_MS": "20"}, name="refuse")
    wait_chunks(r, p, "refuse.zarr", 5)
    _kill_session(p)
    lock = os.path.join(r.work, ".refuse.zarr.zpmpi-lock")  # left by the kill, or released on a signal
    other = job(r, "refuse", source, store, compressor={"id": "lz4", "acceleration": 1})
    cases.expect_error(r.run(2, "--config", other, "--resume"), "resume with another compressor", 1,
                       "the job differs from the interrupted run's")
    p = r.run(2, "--config", other, "--resume")
    line = error_lines(p)[0]
    assert "config.compressor (not recorded by the interrupted run)" in line and "output (was" in line, line
    assert "--resume" in line, line
    # The source changes (same shape, new values): refused naming the file.
    job(r, "refuse", source, store)
    os.utime(source, ns=(time.time_ns(), time.time_ns()))
    cases.expect_error(r.run(2, "--config", cfg, "--resume"), "resume after the source changed", 1,
                       f"source.file {source} (was")
    # Without --resume: a fresh start removes the old copy and writes the whole store.
    expect_ok(r.run(2, "--config", cfg), "a fresh run after the refusals")
    assert not copies(r.work, "refuse.zarr") and not os.path.exists(lock)
    cases.oracle_check(source, store, chunks=CHUNKS)
    print("ok refused by name; a fresh run then wrote the store")


def case_inputs(r, a):
    """Issue 25 item 9: what the run read is identified (size, mtime, inode) at its start
    and checked at its end and on --resume."""
    import make_refs
    # A member of a multi-file set replaced by a newer version (same shape) mid-run: before,
    # the store held the new file's data beside the time read from the old one, exit 0.
    parts = [make_source(os.path.join(r.work, f"m{k}.nc"), nt=4, seed=10 + k, t0=4 * k) for k in range(3)]
    store = r.store("members.zarr")
    cfg = job(r, "members", {"uri": parts}, store)
    p = start(r, 2, ["--config", cfg], env={"ZPMPI_TEST_WRITE_DELAY_MS": "20"}, name="members")
    wait_chunks(r, p, "members.zarr", 3)
    os.replace(make_source(os.path.join(r.work, "m1.newer.nc"), nt=4, seed=99, t0=4), parts[1])
    p.wait(timeout=120)
    out = output(p)
    want = f"source file {parts[1]} changed while this run read it ("
    if p.returncode != 1 or want not in out or "replaced: another inode" not in out or "so it was not written" not in out:
        sys.exit(f"FAIL a member replaced mid-run: exit {p.returncode}, expected 1 and {want!r}:\n{out}")
    if os.path.exists(store) or copies(r.work, "members.zarr"):
        sys.exit("FAIL a member replaced mid-run: a store or a copy is left")
    print("ok a multi-file member replaced mid-run fails the run by name; nothing written")
    # Kerchunk: the data file rewritten after a kill. Before, only the reference file was
    # recorded and --resume mixed old and new values, exit 0.
    data = make_source(os.path.join(r.work, "kdata.nc"))
    refs = os.path.join(r.work, "k.json")
    make_refs.make_refs(refs, [data])
    store = r.store("kresume.zarr")
    cfg = r.job("kresume", source={"uri": refs, "engine": "kerchunk"}, store=store, chunks=CHUNKS)
    p = start(r, 2, ["--config", cfg], env={"ZPMPI_TEST_WRITE_DELAY_MS": "20"}, name="kresume")
    wait_chunks(r, p, "kresume.zarr", 5)
    _kill_session(p)
    os.replace(make_source(os.path.join(r.work, "kdata.newer.nc"), seed=7), data)
    p = r.run(2, "--config", cfg, "--resume")
    cases.expect_error(p, "resume after a referenced file changed", 1, f"source.file {data} (was")
    print("ok --resume after a file a kerchunk set points into changed is refused naming it")


def case_complete(r, a):
    """Issue 25 item 10: --resume on a complete store compares the store's own record."""
    import shutil
    source = make_source(os.path.join(r.work, "src.nc"))
    store = r.store("done.zarr")
    old = os.path.join(r.work, ".done.zarr.zpmpi-new-deadhost-4242")
    unmarked = os.path.join(r.work, ".done.zarr.zpmpi-old-deadhost-4243")
    for left in (old, unmarked):  # from an earlier run of this case in the same directory (with
        shutil.rmtree(left, ignore_errors=True)  # no store, an old store aside would be put back)
    cfg = job(r, "done", source, store)
    expect_ok(r.run(2, "--config", cfg), "the finished run")
    before = _output_snapshot(store)
    p = r.run(2, "--config", cfg, "--resume")
    expect_ok(p, "--resume of the same job's complete store")
    assert "nothing to resume" in p.stderr + p.stdout, p.stderr
    other = r.job("done_other", source=source, store=store, chunks={"time": 3, "y": 5, "x": 4})
    cases.expect_error(r.run(2, "--config", other, "--resume"), "--resume of another job's store", 1,
                       "it is complete, but was written by another job: config.chunks (was")
    source2 = make_source(os.path.join(r.work, "src2.nc"), seed=2)
    other = job(r, "done_source", source2, store)
    p = r.run(2, "--config", other, "--resume")
    cases.expect_error(p, "--resume with another source", 1, f"source.file {source2} (not recorded by the store)")
    assert f"source.file {source} (recorded by the store only)" in p.stderr, p.stderr
    if _output_snapshot(store) != before:
        sys.exit("FAIL the refused --resume changed the store")
    print("ok --resume of a complete store of another job (chunks, source) is refused by key")
    # A run killed while removing the old store (after the exchange) leaves it, marked, at
    # its copy's name; a look-alike without the marker may be an old store moved aside.
    shutil.copytree(store, old)
    os.remove(os.path.join(old, ".zmetadata"))
    shutil.rmtree(os.path.join(old, "a"))
    shutil.copytree(store, unmarked)
    shutil.rmtree(os.path.join(unmarked, ".zpmpi"))
    p = r.run(2, "--config", cfg, "--resume")
    expect_ok(p, "--resume with a half-removed old store left")
    err = p.stderr + p.stdout
    assert "nothing to resume" in err and f"removed {old}" in err, err
    assert f"left {unmarked} in place" in err, err
    if os.path.exists(old) or not os.path.isdir(os.path.join(unmarked, "a")):
        sys.exit("FAIL the marked leftover is still there, or the unmarked one was touched")
    if _output_snapshot(store) != before:
        sys.exit("FAIL the --resume changed the complete store")
    print("ok --resume removed the half-removed old store and named the unmarked look-alike")


def case_verify(r, a):
    source = make_source(os.path.join(r.work, "src.nc"))
    store = r.store("verify.zarr")
    cfg = job(r, "verify", source, store)
    expect_ok(r.run(a.ranks, "--config", cfg), "the run to verify")
    p = r.run(a.ranks, "verify", "--config", cfg)
    expect_ok(p, "verify of a clean store")
    assert "is exactly this job's output" in p.stderr + p.stdout, p.stderr
    print("ok a clean store passes")
    a_dir = os.path.join(store, "a")
    with open(os.path.join(a_dir, "3.1.0"), "r+b") as f:  # one flipped byte in the zstd frame
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0x40
        f.seek(0)
        f.write(data)
    with open(os.path.join(a_dir, "5.0.1"), "r+b") as f:  # truncated
        f.truncate(7)
    os.remove(os.path.join(store, "b", "2.1.1"))  # deleted
    with open(os.path.join(store, "b", ".zattrs"), "a") as f:
        f.write(" ")
    p = r.run(a.ranks, "verify", "--config", cfg)
    if p.returncode != 1:
        sys.exit(f"FAIL verify of a damaged store: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    out = p.stdout + p.stderr
    for want in ("verify: missing b/2.1.1", "verify: corrupt a/5.0.1", "verify: differs b/.zattrs"):
        assert want in out, f"{want!r} not in:\n{out}"
    assert re.search(r"verify: (corrupt|differs) a/3\.1\.0", out), out
    assert len(error_lines(p)) == 1, out
    reported = [line for line in out.splitlines() if line.startswith("zpmpi: verify: ")]
    assert len(reported) == 4, reported
    print("ok the damaged store: " + "; ".join(line[len("zpmpi: verify: "):] for line in reported))
    # Issue 26: every rank exits non-zero, not rank 0 alone (the others gave 0).
    p, codes = processes.rank_exit_codes(r, a.ranks, "verify", "--config", cfg)
    if not all(codes):
        sys.exit(f"FAIL verify of a damaged store: exit codes by rank {codes}, not all non-zero\n{p.stdout}\n{p.stderr}")
    print(f"ok every rank exits non-zero: {codes}")
    verify_extra(r, a, cfg, store)


def verify_extra(r, a, cfg, store):
    """Issue 25, item 11: more than the job writes is a difference; a chunk that is a
    directory is corrupt (it aborted verify); no store is one line, not one per chunk."""
    expect_ok(r.run(a.ranks, "--config", cfg, "--overwrite"), "the run to verify again")
    with open(os.path.join(store, "a", "0.0.0"), "rb") as f:
        chunk = f.read()
    with open(os.path.join(store, "a", "12.0.0"), "wb") as f:  # time has 12 chunks: outside the grid
        f.write(chunk)
    os.makedirs(os.path.join(store, "old"))
    with open(os.path.join(store, "old", ".zarray"), "w") as f:
        f.write("{}")
    with open(os.path.join(store, "notes.txt"), "w") as f:
        f.write("x")
    os.remove(os.path.join(store, "b", "1.0.1"))
    os.makedirs(os.path.join(store, "b", "1.0.1"))
    p = r.run(a.ranks, "verify", "--config", cfg)
    out = p.stdout + p.stderr
    reported = sorted(line[len("zpmpi: verify: "):] for line in out.splitlines() if line.startswith("zpmpi: verify: "))
    want = ["corrupt b/1.0.1 (a directory, not a chunk file)", "extra a/12.0.0", "extra notes.txt", "extra old"]
    if p.returncode != 1 or reported != want or len(error_lines(p)) != 1:
        sys.exit(f"FAIL verify of a store with extra entries: exit {p.returncode}, {reported}, not {want}\n{out}")
    print("ok extra entries and a chunk that is a directory: " + "; ".join(reported))
    missing = r.store("nowhere.zarr")
    p = r.run(a.ranks, "verify", "--config", job(r, "nowhere", make_source(os.path.join(r.work, "src.nc")), missing))
    cases.expect_error(p, "verify of no store", 1, f"verify: no store at {missing}")
    if "missing" in p.stdout + p.stderr:
        sys.exit(f"FAIL verify of no store lists missing files:\n{p.stdout}{p.stderr}")
    print("ok no store: one line")


def case_links(r, a):
    """Issue 25, item 8: --resume adopts a killed run's copy as it is; links planted in it
    must not receive the run's writes."""
    source = make_source(os.path.join(r.work, "src.nc"))
    ref = reference(r, source)
    store = r.store("links.zarr")
    cfg = job(r, "links", source, store)
    outside = os.path.join(r.work, "outside.txt")

    def killed_copy(name):
        p = start(r, 2, ["--config", cfg], env={"ZPMPI_TEST_WRITE_DELAY_MS": "20"}, name=name)
        copy = wait_chunks(r, p, "links.zarr", 5)
        _kill_session(p)
        return copy

    copy = killed_copy("links_owner")
    with open(outside, "w") as f:
        f.write("precious")
    owner = os.path.join(copy, ".zpmpi", "owner")
    os.remove(owner)
    os.symlink(outside, owner)
    p = r.run(2, "--config", cfg, "--resume")
    expect_ok(p, "--resume of a copy whose owner file is a link")
    with open(outside) as f:
        assert f.read() == "precious", "the lock record was written through the planted link"
    expect_same(ref, store, "resume past an owner link")
    print("ok an owner file linked elsewhere: replaced, the target untouched, the store identical")

    store = r.store("links.zarr")
    copy = killed_copy("links_array")
    elsewhere = os.path.join(r.work, "elsewhere")
    os.makedirs(elsewhere, exist_ok=True)
    with open(os.path.join(elsewhere, "0.0.0"), "w") as f:
        f.write("foreign")
    shutil.rmtree(os.path.join(copy, "a"))
    os.symlink(elsewhere, os.path.join(copy, "a"))
    p = r.run(2, "--config", cfg, "--resume")
    cases.expect_error(p, "--resume of a copy with a linked array directory", 1,
                       f"holds a symbolic link {os.path.join(copy, 'a')} where a store entry should be")
    if os.listdir(elsewhere) != ["0.0.0"] or os.path.exists(store):
        sys.exit(f"FAIL: the link's target was written: {os.listdir(elsewhere)}")
    # Without --resume the job starts again; the linked copy is left (it is not only zarr).
    expect_ok(r.run(2, "--config", cfg), "a fresh run after the refusal")
    expect_same(ref, store, "a fresh run after a linked copy")
    if os.listdir(elsewhere) != ["0.0.0"]:
        sys.exit(f"FAIL: the link's target was written by the fresh run: {os.listdir(elsewhere)}")
    print("ok a linked array directory: --resume refused naming it, its target untouched")

    # verify reads nothing through a link: the same array, moved out and linked back in,
    # with one chunk of it damaged, is one difference (the link), not "differs a/...".
    moved = os.path.join(r.work, "moved_a")
    shutil.rmtree(moved, ignore_errors=True)
    shutil.move(os.path.join(store, "a"), moved)
    os.symlink(moved, os.path.join(store, "a"))
    with open(os.path.join(moved, "0.0.0"), "ab") as f:
        f.write(b"x")
    p = r.run(2, "verify", "--config", cfg)
    out = p.stdout + p.stderr
    reported = [line[len("zpmpi: verify: "):] for line in out.splitlines() if line.startswith("zpmpi: verify: ")]
    if p.returncode != 1 or reported != ["corrupt a (a symbolic link, not a directory)"]:
        sys.exit(f"FAIL verify of a store with a linked array directory: exit {p.returncode}, {reported}\n{out}")
    print("ok verify of a linked array directory: " + "; ".join(reported))
    linked_store = r.store("linked.zarr")
    if os.path.islink(linked_store):  # left by an earlier run of the case: rmtree keeps links
        os.remove(linked_store)
    os.symlink(store, linked_store)
    p = r.run(2, "verify", "--config", job(r, "linked", source, linked_store))
    cases.expect_error(p, "verify of a store path that is a link", 1,
                       f"verify: {linked_store} is a symbolic link where a store entry should be")
    print("ok verify of a store path that is a link: refused in one line")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("case", choices=["signal", "signal_mpirun", "early_stop", "kill", "refuse", "inputs", "complete",
                                    "verify", "links", "kill_v3"])
    p.add_argument("--zpmpi", required=True)
    p.add_argument("--mpirun", default="mpirun")
    p.add_argument("--workdir", required=True)
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--trials", type=int, default=10)
    a = p.parse_args()
    r = cases.Runner(argparse.Namespace(zpmpi=a.zpmpi, mpirun=a.mpirun, workdir=a.workdir))
    globals()["case_" + a.case](r, a)


if __name__ == "__main__":
    main()
