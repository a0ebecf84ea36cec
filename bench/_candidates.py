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
