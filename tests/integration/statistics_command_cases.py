"""Issue 28: `zpmpi statistics --store S [--config job.json]` recomputes a store's statistics
from its chunks (imported by cases.py: `case_*` functions only).

  statistics_command    stores written without statistics (v2, v3, v3 with shards), then
                        `zpmpi statistics` on 2 ranks x 2 workers: every "statistics"
                        attribute equals, bit for bit, the one a run with the job's
                        statistics writes (the jobs of statistics_cases.py: by two dims, a
                        time window), in the array documents and in the consolidated
                        metadata xarray (v2) reads; without --config, every data variable;
                        every other file byte-identical; a second run changes nothing; no
                        reference file or lock left beside the store
  statistics_command_refusals   no store, a link, an incomplete store, a by dim no variable
                        has, a failing rank, a store whose lock is held: exit non-zero, one
                        line, the store byte-identical
"""
import json
import os
import sys

from statistics_cases import CHUNKS, JOBS, _source, attributes_of, canonical, statistics_of

LAYOUTS = {"v2": {}, "v3": {"zarr_format": 3}, "v3 shards": {"zarr_format": 3, "shards": "auto"}}
METADATA = {".zattrs", ".zmetadata", "zarr.json"}


def _files(store):
    """{relative path: bytes} of every file of the store."""
    out = {}
    for root, _, files in os.walk(store):
        for f in files:
            path = os.path.join(root, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, store)] = fh.read()
    return out


def _beside(r, store):
    """What zpmpi left beside the store (its reference file, its lock)."""
    name = os.path.basename(store)
    return [e for e in os.listdir(r.work) if e.startswith("." + name + ".zpmpi")]


def _consolidated_statistics(store, fmt):
    """{array: statistics} as the consolidated metadata holds them."""
    if fmt == "v2":
        with open(os.path.join(store, ".zmetadata")) as f:
            meta = json.load(f)["metadata"]
        return {k[:-len("/.zattrs")]: canonical(v["statistics"]) for k, v in meta.items()
                if k.endswith("/.zattrs") and "statistics" in v}
    with open(os.path.join(store, "zarr.json")) as f:
        meta = json.load(f)["consolidated_metadata"]["metadata"]
    return {k: canonical(v["attributes"]["statistics"]) for k, v in meta.items()
            if "statistics" in v.get("attributes", {})}


def _statistics_run(r, store, *args):
    from cases import expect_ok
    expect_ok(r.run(2, "statistics", "--store", store, "--workers", "2", *args), f"zpmpi statistics {args}")


def case_statistics_command(r, a):
    from cases import expect_ok
    source = _source(r.work)
    for layout, keys in LAYOUTS.items():
        tag = layout.replace(" ", "_")
        plain = r.store(f"plain_{tag}.zarr")
        expect_ok(r.run(1, "--config", r.job(f"plain_{tag}", source=source, store=plain, chunks=CHUNKS, **keys)),
                  f"{layout}: a store without statistics")
        before = _files(plain)
        for job, statistics in [("all", True), ("by_lat_time", JOBS["by_lat_time"]),
                                ("window_by_lat", JOBS["window_by_lat"])]:
            ref = r.store(f"ref_{tag}_{job}.zarr")
            expect_ok(r.run(1, "--config", r.job(f"ref_{tag}_{job}", source=source, store=ref, chunks=CHUNKS,
                                                 statistics=statistics, **keys)), f"{layout} {job}: reference run")
            want = statistics_of(ref)
            extra = () if job == "all" else ("--config", r.job(f"stats_{tag}_{job}", store=plain, statistics=statistics))
            summary = os.path.join(r.work, f"stats_{tag}_{job}.summary.json")
            _statistics_run(r, plain, *extra, "--stats", summary)
            got = statistics_of(plain)
            if got != want:
                diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
                sys.exit(f"FAIL {layout} {job}: zpmpi statistics differs from the run's for {diff}:\n"
                         f"  got  {got.get(diff[0])}\n  want {want.get(diff[0])}")
            with open(summary) as f:
                told = json.load(f)
            if not told["ok"] or told["source"] != plain or canonical(told["statistics"]) != \
                    canonical({k: json.loads(v) for k, v in want.items()}):
                sys.exit(f"FAIL {layout} {job}: the --stats summary does not carry the store and its statistics: "
                         f"{ {k: told[k] for k in ('ok', 'source')} }")
            if _consolidated_statistics(plain, layout) != want:
                sys.exit(f"FAIL {layout} {job}: the consolidated metadata does not hold the new statistics")
            after = _files(plain)
            changed = sorted(k for k in set(before) | set(after)
                             if before.get(k) != after.get(k) and os.path.basename(k) not in METADATA)
            if changed or sorted(before) != sorted(after):
                sys.exit(f"FAIL {layout} {job}: zpmpi statistics changed {changed or 'the file list'}")
            if _beside(r, plain):
                sys.exit(f"FAIL {layout} {job}: left {_beside(r, plain)} beside the store")
        again = _files(plain)
        _statistics_run(r, plain, "--config", r.job(f"again_{tag}", store=plain, statistics=JOBS["window_by_lat"]))
        if _files(plain) != again:
            sys.exit(f"FAIL {layout}: a second zpmpi statistics of the same job changed the store")
        if layout != "v2":  # strict JSON that zarrita reads (the statistics hold NaN)
            import oracle_v3
            if not oracle_v3.zarrita_missing():
                oracle_v3.read_with_zarrita(plain)
        if layout == "v2":
            import xarray as xr
            ds = xr.open_zarr(plain, consolidated=True)
            if canonical(ds["t2m"].attrs["statistics"]) != statistics_of(plain)["t2m"]:
                sys.exit("FAIL v2: xarray does not read the new statistics")
        print(f"ok {layout}: zpmpi statistics (2 ranks x 2 workers) equals the run's statistics bit for bit for "
              f"every data variable (all, by lat and time, a time window); only the attribute documents changed")


