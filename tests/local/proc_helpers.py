"""Process-tree helpers for the signal tests: who descends from a pid, who is still alive.

Read from /proc (Linux only; the tests that use them skip elsewhere and say why). A zombie
counts as gone: it runs nothing and holds no memory, and a container's pid 1 may never reap
the orphans it inherits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

HAVE_PROC = sys.platform.startswith("linux") and os.path.isdir("/proc/self")
SKIP_REASON = "needs Linux /proc to find worker processes"


def _stat_fields(pid: int) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2 :].split()  # fields 3.. (state, ppid, ...)


def running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in (b"Z", b"X")


def descendants(root: int) -> set[int]:
    """Every live process below `root` (children, grandchildren, ...)."""
    parent_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and fields[0] not in (b"Z", b"X"):
                parent_of[int(entry)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parent_of.items() if ppid in frontier} - found
        found |= frontier
    return found


def wait_for(condition: Callable[[], bool], timeout_s: float, poll_s: float = 0.1) -> bool:
    """Poll `condition` until it holds or `timeout_s` passes (a bound, not a timing check)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(poll_s)


def survivors(pids: Iterable[int]) -> list[int]:
    return sorted(pid for pid in pids if running(pid))


def kill_all(pids: Iterable[int]) -> None:
    """Clean up after a failed test: never leave our own orphans behind."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def start(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start a command in its own session (signals we send reach only what we aim at)."""
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[1])


FORK_SERVER = "multiprocessing.forkserver"


def pool_workers(root: int) -> set[int]:
    """The worker processes below `root`: spawned multiprocessing children (running
    spawn_main), or forks of a fork server (the local runtime's default: they share the
    server's command line, so a worker is a fork-server process whose parent is one too).
    Neither the fork server itself nor multiprocessing's resource tracker."""

    def forked(pid: int, line: str) -> bool:
        return FORK_SERVER in line and FORK_SERVER in cmdline(parent_of(pid) or 0)

    return {
        pid
        for pid in descendants(root)
        if "spawn_main" in (line := cmdline(pid)) or forked(pid, line)
    }
