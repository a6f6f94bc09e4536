"""STORE/.zpmpi/stats.json (issue 14): every finished store carries its run's statistics.

case store_stats --ranks N:
  - a run with --stats FILE: the store's .zpmpi holds stats.json alone, byte-identical to
    FILE, written before .zmetadata; it has every rank, each with the waiting time, and
    its totals agree with the store on disk (chunk files counted, their bytes summed) and
    with the sums and maxima of per_rank; the closing summary line quotes the same totals.
  - readers ignore .zpmpi: zarr's group lists the arrays only; xarray opens the store with
    and without the consolidated metadata.
  - `zpmpi verify` passes; `--resume` of the complete store does nothing and keeps it.
  - replacing the store (--overwrite, no --stats): the new store's stats.json is the new
    run's, the old one's is gone with it, no copy is left beside it.
"""
import json
import os
import re
import sys
import oracle  # noqa: E402  (tests/integration is on sys.path: cases.py imports this file)

CHUNKS = {"time": 4, "latitude": 10, "longitude": 20}


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _disk(store):
    """Chunk files of the store's arrays: their count and bytes."""
    from cases import _chunk_files
    files = _chunk_files(store)
    return sum(len(v) for v in files.values()), sum(sum(v) for v in files.values()), len(files)


def _check_stats(s, store, ranks, what):
    count, size, arrays = _disk(store)
    problems = []

    def same(name, got, want):
        if got != want:
            problems.append(f"{name}: {got!r} in stats.json, {want!r} expected")

    same("ok", s["ok"], True)
    same("ranks", s["ranks"], ranks)
    same("len(per_rank)", len(s["per_rank"]), ranks)
    same("arrays", s["arrays"], arrays)
    same("chunks (files on disk)", s["chunks"], count)
    same("bytes_written (bytes on disk)", s["bytes_written"], size)
    same("sum of per_rank chunks", sum(x["chunks"] for x in s["per_rank"]), count)
    same("sum of per_rank bytes_written", sum(x["bytes_written"] for x in s["per_rank"]), size)
    for key, how in s["combine"].items():
        per = [x[key] for x in s["per_rank"]]
        same(f"{key} ({how} over ranks)", s[key], sum(per) if how == "sum" else max(per))
    for i, x in enumerate(s["per_rank"]):
        missing = [k for k in ("seconds_read", "seconds_gather", "seconds_encode", "seconds_write", "seconds_wait",
                               "bytes_decoded", "bytes_needed", "bytes_written", "chunks", "peak_rss") if k not in x]
        if missing:
            problems.append(f"rank {i} lacks {missing}")
        elif x["seconds_wait"] < 0 or x["peak_rss"] <= 0:
            problems.append(f"rank {i}: implausible seconds_wait {x['seconds_wait']} or peak_rss {x['peak_rss']}")
    if problems:
        sys.exit(f"FAIL: {what}:\n  " + "\n  ".join(problems) + f"\n{json.dumps(s, indent=1)}")


