"""Live progress (issue 14): rank 0 shows the job's totals as the run channel brings them.

case progress --ranks N:
  - batch log (stderr a pipe, as under sbatch): "zpmpi: progress: C/T chunks (P%), ..."
    lines appear, C and P never go back, T is the chunk files the store gets, and the last
    line is T/T (100%). Every chunk write is slowed (ZPMPI_TEST_WRITE_DELAY_MS) so the run
    spans many of the channel's rounds.
  - --quiet, and log_level 0: no progress at all; the closing summary stays with --quiet.
  - a terminal (zpmpi run alone with its stderr a pseudo-terminal; under mpirun a rank's
    stderr is a pipe whatever mpirun's is, so there it gets lines): one bar redrawn with
    carriage returns, ending at T/T 100% and a newline; no batch lines.
"""
import os
import pty
import re
import select
import subprocess
import sys

LINE = re.compile(r"^zpmpi: progress: (\d+)/(\d+) chunks \((\d+)%\), \S+ written, [\d.]+ MB/s, ETA (\S+)$")
BAR = re.compile(r"zpmpi: \[[#.]{30}\]  (\d+)/(\d+) chunks  (\d+)%  [\d.]+ MB/s  ETA (\S+)\x1b\[K")
CHUNKS = {"time": 2, "latitude": 10, "longitude": 20}
VARIABLES = ["t2m", "d2m"]  # with their coordinates: some 500 chunk files


def _progress_lines(text):
    return [line for line in text.splitlines() if line.startswith("zpmpi: progress:")]


def _run_on_terminal(r, args, env, timeout=120):
    """zpmpi alone (one rank) with its stdin/stdout/stderr on a pseudo-terminal; all it
    printed (bytes as text)."""
    from cases import ENV
    master, slave = pty.openpty()
    cmd = [r.zpmpi, *args]
    p = subprocess.Popen(cmd, env=dict(ENV, **env), stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            p.kill()
            sys.exit(f"FAIL: {' '.join(cmd)} on a terminal printed nothing for {timeout} s:\n{out!r}")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer has gone
            break
        if not data:
            break
        out += data
    os.close(master)
    return p.wait(timeout=timeout), out.decode("utf-8", "replace")


def case_progress(r, a):
    from cases import expect_ok, _chunk_files
    source = r.sample("nc4")
    slow = {"ZPMPI_TEST_WRITE_DELAY_MS": "1"}

    store = r.store("progress.zarr")
    job = r.job("job", source=source, store=store, chunks=CHUNKS, variables=VARIABLES)
    p = r.run(a.ranks, "--config", job, env=slow)
    expect_ok(p, "a run in a batch log")
    total = sum(len(v) for v in _chunk_files(store).values())
    lines = _progress_lines(p.stderr)
    parsed = []
    for line in lines:
        m = LINE.match(line)
        if not m:
            sys.exit(f"FAIL: a progress line of an unknown form: {line!r}\n{p.stderr}")
        parsed.append(tuple(int(m.group(i)) for i in (1, 2, 3)) + (m.group(4),))
    problems = []
    if len(parsed) < 3:
        problems.append(f"{len(parsed)} progress lines for {total} chunks written over many rounds")
    if parsed and parsed[-1][:3] != (total, total, 100):
        problems.append(f"the last line is not {total}/{total} chunks (100%)")
    if any(t != total for _, t, _, _ in parsed):
        problems.append(f"a total is not the {total} chunk files of the store")
    if any(b[0] < a_[0] or b[2] < a_[2] for a_, b in zip(parsed, parsed[1:])):
        problems.append("chunks or percent went back")
    if any(c < total and pct == 100 for c, _, pct, _ in parsed):
        problems.append("100% before the last chunk")
    if any(line.startswith("zpmpi: progress:") for line in p.stdout.splitlines()):
        problems.append("progress on stdout in a batch log (it belongs on stderr)")
    if problems:
        sys.exit("FAIL: progress in a batch log:\n  " + "\n  ".join(problems) + "\nstderr:\n" + p.stderr)
    print(f"ok {len(parsed)} progress lines, monotonic, ending at {total}/{total} (100%): "
          f"{[pct for _, _, pct, _ in parsed]}")

    for what, args, keys in (("--quiet", ["--quiet"], {}), ("log_level 0", [], {"log_level": 0})):
        store = r.store("quiet.zarr")
        job = r.job("quiet", source=source, store=store, chunks=CHUNKS, variables=VARIABLES, **keys)
        p = r.run(a.ranks, "--config", job, *args, env=slow)
        expect_ok(p, what)
        if _progress_lines(p.stderr + p.stdout) or "\r" in p.stderr + p.stdout:
            sys.exit(f"FAIL: {what} still shows progress:\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        if what == "--quiet" and f"done: " not in p.stdout:
            sys.exit(f"FAIL: --quiet lost the closing summary:\n{p.stdout}")
        print(f"ok {what}: no progress" + (", the closing summary stays" if what == "--quiet" else ""))

    store = r.store("terminal.zarr")
    job = r.job("terminal", source=source, store=store, chunks=CHUNKS, variables=VARIABLES)
    code, out = _run_on_terminal(r, ["--config", job], slow)
    if code != 0:
        sys.exit(f"FAIL: the run on a terminal: exit {code}\n{out!r}")
    bars = BAR.findall(out)
    problems = []
    if not bars or bars[-1][:3] != (str(total), str(total), "100"):
        problems.append(f"the last bar is not {total}/{total} 100%")
    if _progress_lines(out):
        problems.append("batch-log lines on a terminal")
    done = out.find("zpmpi: done: ")
    last_bar = out.rfind("zpmpi: [")
    if done < 0 or not out[last_bar:done].rstrip(" ").count("\n") >= 1:
        problems.append("the bar is not finished with a newline before the closing summary")
    if problems:
        sys.exit("FAIL: progress on a terminal:\n  " + "\n  ".join(problems) + f"\n{out!r}")
    print(f"ok a terminal gets one bar redrawn {len(bars)} times, ending at {total}/{total} 100% and a newline")
