"""Processes of the tests: who is still alive in a session (a run started in a session of
its own, so that mpirun, its ranks or daemons can be found and checked to be gone), and
each rank's own exit code under mpirun."""
import os


def session_members(sid):
    """The live pids of session `sid` (zombies excluded), from /proc."""
    members = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):  # field 6: session
            members.append(int(pid))
    return members


# Runs its command and records the exit code in DIR/exit.<rank> (Open MPI's rank variable),
# then exits 0: mpirun ends every rank when one exits non-zero, which could kill a rank
# before its code is recorded.
_RECORD_EXIT = """#!/bin/sh
dir=$1
shift
"$@"
echo $? > "$dir/exit.$OMPI_COMM_WORLD_RANK"
exit 0
"""


def rank_exit_codes(r, ranks, *args, env=None, timeout=120):
    """`zpmpi args` under mpirun on `ranks` ranks (Runner `r`), each rank through a shell that
    records its exit code: the finished run and the codes in rank order (None for a rank
    that recorded none)."""
    where = os.path.join(r.work, "rank_exits")
    os.makedirs(where, exist_ok=True)
    for name in os.listdir(where):
        os.remove(os.path.join(where, name))
    wrapper = os.path.join(r.work, "record_exit.sh")
    with open(wrapper, "w") as f:
        f.write(_RECORD_EXIT)
    os.chmod(wrapper, 0o755)
    p = r.run_command([r.mpirun, "-n", str(ranks), "--oversubscribe", wrapper, where, r.zpmpi, *args], env, timeout)
    codes = []
    for rank in range(ranks):
        try:
            with open(os.path.join(where, f"exit.{rank}")) as f:
                codes.append(int(f.read()))
        except (OSError, ValueError):
            codes.append(None)
    return p, codes
