"""`zpmpi plan` (issue 14): the report's figures against a real run of the same job.

case plan_matches_run --ranks N: for a few jobs (edge chunks and a tight memory limit; a
reversed, selected and strided chain over a compressed variable), `zpmpi plan --ranks N
--json` run alone (no mpirun) must be valid JSON, write nothing, and agree with the --stats
file of `mpirun -n N zpmpi` and the store it wrote: regions, chunks per rank and in all,
bytes needed, decoded and raw (per rank and in all), chunk and metadata files, and bytes
written when nothing is compressed. The text report names the same figures.
"""
import json
import os
import subprocess
import sys

JOBS = [
    ("edge", dict(chunks={"time": 4, "latitude": 10, "longitude": 20}, memory_limit="300kB", compressor=None)),
    ("chain", dict(variables=["t2m", "d2m", "q"], chunks={"time": 2, "latitude": 8},
                   preprocessors=[{"type": "reverse_axis", "dim": "latitude"},
                                  {"type": "sel", "latitude": [-30, 60]},
                                  {"type": "isel", "time": [1, 28, 3]}],
                   recommendations="warn", memory_limit="300kB", workers=2)),
    # expand_dims: a broadcast dim (3 chunks of 1, each from the same source reads: the
    # hyperslab holds no new dim) and a transpose after it
    ("expand", dict(variables=["t2m", "d2m"], chunks={"time": 5, "latitude": 8},
                    preprocessors=[{"type": "expand_dims", "dim": {"member": 3}, "axis": 1},
                                   {"type": "transpose", "dims": ["latitude", "..."]}],
                    memory_limit="300kB")),
]


def _store_files(store):
    chunks = metadata = 0
    for root, dirs, files in os.walk(store):
        if root == store and ".zpmpi" in dirs:
            dirs.remove(".zpmpi")  # the run's statistics, not a file the plan creates
        for f in files:
            if f.startswith("."):
                metadata += 1
            else:
                chunks += 1
    return chunks, metadata


def case_plan_matches_run(r, a):
    from cases import ENV, expect_ok, _chunk_files
    source = r.sample("nc4")
    for name, keys in JOBS:
        store = r.store(f"{name}.zarr")
        stats = os.path.join(r.work, f"{name}.stats.json")
        job = r.job(name, source=source, store=store, **keys)
        cmd = [r.zpmpi, "plan", "--config", job, "--ranks", str(a.ranks), "--json"]
        p = subprocess.run(cmd, env=ENV, capture_output=True, encoding="utf-8", timeout=60, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, f"{' '.join(cmd)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
        try:
            plan = json.loads(p.stdout)
        except json.JSONDecodeError as e:
            sys.exit(f"FAIL: plan --json is not one JSON document ({e}):\n{p.stdout}")
        assert not os.path.exists(store), f"zpmpi plan wrote {store}"
        text = subprocess.run(cmd[:-1], env=ENV, capture_output=True, encoding="utf-8", timeout=60,
                              stdin=subprocess.DEVNULL)
        want_line = f"plan: {plan['regions']} regions over {plan['num_jobs']} jobs on {a.ranks} ranks"
        assert text.returncode == 0 and want_line in text.stdout, f"text report lacks {want_line!r}:\n{text.stdout}"
        assert f"files: {plan['files']['chunks']} chunks" in text.stdout, text.stdout

        run = r.run(a.ranks, "--config", job, "--stats", stats)
        expect_ok(run, f"run of {name}")
        with open(stats) as f:
            s = json.load(f)
        problems = []

        def same(what, planned, got):
            if planned != got:
                problems.append(f"{what}: plan {planned!r}, run {got!r}")

        same("ranks", plan["ranks"], s["ranks"])
        same("regions", plan["regions"], s["plan"]["regions"])
        same("peak memory per rank", plan["peak_memory_per_rank"], s["plan"]["buffers_per_rank"])
        for key in ("chunks", "bytes_needed", "bytes_decoded", "bytes_raw"):
            same(key, plan[key], s[key])
            same(f"{key} per rank", [x[key] for x in plan["per_rank"]], [x[key] for x in s["per_rank"]])
        same("read_amplification", round(plan["read_amplification"], 9), round(s["read_amplification"], 9))
        chunk_files, metadata_files = _store_files(store)
        same("chunk files", plan["files"]["chunks"], chunk_files)
        same("metadata files", plan["files"]["metadata"], metadata_files)
        same("arrays", sorted(x["name"] for x in plan["arrays"]), plan_names(store))
        if keys.get("compressor", "zstd") is None:
            same("bytes written (no compressor)", plan["bytes_raw"], sum(sum(v) for v in _chunk_files(store).values()))
        if problems:
            sys.exit(f"FAIL: plan of {name} vs its run on {a.ranks} ranks:\n  " + "\n  ".join(problems))
        print(f"ok plan of {name} on {a.ranks} ranks = the run: {plan['regions']} regions, {plan['chunks']} chunks, "
              f"{plan['bytes_needed']} B needed, {plan['bytes_decoded']} B decoded, {plan['bytes_raw']} B raw")


def plan_names(store):
    with open(os.path.join(store, ".zmetadata")) as f:
        meta = json.load(f)["metadata"]
    names = [k.split("/")[0] for k in meta if k.endswith("/.zarray")]
    return sorted(names)


def case_plan_stop(r, a):
    """Issue 25, item 12: `zpmpi plan` of a huge grid ignored SIGTERM and ^C (11 minutes
    through `timeout`): planning and its report now end promptly, with a non-zero status
    and one line naming the signal. The grid: 10^4 x 10^4 one-element chunks of a netCDF-4
    variable nothing was written to (a small file), max_chunks raised to allow them."""
    import signal
    import time
    import netCDF4
    from cases import ENV
    source = os.path.join(r.work, "huge.nc")
    with netCDF4.Dataset(source, "w") as ds:
        ds.createDimension("y", 10_000)
        ds.createDimension("x", 10_000)
        ds.createVariable("v", "u1", ("y", "x"), chunksizes=(1, 1))
    job = r.job("huge", source=source, store=os.path.join(r.work, "huge.zarr"), chunks={"y": 1, "x": 1},
                max_chunks=10**9)
    for sig in (signal.SIGTERM, signal.SIGINT):
        p = subprocess.Popen([r.zpmpi, "plan", "--config", job], env=ENV, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
        time.sleep(2)
        assert p.poll() is None, f"zpmpi plan ended before the signal: exit {p.returncode}\n{p.communicate()}"
        sent = time.monotonic()
        p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            sys.exit(f"FAIL: zpmpi plan still running 10 s after {sig.name}")
        took = time.monotonic() - sent
        errors = [line for line in err.splitlines() if "error:" in line]
        if p.returncode == 0 or len(errors) != 1 or f"interrupted by {sig.name} while planning" not in errors[0]:
            sys.exit(f"FAIL: zpmpi plan after {sig.name}: exit {p.returncode}\nstdout:\n{out}\nstderr:\n{err}")
        print(f"ok zpmpi plan of 10^8 chunks: {sig.name} ended it in {took:.2f} s, exit {p.returncode}")
