"""Integration cases of S3 sources (issue 30), imported by cases.py, run as its cases.

A real S3 server on 127.0.0.1, started by the case: tests/s3_server.py runs moto (with the
first Python found that has moto and boto3: $ZPMPI_MOTO_PYTHON, python3 on PATH, pyenv's);
where there is none the case is skipped (exit 77) and says why. Two servers: "signed"
checks every SigV4 signature (a wrong secret is 403 SignatureDoesNotMatch), "open" checks
none, and answers anonymous reads of an object 403 unless its ACL is public-read. The
oracle is the one of kerchunk_cases: Debian's xarray reading the same references made
with local paths.

  s3_kerchunk  kerchunk references whose chunks live in the signed bucket (credentials from
               the job's remote_options, from AWS_* variables, from a profile of the shared
               files), the reference file itself on S3 compressed with zstd, and in the
               anonymous-read bucket (anon: true, a local .json.gz); the secret appears in no
               file of the store (provenance, resume record), nor in the stats file, the
               plan's JSON or any output line
  s3_errors    a wrong secret, a missing key, a missing bucket, anonymous reads of a private
               object, no credentials anywhere, a missing reference file: one error line
               naming bucket and key, exit non-zero, no store left behind
  s3_faults    through tests/s3_fault_proxy.py: 503 SlowDown twice, then a reset mid-body,
               for every object: retried, and the store still equals the oracle
"""
import gzip
import json
import os
import re
import select
import shutil
import subprocess
import sys

__all__ = ["case_s3_kerchunk", "case_s3_errors", "case_s3_faults"]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kerchunk_cases  # noqa: E402
import make_refs  # noqa: E402
import oracle  # noqa: E402

CHAIN = [{"type": "sel", "time": ["2000-01-02", "2000-01-10 18:00"], "latitude": [60, -30]},
         {"type": "reverse_axis", "dim": "latitude"}]
# The machine's own AWS settings must not leak into a case: empty counts as unset.
NO_AWS = {k: "" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                          "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE")}


def _cases():
    return sys.modules["__main__"]


def moto_python():
    """A Python that can run tests/s3_server.py, or None."""
    candidates = [os.environ.get("ZPMPI_MOTO_PYTHON"), shutil.which("python3"),
                  os.path.expanduser("~/.pyenv/shims/python3")]
    for py in [c for c in candidates if c]:
        try:
            if subprocess.run([py, "-c", "import moto.server, boto3"], capture_output=True, timeout=120).returncode == 0:
                return py
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def _first_line(p, what, timeout=120):
    """The first line `p` prints, or the case fails (never a hang)."""
    ready, _, _ = select.select([p.stdout], [], [], timeout)
    line = p.stdout.readline() if ready else ""
    if not line:
        p.kill()
        sys.exit(f"FAIL: {what} " + (f"exited ({p.wait()})" if ready else f"printed nothing in {timeout} s"))
    return line.strip()


class S3Server:
    """tests/s3_server.py: moto on 127.0.0.1 with `uploads` {"bucket/key": (path, public)}."""

    def __init__(self, python, work, name, uploads, auth):
        args = [python, os.path.join(os.path.dirname(HERE), "s3_server.py"), "--parent-stdin"]
        args += ["--auth"] if auth else []
        for target, (path, public) in uploads.items():
            args += ["--upload", f"{target}={path}" + (":public" if public else "")]
        self.log = open(os.path.join(work, f"s3_server_{name}.log"), "w")
        env = {k: v for k, v in os.environ.items() if k not in NO_AWS}
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        info = json.loads(_first_line(self.p, f"s3_server.py ({name})"))
        self.endpoint, self.key, self.secret = info["endpoint"], info["key"], info["secret"]

    def options(self, **more):
        return dict({"key": self.key, "secret": self.secret, "endpoint_url": self.endpoint}, **more)

    def close(self):
        self.p.stdin.close()
        self.p.terminate()
        self.p.wait(timeout=10)
        self.log.close()


class FaultProxy:
    def __init__(self, upstream, log, *faults):
        script = os.path.join(os.path.dirname(HERE), "s3_fault_proxy.py")
        self.p = subprocess.Popen(["/usr/bin/python3", script, "--upstream", upstream, "--log", log, "--parent-stdin",
                                   *faults], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True)
        self.endpoint = f"http://127.0.0.1:{int(_first_line(self.p, 's3_fault_proxy.py'))}"

    def close(self):
        self.p.stdin.close()
        self.p.terminate()
        self.p.wait(timeout=10)


def _need_moto():
    python = moto_python()
    if not python:
        print("SKIP: no Python with moto and boto3 (set ZPMPI_MOTO_PYTHON; PyPI's moto[server] and boto3): "
              "the S3 cases need a local S3 server")
        sys.exit(77)
    return python


