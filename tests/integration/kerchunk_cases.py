"""Integration cases of the kerchunk source (imported by cases.py, run as its cases).

The references are made by make_refs.py for netCDF-4 files the cases generate; the oracle is
Debian's xarray + fsspec opening the same references,
  xr.open_dataset("reference://", engine="zarr",
                  backend_kwargs={"consolidated": False, "storage_options": {"fo": refs}}),
with the same preprocessors applied by xarray (cases.xarray_chain), against
xr.open_zarr(store). Debian has no aiohttp, so fsspec cannot read http urls: the http cases
compare with the same references made with local paths.

  kerchunk_single     the nc4 sample: coordinates and small arrays inlined (base64), urls
                      through templates, a dropped (missing) chunk; -n 1 and 3, --workers 2
  kerchunk_multi      3 files concatenated along time (zlib+shuffle and uncompressed chunks),
                      version 0 and 1; a sel across the file boundaries and a reverse_axis
  (kerchunk_single and kerchunk_multi take --zarr-format 3 [--shards]: v3 stores, read back
  through oracle_v3's checks and v2 transcode)
  kerchunk_http_retry the multi-file references with http://127.0.0.1 urls served by
                      tests/http_range_server.py failing the first requests (retries succeed)
  kerchunk_http_404   one url answers 404 for good: one error line naming the url, every rank
                      exits non-zero, no store left
  kerchunk_duplicates keys given twice (.zattrs, .zarray with another grid, a chunk): the last
                      value of each is used, as fsspec's json.load keeps it, with a warning
  kerchunk_errors     an unknown codec, order "F", an s3:// url without credentials, a malformed reference file:
                      refused before anything is written (exit 2), naming the cause
"""
import collections.abc
import json
import os
import re
import subprocess
import sys

import numpy as np

__all__ = ["case_kerchunk_single", "case_kerchunk_multi", "case_kerchunk_http_retry", "case_kerchunk_http_404",
           "case_kerchunk_errors", "case_kerchunk_duplicates"]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_refs  # noqa: E402
import oracle  # noqa: E402  (tests/integration is on sys.path: cases.py imports this file)

CHAINS = [
    [{"type": "sel", "time": ["2000-01-02", "2000-01-05 18:00"], "latitude": [60, -30]},
     {"type": "reverse_axis", "dim": "latitude"}],
    [{"type": "reverse_axis", "dim": "time"}, {"type": "isel", "longitude": [3, 70, 2]}],
]


def _cases():
    """cases.py's helpers (this module is imported by it; it runs as __main__)."""
    return sys.modules["__main__"]


class _References(collections.abc.Mapping):
    """fsspec's reference filesystem as a zarr store. Debian's fsspec 2022.11 raises KeyError
    out of cat() for a missing chunk key (zarr asks with on_error="omit"), so the
    xr.open_dataset("reference://", ...) spelling fails on a missing chunk; through this
    mapping zarr sees the KeyError it expects and reads the fill value."""

    def __init__(self, refs):
        import fsspec
        self.fs = fsspec.filesystem("reference", fo=refs)

    def __getitem__(self, key):
        try:
            return self.fs.cat_file(key)
        except (KeyError, FileNotFoundError):
            raise KeyError(key) from None

    def __iter__(self):
        return iter(self.fs.references)

    def __len__(self):
        return len(self.fs.references)


def _reference_dataset(refs):
    import xarray as xr
    import zarr
    # fsspec resolves relative urls against the working directory; zpmpi (as the references'
    # writers intend) against the reference file's directory: read from there.
    cwd = os.getcwd()
    os.chdir(os.path.dirname(os.path.abspath(refs)))
    try:
        return xr.open_dataset(zarr.storage.KVStore(_References(refs)), engine="zarr",
                               backend_kwargs={"consolidated": False}).load()
    finally:
        os.chdir(cwd)


