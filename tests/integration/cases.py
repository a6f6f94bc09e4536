#!/usr/bin/python3
"""Integration cases: run the real zpmpi binary under mpirun and check what it leaves.

usage: cases.py --zpmpi BIN --mpirun MPIRUN --workdir DIR CASE [options]
CASE: convert | identical | bad_inputs | fail_rank | renames | cli | chains | recommendations |
      bad_preprocessors
"""
import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402
import samples  # noqa: E402

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
COMPRESSORS = {"zstd": {"id": "zstd", "level": 1}, "lz4": {"id": "lz4", "acceleration": 1}, "none": None}


class Runner:
    def __init__(self, args):
        self.zpmpi, self.mpirun, self.work = args.zpmpi, args.mpirun, args.workdir
        self.samples = os.path.join(os.path.dirname(self.work.rstrip("/")), "samples")
        os.makedirs(self.work, exist_ok=True)

    def sample(self, kind):
        return samples.sample(kind, self.samples)

    def job(self, name, **keys):
        path = os.path.join(self.work, name + ".json")
        with open(path, "w") as f:
            f.write(keys.pop("_text") if "_text" in keys else json.dumps(keys))
        return path

    def run(self, ranks, *args, env=None, timeout=120):
        cmd = [self.mpirun, "-n", str(ranks), "--oversubscribe", self.zpmpi, *args]
        try:
            p = subprocess.run(cmd, env=dict(ENV, **(env or {})), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            sys.exit(f"FAIL: {' '.join(cmd)} did not finish in {timeout} s (a hang)")
        return p

    def store(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        return path


def expect_ok(p, what):
    if p.returncode != 0:
        sys.exit(f"FAIL: {what}: exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    assert "done:" in p.stdout, f"{what}: no summary line in\n{p.stdout}"


def error_lines(p):
    return [line for line in p.stderr.splitlines() if line.startswith("zpmpi") and "error:" in line]


def expect_error(p, what, code, message):
    lines = error_lines(p)
    assert p.returncode == code, f"{what}: exit {p.returncode}, expected {code}\n{p.stderr}"
    assert len(lines) == 1, f"{what}: expected one error line, got {lines}\n{p.stderr}"
    assert message in lines[0], f"{what}: {message!r} not in {lines[0]!r}"
    print(f"ok {what}: {lines[0]}")


def case_convert(r, a):
    source = r.sample(a.sample)
    chunks = json.loads(a.chunks)
    store = r.store("out.zarr")
    job = r.job("job", source={"uri": source}, chunks=chunks, store=store,
                compressor=COMPRESSORS[a.compressor], memory_limit=a.memory_limit,
                cache_label="_v1", add_attrs={"preprocessor_hash": "abc123"})
    p = r.run(a.ranks, "--config", job, "--log-level", "2")
    expect_ok(p, "convert")
    print(p.stdout)
    oracle.check(source, store, extra_attrs={"cache_label": "_v1", "preprocessor_hash": "abc123"},
                 chunks=chunks, compressor=a.compressor)
    leftovers = [f for _, _, files in os.walk(store) for f in files if ".tmp" in f]
    assert not leftovers, f"temporary files left: {leftovers}"


def tree(store):
    out = {}
    for root, _, files in os.walk(store):
        for f in files:
            path = os.path.join(root, f)
            out[os.path.relpath(path, store)] = path
    return out


def case_identical(r, a):
    source = r.sample(a.sample)
    chunks = {"time": 4, "latitude": 10, "longitude": 20}
    stores = []
    for ranks in (1, 4):
        store = r.store(f"n{ranks}.zarr")
        job = r.job(f"job{ranks}", source=source, chunks=chunks, store=store, memory_limit="200kB")
        expect_ok(r.run(ranks, "--config", job), f"-n {ranks}")
        stores.append(tree(store))
    assert stores[0].keys() == stores[1].keys(), set(stores[0]) ^ set(stores[1])
    for key in stores[0]:
        assert filecmp.cmp(stores[0][key], stores[1][key], shallow=False), f"{key} differs between -n 1 and -n 4"
    print(f"ok: {len(stores[0])} files identical")


def case_renames(r, a):
    source = r.sample("nc4")
    store = r.store("renamed.zarr")
    job = r.job("job", source=source, store=store,
                variables={"t2m": [{"type": "rename", "new_name": "temp2m"}], "d2m": []},
                preprocessors=[{"type": "rename", "var_id": "d2m", "new_name": "dewpoint"}])
    expect_ok(r.run(2, "--config", job), "renames")
    oracle.check(source, store, variables=["t2m", "d2m"], renames={"t2m": "temp2m", "d2m": "dewpoint"})
    print("ok renames")


def case_fail_rank(r, a):
    source = r.sample("nc4")
    for ranks in (2, 4):
        store = r.store(f"fail{ranks}.zarr")
        job = r.job(f"job{ranks}", source=source, store=store, chunks={"time": 2})
        p = r.run(ranks, "--config", job, env={"ZPMPI_TEST_FAIL_RANK": "1"}, timeout=60)
        expect_error(p, f"fail rank 1 of {ranks}", 1, "rank 1: injected failure")
        assert not os.path.exists(store), f"incomplete store {store} left behind"


def case_cli(r, a):
    p = r.run(1, "--help")
    assert p.returncode == 0 and "--memory-limit" in p.stdout, p.stdout + p.stderr
    p = r.run(1, "--version")
    assert p.returncode == 0 and p.stdout.startswith("zpmpi "), p.stdout
    expect_error(r.run(2, "--config", "x.json", "--frobnicate"), "unknown flag", 2, "frobnicate")
    expect_error(r.run(1), "no --config", 2, "--config FILE is required")
    source = r.sample("nc4")
    store = r.store("cli.zarr")
    job = r.job("job", source=source, store=os.path.join(r.work, "unused.zarr"), chunks={"time": 30})
    p = r.run(2, "--config", job, "--store", store, "--memory-limit", "3MB", "--num-jobs", "5", "--log-level", "2")
    expect_ok(p, "overrides")
    assert "5 jobs" in p.stdout and "memory_limit 3MB" in p.stdout, p.stdout
    assert not os.path.exists(os.path.join(r.work, "unused.zarr"))
    oracle.check(source, store)
    print("ok cli")


def case_bad_inputs(r, a):
    source = r.sample("nc4")
    store = os.path.join(r.work, "bad.zarr")

    def bad(name, code, message, text=None, args=(), **keys):
        shutil.rmtree(store, ignore_errors=True)
        keys.setdefault("source", source)
        keys.setdefault("store", store)
        job = r.job(name, _text=text) if text is not None else r.job(name, **keys)
        p = r.run(2, "--config", job, *args)
        expect_error(p, name, code, message)
        assert not os.path.exists(store), f"{name}: store left behind"
        return job

    job = bad("missing_source", 1, "nope.nc: no such file", source="/nonexistent/nope.nc")
    notnc = os.path.join(r.work, "not_netcdf.nc")
    with open(notnc, "w") as f:
        f.write("this is not a netCDF file\n" * 10)
    bad("not_netcdf", 1, "not_netcdf.nc: not a netCDF file", source=notnc)
    unreadable = os.path.join(r.work, "dir.nc")
    os.makedirs(unreadable, exist_ok=True)
    bad("source_is_directory", 1, "dir.nc: is a directory", source=unreadable)
    bad("unknown_variable", 2, "variables: 'u10' is not a numeric variable of", variables=["t2m", "u10"])
    job = bad("unknown_key", 2, "unknown_key.json: unknown key 'chunk'", chunk={"time": 3})
    bad("malformed_json", 2, "malformed_json.json: line 3, column 1: malformed JSON",
        text='{"source": "a.nc",\n "store": "b"\n')
    bad("chunks_zero", 2, "chunks.latitude: must be a positive integer, got 0", chunks={"latitude": 0})
    bad("chunks_negative", 2, "chunks.latitude: must be a positive integer, got -3", chunks={"latitude": -3})
    bad("chunks_fraction", 2, "chunks.time: must be a positive integer, got 2.5", chunks={"time": 2.5})
    bad("chunks_unknown_dim", 2, "chunks.lat: 'lat' is not a dimension of", chunks={"lat": 10})
    bad("memory_limit_unparsable", 2, "memory_limit: cannot parse 'lots'", memory_limit="lots")
    bad("memory_limit_too_low", 2, "memory_limit 1kB is too low: one batch of array", memory_limit="1kB")
    bad("unsupported_preprocessor", 2, "preprocessors[0].type: unknown preprocessor 'tiled'",
        preprocessors=[{"type": "tiled", "time": 4}])
    bad("wrong_type", 2, "overwrite: must be true or false", overwrite="yes")
    parent_file = os.path.join(r.work, "a_file")
    with open(parent_file, "w") as f:
        f.write("x")
    bad("store_not_writable", 1, "cannot create store", store=os.path.join(parent_file, "out.zarr"))

    # An existing store needs overwrite; overwrite replaces only zarr stores.
    os.makedirs(store)
    open(os.path.join(store, ".zgroup"), "w").write('{"zarr_format": 2}')
    job = r.job("exists", source=source, store=store)
    expect_error(r.run(2, "--config", job), "store_exists", 1, "exists; pass --overwrite")
    assert os.path.exists(os.path.join(store, ".zgroup")), "existing store was touched"
    expect_ok(r.run(2, "--config", job, "--overwrite"), "overwrite a store")
    oracle.check(source, store)
    plain = os.path.join(r.work, "plain_dir")
    os.makedirs(plain, exist_ok=True)
    open(os.path.join(plain, "precious.txt"), "w").write("keep me")
    job = r.job("plain", source=source, store=plain, overwrite=True)
    expect_error(r.run(2, "--config", job), "overwrite_plain_dir", 1, "not a zarr store")
    assert open(os.path.join(plain, "precious.txt")).read() == "keep me"
    job = r.job("file", source=source, store=parent_file, overwrite=True)
    expect_error(r.run(2, "--config", job), "overwrite_file", 1, "not a zarr store")
    assert open(parent_file).read() == "x"


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
                    chunks={"time": 4, "latitude": 8}, recommendations="warn", memory_limit="60kB")
        expect_ok(r.run(a.ranks, "--config", job), f"chain {i}: {json.dumps(chain)}")
        # Loaded first: Debian's xarray 2023.01 reads negative-step slices of a lazily opened
        # netCDF-4 variable wrongly (ds.isel(latitude=slice(30, 3, -4)) returns other rows),
        # while the same isel on loaded data agrees with numpy and with zpmpi.
        expected = xarray_chain(xr.open_dataset(source)[variables].load(), chain)
        got = xr.open_zarr(store, consolidated=True)
        try:
            xr.testing.assert_identical(got.load(), expected.load())
        except AssertionError as e:
            sys.exit(f"FAIL chain {i} {json.dumps(chain)}:\n{e}")
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
        ("unknown_type", [{"type": "tiled", "time": 4}], "preprocessors[0].type: unknown preprocessor 'tiled'"),
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("case", choices=["convert", "identical", "bad_inputs", "fail_rank", "renames", "cli", "chains",
                                    "recommendations", "bad_preprocessors"])
    p.add_argument("--zpmpi", required=True)
    p.add_argument("--mpirun", default="mpirun")
    p.add_argument("--workdir", required=True)
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--sample", default="nc4", choices=list(samples.SAMPLES))
    p.add_argument("--compressor", default="zstd", choices=list(COMPRESSORS))
    p.add_argument("--chunks", default='{"time": 4, "latitude": 10, "longitude": 20}')
    p.add_argument("--memory-limit", default="2GB")
    a = p.parse_args()
    r = Runner(a)
    globals()["case_" + a.case](r, a)


if __name__ == "__main__":
    main()
