#!/usr/bin/python3
"""Reading a kerchunk reference set from a local S3 server (moto, signed requests) against
the same references to the local file, in the same session, alternately.

usage: s3_vs_local.py SAMPLE.nc --zpmpi BUILD/zpmpi [--ranks 2] [--runs 5] [--moto-python PY]
                      [--endpoint URL --key K --secret S]

Without --endpoint the server is moto (tests/s3_server.py), which copies the whole object
for every range it serves: it measures moto, not the client. With --endpoint, a server that
already holds the sample as s3://bench/<its name>, e.g. npm's s3rver 3.7.1 (Node, serves
ranges from files):
  npm install s3rver@3.7.1 && s3rver -d DIR -a 127.0.0.1 -p 4568 --configure-bucket bench
  curl --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER \
       -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T sample.nc http://127.0.0.1:4568/bench/sample.nc
  s3_vs_local.py sample.nc --zpmpi build/zpmpi --endpoint http://127.0.0.1:4568 --key S3RVER --secret S3RVER

SAMPLE.nc: e.g. scripts/make_sample.py sample.nc --hours 24 --chunk-hours 1 --zlib. Each
run converts every variable with chunks {"time": 24} (zstd 1) into a fresh store; the time
is the run's wall time (mpirun included). Prints each run and the median of each side.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import make_refs  # noqa: E402
import s3_cases  # noqa: E402


def run(zpmpi, ranks, work, tag, source, env):
    store = os.path.join(work, tag + ".zarr")
    subprocess.run(["rm", "-rf", store], check=True)
    job = os.path.join(work, tag + ".job.json")
    with open(job, "w") as f:
        json.dump({"source": source, "store": store, "chunks": {"time": 24}, "log_level": 0}, f)
    t0 = time.perf_counter()
    p = subprocess.run(["mpirun", "-n", str(ranks), "--oversubscribe", zpmpi, "--config", job], env=env,
                       capture_output=True, text=True, timeout=600)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{tag}: exit {p.returncode}\n{p.stderr}")
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sample")
    ap.add_argument("--zpmpi", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--moto-python", default=None)
    ap.add_argument("--endpoint")
    ap.add_argument("--key")
    ap.add_argument("--secret")
    a = ap.parse_args()
    python = None if a.endpoint else a.moto_python or s3_cases.moto_python()
    if not python and not a.endpoint:
        sys.exit("no Python with moto and boto3 (or give --endpoint)")
    work = tempfile.mkdtemp(prefix="s3bench-")
    sample = os.path.abspath(a.sample)
    local, remote = os.path.join(work, "local.json"), os.path.join(work, "s3.json")
    link = os.path.join(work, os.path.basename(sample))  # the references name it relative to themselves
    os.symlink(sample, link)
    make_refs.make_refs(local, [link])
    make_refs.make_refs(remote, [link], url_prefix="s3://bench/")
    if a.endpoint:
        server, options = None, {"key": a.key, "secret": a.secret, "endpoint_url": a.endpoint}
    else:
        server = s3_cases.S3Server(python, work, "bench", {"bench/" + os.path.basename(sample): (sample, False)}, auth=True)
        options = server.options()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    times = {"local": [], "s3": []}
    try:
        for i in range(a.runs):
            times["local"].append(run(a.zpmpi, a.ranks, work, "local", {"uri": local}, env))
            times["s3"].append(run(a.zpmpi, a.ranks, work, "s3", {"uri": remote, "remote_options": options}, env))
            print(f"run {i + 1}: local {times['local'][-1]:.2f} s, s3 {times['s3'][-1]:.2f} s", flush=True)
    finally:
        if server:
            server.close()
    lm, sm = statistics.median(times["local"]), statistics.median(times["s3"])
    size = os.path.getsize(sample)
    print(f"median: local {lm:.2f} s ({size / lm / 1e6:.0f} MB/s of the file), s3 {sm:.2f} s "
          f"({size / sm / 1e6:.0f} MB/s): s3 at {lm / sm:.0%} of the local rate")


if __name__ == "__main__":
    main()
