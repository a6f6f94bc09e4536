"""Several nodes, emulated on one machine (issue 14).

mpirun --host n1:1,n2:1,... --mca plm_rsh_agent local_rsh: Open MPI "starts" one daemon per
host through the agent, which runs it here (tests/integration/local_rsh drops the ssh options
and the host name). The names need not resolve: the agent never looks them up and each
daemon reports its own address. Every rank is then alone on its "node"
(OMPI_COMM_WORLD_LOCAL_SIZE=1), so zpmpi takes its multi-node path (Open MPI's default
transports, TCP between the daemons) -- no /etc/hosts edit, no ssh server.

case multinode --ranks N (N "nodes", one rank each):
  - a probe proves the emulation (N ranks, each with local size 1), else the case is
    skipped (exit 77) with the reason;
  - a conversion with --stats: the oracle, and every rank wrote chunks;
  - a rank on the last "node" fails (ZPMPI_TEST_FAIL_RANK): every rank stops, exit 1, one
    error line, no store; a failed MPI call there (ZPMPI_TEST_MPI_FAIL) ends the job the
    same way (MPI_Abort across the daemons) -- no hang (every mpirun has a timeout).
"""
import json
import os
import shutil
import sys

LOCAL_RSH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "local_rsh")
SKIP = 77


def _mpirun(r, nodes, *cmd, env=None, timeout=90):
    hosts = ",".join(f"n{i + 1}:1" for i in range(nodes))
    args = [r.mpirun, "--host", hosts, "--mca", "plm_rsh_agent", LOCAL_RSH, "-n", str(nodes)]
    for name in env or {}:
        args += ["-x", name]  # what a real remote node needs; the local agent inherits it anyway
    args += list(cmd)
    # The agent keeps each "node's" session directory here, not in /tmp.
    return r.run_command(args, dict(env or {}, LOCAL_RSH_TMPDIR=r.work), timeout)


def _probe(r, nodes):
    """None when N ranks start, each alone on its node; else why not."""
    p = _mpirun(r, nodes, "/bin/sh", "-c", 'echo "rank $OMPI_COMM_WORLD_RANK local_size $OMPI_COMM_WORLD_LOCAL_SIZE"',
                timeout=60)
    lines = sorted(line for line in p.stdout.splitlines() if line.startswith("rank "))
    want = [f"rank {i} local_size 1" for i in range(nodes)]
    if p.returncode != 0 or lines != want:
        return f"exit {p.returncode}, ranks said {lines} (want {want})\n$ {p.cmd}\n{p.stderr}"
    return None


def case_multinode(r, a):
    import cases
    nodes = a.ranks
    why = _probe(r, nodes)
    if why:
        print(f"SKIP: cannot emulate {nodes} nodes here: {why}")
        sys.exit(SKIP)
    print(f"ok {nodes} emulated nodes: every rank has OMPI_COMM_WORLD_LOCAL_SIZE=1")

    source = r.sample("nc4")
    store = r.store("multinode.zarr")
    stats = os.path.join(r.work, "stats.json")
    job = r.job("job", source=source, store=store, chunks=cases.EDGE_CHUNKS, memory_limit="300kB")
    p = _mpirun(r, nodes, r.zpmpi, "--config", job, "--stats", stats)
    cases.expect_ok(p, f"a conversion over {nodes} emulated nodes")
    cases.oracle_check(source, store, chunks=cases.EDGE_CHUNKS)
    with open(stats) as f:
        per_rank = [x["chunks"] for x in json.load(f)["per_rank"]]
    assert len(per_rank) == nodes and all(c > 0 for c in per_rank), f"chunks per rank {per_rank}"
    print(f"ok the store matches the oracle; chunks per node {per_rank}")

    failing = nodes - 1
    store = r.store("fail.zarr")
    job = r.job("fail", source=source, store=store, chunks={"time": 2})
    p = _mpirun(r, nodes, r.zpmpi, "--config", job, env={"ZPMPI_TEST_FAIL_RANK": str(failing)}, timeout=60)
    cases.expect_error(p, f"rank {failing} fails on node n{nodes}", 1, f"rank {failing}: injected failure")
    assert not os.path.exists(store), f"the failed run left {store}"

    for e in cases._zpmpi_entries(r.work, "mpi_fail.zarr"):  # the copy and lock an aborted run leaves
        path = os.path.join(r.work, e)
        shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    store = r.store("mpi_fail.zarr")
    job = r.job("mpi_fail", source=source, store=store, chunks={"time": 2})
    p = _mpirun(r, nodes, r.zpmpi, "--config", job, env={"ZPMPI_TEST_MPI_FAIL": f"MPI_Allreduce@{failing}"},
                timeout=60)
    lines = cases.error_lines(p)
    want = f"zpmpi[rank {failing}]: error: MPI_Allreduce failed"
    if p.returncode == 0 or len(lines) != 1 or not lines[0].startswith(want):
        sys.exit(f"FAIL: MPI_Allreduce failing on node n{nodes}: exit {p.returncode}, error lines {lines} "
                 f"(want one starting {want!r})\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    print(f"ok a failed MPI call on node n{nodes} ends every node: exit {p.returncode}, {lines[0]}")
