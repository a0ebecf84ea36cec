"""What the sweep-run benches share: how a candidate process is started.

bench_local_load and bench_parallel both run `sweep run` as child processes, optionally from
another checkout's sources (`--compare-src`), and must give every candidate the same footing.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path


def candidate_env(src: Path | None = None, **extra: str) -> dict[str, str]:
    """A candidate's environment: with bytecode caching on (PYTHONDONTWRITEBYTECODE dropped), as
    for an installed package, whose .pyc files exist: every source tree is compiled before the
    first round (`compile_sources`), so no candidate pays compiling the package in each of its
    processes (1-2 s of CPU each on this machine with caching off)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    env.update(extra)
    return env


def compile_sources(*sources: Path | None) -> None:
    """Write the .pyc files of the package under test and of every --compare-src tree."""
    import serverless_sweep

    trees = {Path(serverless_sweep.__file__).resolve().parents[1]}
    trees |= {s for s in sources if s is not None}
    for tree in sorted(trees):
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-j", "0", str(tree)],
            env=candidate_env(),
            check=True,
            capture_output=True,
        )


_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def become_subreaper() -> bool:
    """Orphans of a candidate (a fork server and its workers outliving `sweep run` for a
    moment) become this process's children, so their CPU is counted when they are reaped
    (Linux only). Without it, the workers' CPU of a fork-server run goes uncounted."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans() -> None:
    """Wait for every child left (orphans reparented to this subreaper)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


class StealMeter:
    """The share of the machine's CPU time that the hypervisor gave to other guests ("steal"
    in /proc/stat) while a bench ran: on a shared VM it inflates every wall figure (and, where
    the guest kernel charges a preempted tick to the running task, CPU figures too), so the
    benches print it next to the load average. None where /proc/stat cannot tell (not Linux).
    """

    def __init__(self) -> None:
        self._start = _cpu_ticks()

    def share(self) -> float | None:
        """Steal / all ticks since this meter was made (0..1), or None."""
        end = _cpu_ticks()
        if self._start is None or end is None:
            return None
        steal, total = end[0] - self._start[0], end[1] - self._start[1]
        return steal / total if total > 0 else None

    def text(self) -> str:
        share = self.share()
        return "steal n/a" if share is None else f"steal {share:.0%}"


def _cpu_ticks() -> tuple[int, int] | None:
    """(steal, total) clock ticks of all CPUs from /proc/stat's first line."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if len(fields) < 9 or fields[0] != "cpu":
        return None
    try:
        values = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    except ValueError:
        return None
    return values[7], sum(values)
