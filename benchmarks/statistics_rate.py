#!/usr/bin/env python3
"""`zpmpi statistics` against the rate at which zpmpi decodes the same store (issue 28: "reads
at >= 80 % of the decode rate").

  /usr/bin/python3 benchmarks/statistics_rate.py [--ranks 2] [--pairs 5] [--source NC] [--work DIR]

A store is written once from the benchmark's small source (benchmarks/data/era5_small.nc,
made by run.sh) with zstd level 1 and chunks of (4, 361, 720): 48 chunks per variable.
Then, alternately (`sync` and 3 s before each, as benchmarks/README.md advises on this VM):
  floor       build-bench or build's stage_probe reads and decodes every chunk of the store
              through zpmpi's own Source (a kerchunk set of the store's chunk files), on one
              core: the decode rate of one rank; times the ranks, the floor of N ranks
  statistics  mpirun -n N zpmpi statistics --store S: wall time of the whole command (MPI
              start, listing, plan, work, the attributes written), and the job's own time
              (its "done:" line: from the job's start on rank 0 to the attributes written), and
              its work alone (the rate of its last progress line: reading, decoding and
              accumulating every chunk on every rank)
The ratios are statistics rate / (N x one core's decode rate), medians of the pairs.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def tool(name):
    for build in ("build-bench", "build"):
        path = os.path.join(ROOT, build, "benchmarks", name) if name == "stage_probe" else os.path.join(ROOT, build, name)
        if os.access(path, os.X_OK):
            return path
    sys.exit(f"statistics_rate: no {name}: build it (benchmarks/run.sh builds stage_probe in build-bench/)")


def make_store(zpmpi, source, work, ranks):
    store = os.path.join(work, "stats_rate.zarr")
    if not os.path.exists(os.path.join(store, ".zmetadata")):
        job = os.path.join(work, "stats_rate.json")
        with open(job, "w") as f:
            json.dump({"source": {"uri": source}, "store": store, "overwrite": True,
                       "compressor": {"id": "zstd", "level": 1},
                       "chunks": {"time": 4, "latitude": 361, "longitude": 720}}, f)
        subprocess.run(["mpirun", "-n", str(ranks), zpmpi, "--config", job, "-q"], env=ENV, check=True)
    refs = {}  # the store's chunk files as a kerchunk set, for stage_probe
    meta = json.load(open(os.path.join(store, ".zmetadata")))["metadata"]
    for key, doc in meta.items():
        refs[key] = json.dumps(doc)
        if key.endswith("/.zarray"):
            array = key[:-len("/.zarray")]
            for f in os.listdir(os.path.join(store, array)):
                if not f.startswith("."):
                    refs[f"{array}/{f}"] = [os.path.join(store, array, f)]
    path = os.path.join(work, "stats_rate_refs.json")
    with open(path, "w") as f:
        json.dump({"version": 1, "refs": refs}, f)
    data_vars = [k[:-len("/.zarray")] for k, v in meta.items()
                 if k.endswith("/.zarray") and len(v["shape"]) == 3]
    return store, path, data_vars


def quiet():
    subprocess.run(["sync"])
    time.sleep(3)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--source", default=os.path.join(ROOT, "benchmarks", "data", "era5_small.nc"))
    p.add_argument("--work", default=os.path.join(ROOT, "benchmarks", "data", "work"))
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    zpmpi, probe = tool("zpmpi"), tool("stage_probe")
    store, refs, data_vars = make_store(zpmpi, a.source, a.work, a.ranks)
    floor, command, job, work = [], [], [], []
    for _ in range(a.pairs):
        quiet()
        out = subprocess.run([probe, "read", refs, "zpmpi", "4", "all", *data_vars], env=ENV, check=True,
                             capture_output=True, text=True).stdout.split()
        seconds, nbytes = float(out[0]), int(out[1])
        floor.append(nbytes / 1e6 / seconds * a.ranks)
        quiet()
        t0 = time.monotonic()
        run = subprocess.run(["mpirun", "-n", str(a.ranks), zpmpi, "statistics", "--store", store],
                             env=ENV, check=True, capture_output=True, text=True)
        command.append(nbytes / 1e6 / (time.monotonic() - t0))
        done = re.search(r"decoded \S+ in ([0-9.]+) s", run.stderr + run.stdout)
        job.append(nbytes / 1e6 / float(done.group(1)))
        last = re.findall(r"progress: .* decoded, ([0-9.]+) MB/s", run.stderr + run.stdout)
        work.append(float(last[-1]))
    f, c, j = statistics.median(floor), statistics.median(command), statistics.median(job)
    print(f"store {store}: {nbytes / 1e6:.0f} MB of {', '.join(data_vars)} decoded, {a.ranks} ranks, {a.pairs} pairs")
    print(f"decode floor ({a.ranks} x one core's stage_probe read): median {f:.0f} MB/s  {[round(x) for x in floor]}")
    print(f"zpmpi statistics (wall time of the command):          median {c:.0f} MB/s  {[round(x) for x in command]}")
    print(f"zpmpi statistics (its job, without MPI start and end): median {j:.0f} MB/s  {[round(x) for x in job]}")
    w = statistics.median(work)
    print(f"zpmpi statistics (its work: the last progress line):  median {w:.0f} MB/s  {[round(x) for x in work]}")
    print(f"ratio: {c / f:.2f} (command), {j / f:.2f} (job), {w / f:.2f} (work)")


if __name__ == "__main__":
    main()
