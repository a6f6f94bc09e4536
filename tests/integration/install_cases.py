"""`cmake --install` (issue 14): the install tree's layout, and the installed zpmpi runs.

case install: installs the build that holds --zpmpi into a fresh prefix under the workdir
and checks bin/zpmpi (runs: --version with the library versions, and `plan` on the example
job's shape over a sample), share/zpmpi/jobscripts/zpmpi.sbatch (executable, valid bash)
and share/zpmpi/examples/job.json (a job file zpmpi accepts).
"""
import json
import os
import shutil
import subprocess
import sys


def case_install(r, a):
    from cases import ENV
    build = os.path.dirname(r.zpmpi)
    prefix = os.path.join(r.work, "prefix")
    shutil.rmtree(prefix, ignore_errors=True)
    p = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"cmake --install failed:\n{p.stdout}\n{p.stderr}"
    files = sorted(os.path.relpath(os.path.join(d, f), prefix) for d, _, fs in os.walk(prefix) for f in fs)
    want = ["bin/zpmpi", "share/zpmpi/examples/job.json", "share/zpmpi/jobscripts/zpmpi.sbatch"]
    if files != want:
        sys.exit(f"FAIL: install tree {files}, expected {want}")
    for exe in ("bin/zpmpi", "share/zpmpi/jobscripts/zpmpi.sbatch"):
        assert os.access(os.path.join(prefix, exe), os.X_OK), f"{exe} is not executable"
    subprocess.run(["bash", "-n", os.path.join(prefix, want[2])], check=True, timeout=30)
    zpmpi = os.path.join(prefix, "bin", "zpmpi")
    v = subprocess.run([zpmpi, "--version"], env=ENV, capture_output=True, text=True, timeout=60)
    assert v.returncode == 0 and v.stdout.startswith("zpmpi ") and "  netCDF-C: " in v.stdout, v.stdout + v.stderr
    # The example job, pointed at a sample (its own paths are a user's), is accepted.
    with open(os.path.join(prefix, want[1])) as f:
        job = json.load(f)
    job["source"]["uri"] = r.sample("nc4")
    job["store"] = os.path.join(r.work, "example.zarr")
    job["recommendations"] = "warn"
    job["preprocessors"] = [s for s in job["preprocessors"] if s["type"] != "sel"]
    path = r.job("example", **job)
    p = subprocess.run([zpmpi, "plan", "--config", path, "--ranks", "4", "--json"], env=ENV, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, f"the installed zpmpi refused the example job:\n{p.stdout}\n{p.stderr}"
    plan = json.loads(p.stdout)
    print(f"ok install tree {files}; installed zpmpi plans the example job: {plan['chunks']} chunks on 4 ranks")