def case_statistics_command_refusals(r, a):
    from cases import expect_error, expect_ok
    source = _source(r.work)
    store = r.store("kept.zarr")
    expect_ok(r.run(1, "--config", r.job("kept", source=source, store=store, chunks=CHUNKS)), "a store")
    before = _files(store)
    link = os.path.join(r.work, "link.zarr")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("kept.zarr", link)
    os.makedirs(os.path.join(r.store("unfinished.zarr"), "t2m"))
    cases = [
        ("no store", ("--store", os.path.join(r.work, "none.zarr")), 1, "statistics: no store at "),
        ("a link", ("--store", os.path.join(r.work, "link.zarr")), 1, "is a symbolic link"),
        ("an incomplete store", ("--store", os.path.join(r.work, "unfinished.zarr")), 2,
         "not a complete Zarr store"),
        ("a by dim no variable has", ("--config", r.job("bad_by", store=store, statistics={"by": ["level"]})), 2,
         "has no dim 'level' (its dims: time, lat, lon)"),
    ]
    for what, args, code, message in cases:
        expect_error(r.run(2, "statistics", *args), what, code, message)
        if _files(store) != before or _beside(r, store):
            sys.exit(f"FAIL {what}: the store changed, or something was left beside it")
    # A rank that fails: every rank exits 1, nothing written, the lock and reference file gone.
    expect_error(r.run(2, "statistics", "--store", store, env={"ZPMPI_TEST_FAIL_RANK": "1"}), "a failing rank", 1,
                 "injected failure")
    if _files(store) != before or _beside(r, store):
        sys.exit(f"FAIL a failing rank: the store changed, or {_beside(r, store)} was left beside it")
    # A lock held by a live process (this one): refused, the lock left in place.
    import socket
    with open(f"/proc/{os.getpid()}/stat") as f:
        start = f.read().rsplit(")", 1)[1].split()[19]  # field 22
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot = f.read().strip()
    lock = os.path.join(r.work, ".kept.zarr.zpmpi-lock")
    with open(lock, "w") as f:
        f.write(f"zpmpi-lock 1\nhost={socket.gethostname()}\npid={os.getpid()}\nstart_time={start}\n"
                f"boot_id={boot}\nslurm_job_id=\nstore={store}\n")
    expect_error(r.run(2, "statistics", "--store", store), "a held lock", 1, "kept.zarr")
    if _files(store) != before or _beside(r, store) != [".kept.zarr.zpmpi-lock"]:
        sys.exit("FAIL a held lock: the store changed, or the lock was touched")
    os.remove(lock)
    print(f"ok {len(cases) + 2} refusals: one line each, the store byte-identical, nothing left beside it")