def case_store_stats(r, a):
    from cases import expect_ok
    import xarray as xr
    import zarr
    source = r.sample("nc4")
    store = r.store("s.zarr")
    kept = os.path.join(store, ".zpmpi", "stats.json")
    stats_file = os.path.join(r.work, "stats.json")
    job = r.job("job", source=source, store=store, chunks=CHUNKS, memory_limit="300kB", workers=2)
    p = r.run(a.ranks, "--config", job, "--stats", stats_file)
    expect_ok(p, "a run with --stats")
    # The run's statistics and the job's record (what a later --resume compares), nothing else.
    if sorted(os.listdir(os.path.join(store, ".zpmpi"))) != ["record.json", "stats.json"]:
        sys.exit(f"FAIL: {store}/.zpmpi holds {sorted(os.listdir(os.path.join(store, '.zpmpi')))}, "
                 "not record.json and stats.json alone")
    if _read(kept) != _read(stats_file):
        sys.exit(f"FAIL: {kept} and --stats {stats_file} differ:\n{_read(kept)!r}\n{_read(stats_file)!r}")
    if os.stat(kept).st_mtime_ns > os.stat(os.path.join(store, ".zmetadata")).st_mtime_ns:
        sys.exit("FAIL: stats.json was written after .zmetadata")
    s = json.loads(_read(kept))
    _check_stats(s, store, a.ranks, "stats.json of a run with --stats")
    summary = (f"done: {s['arrays']} arrays, {s['chunks']} chunks; read ", f" in {s['seconds']:.2f} s, ")
    if not all(part in p.stdout for part in summary):
        sys.exit(f"FAIL: the closing summary does not quote the stats' totals {summary}:\n{p.stdout}")
    print(f"ok {kept}: {a.ranks} ranks, {s['chunks']} chunks and {s['bytes_written']} bytes as on disk, "
          f"waiting {[round(x['seconds_wait'], 3) for x in s['per_rank']]} s; the same as --stats; the summary "
          "quotes it")

    arrays = sorted(d for d in os.listdir(store) if os.path.isfile(os.path.join(store, d, ".zarray")))
    group = sorted(zarr.open_group(store, mode="r").array_keys())
    if group != arrays:
        sys.exit(f"FAIL: zarr lists {group}, the store has the arrays {arrays}")
    for consolidated in (True, False):
        ds = oracle.open_zarr(store, consolidated=consolidated)
        names = sorted(list(ds.variables))
        if names != arrays:
            sys.exit(f"FAIL: xr.open_zarr(consolidated={consolidated}) gives {names}, not {arrays}")
    print(f"ok zarr and xarray (consolidated or not) see the {len(arrays)} arrays, not .zpmpi")

    before = _read(kept)
    p = r.run(a.ranks, "verify", "--config", job)
    expect_ok(p, "verify of a store with its stats")
    p = r.run(a.ranks, "--config", job, "--resume")
    expect_ok(p, "--resume of a complete store")
    if "nothing to resume" not in p.stdout or _read(kept) != before:
        sys.exit(f"FAIL: --resume of a complete store changed it or did not say so:\n{p.stdout}")
    print("ok verify passes with .zpmpi/stats.json; --resume of the complete store keeps it")

    job = r.job("again", source=source, store=store, chunks={"time": 6}, overwrite=True)
    p = r.run(a.ranks, "--config", job)
    expect_ok(p, "replacing the store, no --stats")
    s = json.loads(_read(kept))
    _check_stats(s, store, a.ranks, "stats.json of the replacing run")
    if sorted(os.listdir(os.path.join(store, ".zpmpi"))) != ["record.json", "stats.json"] or s == json.loads(before):
        sys.exit(f"FAIL: the replaced store's .zpmpi is not the new run's stats and record alone: {s}")
    left = [e for e in os.listdir(r.work) if re.match(r"\.s\.zarr\.zpmpi-(new|old)-", e)]
    if left:
        sys.exit(f"FAIL: copies left beside the store: {left}")
    print(f"ok replacing the store: its stats.json is the new run's ({s['chunks']} chunks), no copy left")


def case_stats_guard(r, a):
    """Issue 25, item 7: --stats / "stats" naming the source, the job file or a file of the
    store overwrote it (even when the run was refused). Each is refused before anything
    runs, in one line naming the key, and the file is left byte for byte."""
    from cases import expect_error, expect_ok
    import shutil
    source = os.path.join(r.work, "src.nc")
    shutil.copyfile(r.sample("nc4"), source)
    store = r.store("g.zarr")
    job = r.job("job", source=source, store=store, chunks=CHUNKS)
    expect_ok(r.run(1, "--config", job), "the store to protect")
    keep = {p: _read(p) for p in (source, job, os.path.join(store, ".zmetadata"))}
    chunk = next(os.path.join(store, "t2m", f) for f in sorted(os.listdir(os.path.join(store, "t2m")))
                 if f[0].isdigit())
    keep[chunk] = _read(chunk)
    copy = os.path.join(r.work, ".g.zarr.zpmpi-new-host-1", "stats.json")
    # The store exists: without --overwrite the run itself would be refused too.
    for target, more, why in [(source, [], "over the source"), (source, ["--overwrite"], "over the source"),
                              (job, ["--overwrite"], "over the job file"),
                              (os.path.join(store, ".zmetadata"), [], "inside the store"),
                              (chunk, ["--overwrite"], "inside the store"),
                              (copy, ["--overwrite"], "inside " + os.path.dirname(copy) + ", a copy or the lock")]:
        p = r.run(1, "--config", job, "--stats", target, *more)
        expect_error(p, f"--stats {target} {more}", 2, f"--stats {target}: refusing to write the run's summary {why}")
    p = r.run(1, "--config", r.job("keyed", source=source, store=store, chunks=CHUNKS, stats=source, overwrite=True))
    expect_error(p, "\"stats\": the source", 2, f"keyed.json: stats {source}: refusing to write the run's summary "
                 "over the source")
    for path, before in keep.items():
        if _read(path) != before:
            sys.exit(f"FAIL: {path} changed")
    if os.path.exists(os.path.dirname(copy)):
        sys.exit(f"FAIL: {os.path.dirname(copy)} was created")
    # A job refused before its stats path could be judged does not write over an existing file.
    bad = r.job("bad", source=source, store=store, chunks={"time": -3})
    p = r.run(1, "--config", bad, "--stats", source)
    if p.returncode != 2 or _read(source) != keep[source] or "not written over" not in p.stderr:
        sys.exit(f"FAIL: a refused job with --stats SOURCE: exit {p.returncode}, source "
                 f"{'kept' if _read(source) == keep[source] else 'overwritten'}\n{p.stderr}")
    expect_ok(r.run(1, "verify", "--config", job), "verify of the protected store")
    print("ok --stats / \"stats\" naming the source, the job file, the store's files or its copy: refused "
          "in one line, nothing changed")
