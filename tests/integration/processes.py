"""Processes of the tests: who is still alive in a session (a run started in a session of
its own, so that mpirun, its ranks or daemons can be found and checked to be gone)."""
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