def _check(r, refs, oracle_refs, ranks, workers, tag, variables=None, chains=CHAINS, chunks=None, a=None):
    """Runs every chain on `refs` and compares each store with the oracle on `oracle_refs`;
    in the store's format `a` asks for (cases.format_keys; None: v2)."""
    import xarray as xr
    c = _cases()
    for i, chain in enumerate(chains):
        store = r.store(f"{tag}_{i}.zarr")
        keys = dict(source={"uri": refs, "engine": "kerchunk"}, store=store, preprocessors=chain,
                    chunks=chunks or {"time": 4, "latitude": 8}, recommendations="warn",
                    memory_limit="2MB", workers=workers, **(c.format_keys(a) if a else {}))
        if variables:
            keys["variables"] = variables
        job = r.job(f"{tag}_{i}", **keys)
        p = r.run(ranks, "--config", job)
        c.expect_ok(p, f"{tag} chain {i} -n {ranks} --workers {workers}: {json.dumps(chain)}")
        expected = _reference_dataset(oracle_refs)
        if variables:
            expected = expected[variables]
        expected = c.xarray_chain(expected.load(), chain)
        if a is not None:
            got, expected = c.open_store(r, a, store), c.expected_view(a, expected)
        else:
            got = oracle.open_zarr(store, consolidated=True).load()
        try:
            xr.testing.assert_identical(got, expected)
        except AssertionError as e:
            sys.exit(f"FAIL {tag} chain {i} -n {ranks} {json.dumps(chain)}:\n{e}")
        print(f"ok {tag} chain {i} -n {ranks} --workers {workers}: {dict(got.sizes)}")


# ---- inputs -------------------------------------------------------------------------------

NT_FILE, NLAT, NLON = 8, 37, 72


def make_files(directory, n=3):
    """n netCDF-4 files of NT_FILE steps each along time: t2m float32 zlib+shuffle chunks
    (4, 10, 16) with NaN fill and NaNs, d2m packed int16 uncompressed chunks (2, 37, 72)."""
    import netCDF4
    paths = []
    rng = np.random.default_rng(11)
    for k in range(n):
        path = os.path.join(directory, f"part{k}.nc")
        paths.append(path)
        if os.path.exists(path):
            continue
        ds = netCDF4.Dataset(path + ".tmp", "w", format="NETCDF4")
        ds.Conventions = "CF-1.6"
        ds.title = "kerchunk multi-file sample"
        ds.createDimension("time", None)
        ds.createDimension("latitude", NLAT)
        ds.createDimension("longitude", NLON)
        t = ds.createVariable("time", "i4", ("time",))
        t.units = "hours since 2000-01-01 00:00:00"
        t.calendar = "gregorian"
        t[:] = 12 * (k * NT_FILE + np.arange(NT_FILE))
        lat = ds.createVariable("latitude", "f4", ("latitude",))
        lat.units = "degrees_north"
        lat[:] = np.linspace(90, -90, NLAT)
        lon = ds.createVariable("longitude", "f4", ("longitude",))
        lon.units = "degrees_east"
        lon[:] = np.arange(NLON) * 5.0
        v = ds.createVariable("t2m", "f4", ("time", "latitude", "longitude"), chunksizes=(4, 10, 16),
                              zlib=True, complevel=4, shuffle=True, fill_value=np.float32(np.nan))
        v.units = "K"
        v.long_name = "2 metre temperature"
        field = 280 + rng.normal(0, 5, (NT_FILE, NLAT, NLON)).astype(np.float32)
        field[1, 3:5, 7:9] = np.nan
        v[:] = field
        d = ds.createVariable("d2m", "i2", ("time", "latitude", "longitude"), chunksizes=(2, NLAT, NLON),
                              fill_value=np.int16(-32767))
        d.set_auto_maskandscale(False)
        d.scale_factor = 0.002
        d.add_offset = 270.0
        d.units = "K"
        packed = rng.integers(-20000, 20000, (NT_FILE, NLAT, NLON)).astype(np.int16)
        packed[0, 0, :5] = -32767
        d[:] = packed
        ds.close()
        os.rename(path + ".tmp", path)
    return paths


# ---- cases --------------------------------------------------------------------------------


def case_kerchunk_single(r, a):
    _cases().skip_without_zarrita(a)
    source = r.sample("nc4")
    refs = os.path.join(r.work, "single.json")
    # Every array of at most 3000 bytes inlined as base64 (the coordinates, lsm's neighbours),
    # file urls through a template, one t2m chunk dropped: it reads as t2m's fill value (NaN).
    make_refs.make_refs(refs, [source], inline=3000, templates=True, drop=["t2m/1.1.1"])
    with open(refs) as f:
        doc = json.load(f)
    assert doc["refs"]["latitude/0"].startswith("base64:") and doc["templates"], "inline/templates not made"
    variables = ["t2m", "d2m", "q", "i8v", "u2v"]
    _check(r, refs, refs, a.ranks, a.workers, "single", variables=variables, a=a)