def _inputs(r, uri_prefix, name, **kw):
    """The multi-file sample's files and references to them under `uri_prefix`; the local
    references (the oracle's) beside them."""
    files = kerchunk_cases.make_files(r.work)
    local = os.path.join(r.work, "local.json")
    make_refs.make_refs(local, files, concat_dim="time", drop=["t2m/3.1.2"])
    refs = os.path.join(r.work, name)
    make_refs.make_refs(refs, files, concat_dim="time", url_prefix=uri_prefix, drop=["t2m/3.1.2"], **kw)
    return files, local, refs


def _zstd(path):
    import numcodecs
    with open(path, "rb") as f:
        data = numcodecs.Zstd(level=3).encode(f.read())
    with open(path + ".zst", "wb") as f:
        f.write(data)
    return path + ".zst"


def _gzip(path):
    with open(path, "rb") as f, gzip.open(path + ".gz", "wb") as out:
        out.write(f.read())
    return path + ".gz"


def _no_secret(secret, store, texts, what):
    """`secret` in no file of `store` (names or contents) and in none of `texts`."""
    needle = secret.encode()
    for root, dirs, files in os.walk(store):
        for n in dirs + files:
            assert secret not in n, f"{what}: the secret names {os.path.join(root, n)}"
        for n in files:
            with open(os.path.join(root, n), "rb") as f:
                assert needle not in f.read(), f"{what}: the secret is written in {os.path.join(root, n)}"
    for t in texts:
        assert secret not in t, f"{what}: the secret is printed:\n{t}"


def _run_and_check(r, a, tag, source, local, env=None, secret=None):
    import xarray as xr
    c = _cases()
    store, stats = r.store(f"{tag}.zarr"), os.path.join(r.work, f"{tag}.stats.json")
    job = r.job(tag, source=source, store=store, preprocessors=CHAIN, chunks={"time": 5, "latitude": 8},
                recommendations="warn", memory_limit="2MB", workers=a.workers)
    p = r.run(a.ranks, "--config", job, "--stats", stats, env=dict(NO_AWS, **(env or {})))
    c.expect_ok(p, f"{tag} -n {a.ranks}")
    expected = c.xarray_chain(kerchunk_cases._reference_dataset(local).load(), CHAIN)
    got = oracle.open_zarr(store, consolidated=True).load()
    try:
        xr.testing.assert_identical(got, expected)
    except AssertionError as e:
        sys.exit(f"FAIL {tag}:\n{e}")
    if secret:
        plan = r.run_command([r.zpmpi, "plan", "--config", job, "--ranks", str(a.ranks), "--json"],
                             env=dict(NO_AWS, **(env or {})))
        c.expect_ok(plan, f"{tag}: plan --json")
        with open(stats) as f:
            _no_secret(secret, store, [p.stdout, p.stderr, f.read(), plan.stdout, plan.stderr], tag)
    print(f"ok {tag} -n {a.ranks}: {dict(got.sizes)}" + (", the secret written nowhere" if secret else ""))


def case_s3_kerchunk(r, a):
    python = _need_moto()
    files, local, signed_refs = _inputs(r, "s3://signed/", "signed.json", templates=True)
    _, _, open_refs = _inputs(r, "s3://open/", "open.json")
    signed_zst = _zstd(signed_refs)
    uploads = {f"signed/{os.path.basename(p)}": (p, False) for p in files}
    uploads["refs/signed.json.zst"] = (signed_zst, False)
    signed = S3Server(python, r.work, "signed", uploads, auth=True)
    public = S3Server(python, r.work, "open", {f"open/{os.path.basename(p)}": (p, True) for p in files}, auth=False)
    try:
        opts = signed.options()
        _run_and_check(r, a, "s3_options", {"uri": "s3://refs/signed.json.zst", "storage_options": opts,
                                            "remote_options": opts}, local, secret=signed.secret)
        env = {"AWS_ACCESS_KEY_ID": signed.key, "AWS_SECRET_ACCESS_KEY": signed.secret,
               "AWS_ENDPOINT_URL": signed.endpoint, "AWS_REGION": "eu-west-2"}
        _run_and_check(r, a, "s3_environment", {"uri": signed_refs, "engine": "kerchunk"}, local, env=env,
                       secret=signed.secret)
        aws = os.path.join(r.work, "aws")
        os.makedirs(aws, exist_ok=True)
        with open(os.path.join(aws, "credentials"), "w") as f:
            f.write(f"[default]\naws_access_key_id = NOTTHIS\naws_secret_access_key = wrong\n\n"
                    f"[moto]\naws_access_key_id = {signed.key}\naws_secret_access_key = {signed.secret}\n")
        with open(os.path.join(aws, "config"), "w") as f:
            f.write(f"[profile moto]\nregion = eu-north-1\nendpoint_url = {signed.endpoint}\n")
        env = {"AWS_SHARED_CREDENTIALS_FILE": os.path.join(aws, "credentials"), "AWS_CONFIG_FILE": os.path.join(aws, "config")}
        _run_and_check(r, a, "s3_profile", {"uri": signed_refs, "engine": "kerchunk", "remote_options": {"profile": "moto"}},
                       local, env=env, secret=signed.secret)
        _run_and_check(r, a, "s3_anonymous", {"uri": _gzip(open_refs), "remote_options": {
            "anon": True, "endpoint_url": public.endpoint}}, local)
    finally:
        signed.close()
        public.close()