def case_kerchunk_multi(r, a):
    _cases().skip_without_zarrita(a)
    files = make_files(r.work)
    v1 = os.path.join(r.work, "multi_v1.json")
    v0 = os.path.join(r.work, "multi_v0.json")
    make_refs.make_refs(v1, files, concat_dim="time", templates=True, drop=["t2m/3.1.2"])
    make_refs.make_refs(v0, files, concat_dim="time", version=0)
    chains = CHAINS + [[{"type": "isel", "time": [6, 18]}]]  # across both file boundaries
    _check(r, v1, v1, a.ranks, a.workers, "multi_v1", chains=chains, chunks={"time": 5, "latitude": 8}, a=a)
    _check(r, v0, v0, a.ranks, a.workers, "multi_v0", chains=chains[:1], a=a)


class _Server:
    """tests/http_range_server.py serving `root` on 127.0.0.1 (its port on its first line)."""

    def __init__(self, root, *options):
        script = os.path.join(os.path.dirname(HERE), "http_range_server.py")
        # --parent-stdin: the server ends when this process does, whatever happens.
        self.p = subprocess.Popen(["/usr/bin/python3", script, "--root", root, "--parent-stdin", *options],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.p.stdout.readline()
        m = re.fullmatch(r"(\d+)", line.strip())
        if not m:
            self.close()
            sys.exit(f"FAIL: http_range_server.py printed {line!r}, not its port")
        self.url = f"http://127.0.0.1:{m.group(1)}/"

    def close(self):
        self.p.terminate()
        self.p.wait(timeout=10)


def case_kerchunk_http_retry(r, a):
    files = make_files(r.work)
    local = os.path.join(r.work, "local.json")
    make_refs.make_refs(local, files, concat_dim="time", drop=["t2m/3.1.2"])
    log = os.path.join(r.work, "requests.log")
    if os.path.exists(log):
        os.remove(log)
    server = _Server(r.work, "--fail-first", "2", "--log", log)
    try:
        remote = os.path.join(r.work, "http.json")
        make_refs.make_refs(remote, files, concat_dim="time", url_prefix=server.url, drop=["t2m/3.1.2"])
        _check(r, remote, local, a.ranks, a.workers, "http", chains=CHAINS[:1])
    finally:
        server.close()
    with open(log) as f:
        statuses = [line.rstrip("\n").split("\t")[3] for line in f]  # METHOD PATH RANGE STATUS ...
    assert statuses.count("503") >= 2 and statuses.count("206") > 0, f"no retried failures: {statuses}"
    print(f"ok: {statuses.count('503')} requests failed with 503 and were retried, {statuses.count('206')} served")


def case_kerchunk_http_404(r, a):
    c = _cases()
    files = make_files(r.work)
    server = _Server(r.work)
    try:
        remote = os.path.join(r.work, "http.json")
        make_refs.make_refs(remote, files, concat_dim="time", url_prefix=server.url)
        # One file's chunks point at a name the server does not have: 404 for good.
        with open(remote) as f:
            text = f.read()
        with open(remote, "w") as f:
            f.write(text.replace(server.url + "part1.nc", server.url + "gone.nc"))
        store = r.store("out.zarr")
        job = r.job("job", source={"uri": remote, "engine": "kerchunk"}, store=store, chunks={"time": 4})
        p = r.run(a.ranks, "--config", job)
        c.expect_error(p, "a url that answers 404", 1, server.url + "gone.nc")
        assert "404" in c.error_lines(p)[0], c.error_lines(p)
        assert not os.path.exists(store), "a store was left behind"
        leftovers = [n for n in os.listdir(r.work) if n.startswith(".out.zarr")]
        assert not leftovers, f"left behind: {leftovers}"
    finally:
        server.close()


def case_kerchunk_duplicates(r, a):
    import xarray as xr
    c = _cases()
    files = make_files(r.work, n=2)
    good = os.path.join(r.work, "good.json")
    make_refs.make_refs(good, files, concat_dim="time")
    with open(good) as f:
        refs = json.load(f)["refs"]
    attrs = json.loads(refs["t2m/.zattrs"])
    zarray = json.loads(refs["t2m/.zarray"])
    # Before the set's own keys: values the later ones replace (a .zarray of half the time
    # steps: another chunk grid; a chunk key pointing nowhere); after them: a .zattrs that
    # replaces the set's own.
    first = [("t2m/.zattrs", json.dumps(dict(attrs, units="wrong"))),
             ("t2m/.zarray", json.dumps(dict(zarray, shape=[zarray["shape"][0] // 2] + zarray["shape"][1:]))),
             ("t2m/0.0.0", ["nowhere.nc", 0, 5])]
    last = [("t2m/.zattrs", json.dumps(dict(attrs, note="the last .zattrs")))]
    pairs = first + list(refs.items()) + last
    path = os.path.join(r.work, "refs_duplicates.json")
    with open(path, "w") as f:  # json.dump cannot write a key twice
        f.write('{"version": 1, "refs": {' + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs) + "}}")
    store = r.store("duplicates.zarr")
    p = r.run(a.ranks, "--config", r.job("duplicates", source={"uri": path, "engine": "kerchunk"}, store=store,
                                         chunks={"time": 4}))
    c.expect_ok(p, "kerchunk keys given twice")
    warning = [line for line in p.stderr.splitlines() if f"{path}: keys given more than once (4 repeats): " in line]
    assert len(warning) == 1 and "the last value of each is used" in warning[0], p.stderr
    for key in ("t2m/.zattrs", "t2m/.zarray", "t2m/0.0.0"):
        assert f'"{key}"' in warning[0], warning[0]
    assert "..." not in warning[0], warning[0]
    expected = _reference_dataset(path)
    got = oracle.open_zarr(store, consolidated=True).load()
    assert got.t2m.attrs.get("note") == "the last .zattrs", got.t2m.attrs
    try:
        xr.testing.assert_identical(got, expected)
    except AssertionError as e:
        sys.exit(f"FAIL kerchunk keys given twice:\n{e}")
    print(f"ok kerchunk keys given twice, the last used as fsspec does: {dict(got.sizes)}")


def case_kerchunk_errors(r, a):
    c = _cases()
    files = make_files(r.work)
    good = os.path.join(r.work, "good.json")
    make_refs.make_refs(good, files, concat_dim="time")

    def variant(name, change):
        with open(good) as f:
            doc = json.load(f)
        change(doc["refs"])
        path = os.path.join(r.work, "refs_" + name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def zarray_edit(key, field, value):
        def change(refs):
            z = json.loads(refs[key])
            z[field] = value
            refs[key] = json.dumps(z)
        return change

    def url_edit(refs):
        for k, v in refs.items():
            if isinstance(v, list):
                refs[k] = ["s3://bucket/" + os.path.basename(v[0])] + v[1:]

    bad = {
        "codec": (variant("codec", zarray_edit("t2m/.zarray", "compressor", {"id": "bz2", "level": 1})),
                  "t2m", "bz2"),
        "order": (variant("order", zarray_edit("d2m/.zarray", "order", "F")), "d2m", "order"),
        "s3": (variant("s3", url_edit), "s3://bucket/part0.nc", "no S3 credentials"),
    }
    malformed = os.path.join(r.work, "refs_malformed.json")
    with open(malformed, "w") as f:
        f.write('{"version": 1, "refs": {".zgroup": "{}", "t2m/0.0.0": ["a", 1]}}')
    bad["malformed"] = (malformed, "refs_malformed.json", "must be [url] or [url, offset, length]")
    for what, (refs, name, message) in bad.items():
        store = r.store(f"{what}.zarr")
        job = r.job(what, source={"uri": refs, "engine": "kerchunk"}, store=store)
        # No S3 credentials from this machine's settings: the s3 case must find none.
        no_aws = {k: "" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE",
                                  "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")}
        p = r.run(a.ranks, "--config", job, env=dict(no_aws, HOME=r.work))
        c.expect_error(p, f"kerchunk {what}", 2, message)
        assert name in c.error_lines(p)[0], f"{name!r} not in {c.error_lines(p)[0]!r}"
        assert not os.path.exists(store), f"{what}: a store was created"