def _expect_refused(r, a, tag, source, code, *messages, env=None, secret=None):
    c = _cases()
    store = r.store(f"{tag}.zarr")
    job = r.job(tag, source=source, store=store, chunks={"time": 4})
    p = r.run(a.ranks, "--config", job, env=dict(NO_AWS, **(env or {})), timeout=120)
    c.expect_error(p, tag, code, messages[0])
    line = c.error_lines(p)[0]
    for m in messages[1:]:
        assert m in line, f"{tag}: {m!r} not in {line!r}"
    assert not os.path.exists(store), f"{tag}: a store was left behind"
    leftovers = [n for n in os.listdir(r.work) if n.startswith(f".{tag}.zarr")]
    assert not leftovers, f"{tag}: left behind: {leftovers}"
    if secret:
        assert secret not in p.stdout + p.stderr, f"{tag}: the secret is printed"


def case_s3_errors(r, a):
    python = _need_moto()
    files, local, refs = _inputs(r, "s3://signed/", "signed.json")
    signed = S3Server(python, r.work, "signed", {f"signed/{os.path.basename(p)}": (p, False) for p in files}, auth=True)
    public = S3Server(python, r.work, "open", {f"open/{os.path.basename(p)}": (p, False) for p in files}, auth=False)

    def edited(name, old, new):
        path = os.path.join(r.work, name)
        with open(refs) as f, open(path, "w") as out:
            out.write(f.read().replace(old, new))
        return path

    try:
        wrong = signed.options(secret="WRONGsecretWRONG")
        _expect_refused(r, a, "wrong_secret", {"uri": refs, "remote_options": wrong}, 1,
                        "reading key 'part", "of bucket 'signed' was refused (HTTP 403 SignatureDoesNotMatch)",
                        secret="WRONGsecretWRONG")
        _expect_refused(r, a, "missing_key", {"uri": edited("gone.json", "s3://signed/part1.nc", "s3://signed/gone.nc"),
                                              "remote_options": signed.options()}, 1,
                        "s3://signed/gone.nc: no key 'gone.nc' of bucket 'signed' (HTTP 404 NoSuchKey)",
                        secret=signed.secret)
        _expect_refused(r, a, "missing_bucket", {"uri": edited("nobucket.json", "s3://signed/", "s3://nobucket/"),
                                                 "remote_options": signed.options()}, 1,
                        "no bucket 'nobucket' (HTTP 404 NoSuchBucket)")
        _expect_refused(r, a, "anonymous_private", {"uri": edited("private.json", "s3://signed/", "s3://open/"),
                                                    "remote_options": {"anon": True, "endpoint_url": public.endpoint}}, 1,
                        "of bucket 'open' was refused (HTTP 403", "does not allow anonymous reads")
        _expect_refused(r, a, "no_credentials", {"uri": refs, "remote_options": {"endpoint_url": signed.endpoint}}, 2,
                        "no S3 credentials", env={"HOME": r.work})
        _expect_refused(r, a, "missing_refs", {"uri": "s3://signed/none.json", "storage_options": signed.options()}, 1,
                        "s3://signed/none.json: no key 'none.json' of bucket 'signed' (HTTP 404 NoSuchKey)")
    finally:
        signed.close()
        public.close()


def case_s3_faults(r, a):
    python = _need_moto()
    files, local, refs = _inputs(r, "s3://signed/", "signed.json")
    signed = S3Server(python, r.work, "signed", {f"signed/{os.path.basename(p)}": (p, False) for p in files}, auth=True)
    log = os.path.join(r.work, "proxy.log")
    if os.path.exists(log):
        os.remove(log)
    proxy = FaultProxy(signed.endpoint, log, "--slowdown", "2", "--reset", "1")
    try:
        _run_and_check(r, a, "s3_faults", {"uri": refs, "remote_options": signed.options(endpoint_url=proxy.endpoint)},
                       local, secret=signed.secret)
    finally:
        proxy.close()
        signed.close()
    with open(log) as f:
        what = [line.rstrip("\n").split("\t")[3] for line in f]
    assert what.count("slowdown") == 2 * len(files) and what.count("reset") == len(files), what
    assert what.count("206") > 0 and all(w in ("slowdown", "reset", "206") for w in what), what
    print(f"ok: {what.count('slowdown')} SlowDown and {what.count('reset')} resets mid-body retried, "
          f"{what.count('206')} ranges served")
