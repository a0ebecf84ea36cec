"""Process markers: "is a local process (`sweep run`/`redrive`) still working on this run?"."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from serverless_sweep.core.keys import encode_run_id

MARKER_FOLDER: Final = ".sweep-local/active"
"""Under the store root: one file per process running a run (not a key of the layout)."""


def _marker_dir(root: Path, run_id: str) -> Path:
    return root / MARKER_FOLDER / encode_run_id(run_id)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def process_start_time(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (/proc/<pid>/stat field 22).

    A pid alone does not name a process: once the process that wrote a marker has died, the
    kernel may give its pid to any other process, which `kill(pid, 0)` cannot tell apart. The
    pair (pid, start time) is unique for as long as the machine runs. None where /proc is not
    available (not Linux) or the process is gone.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # Field 2 (comm) is parenthesized and may itself contain spaces and ')': split after the
    # last ')'. The fields that follow start at field 3 (state), so field 22 is index 19.
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _marker_is_live(path: Path, pid: int) -> bool:
    """The marker's process still runs: its pid is alive and, when the marker recorded the
    process start time and this system can tell it, it is still the same process."""
    if not _alive(pid):
        return False
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # unreadable (being written?): trust the live pid
    recorded = info.get("proc_start") if isinstance(info, dict) else None
    if not isinstance(recorded, int) or isinstance(recorded, bool):
        return True  # a marker of an older version: the pid is all it has
    current = process_start_time(pid)
    return current is None or current == recorded


def active_pids(root: Path, run_id: str) -> list[int]:
    """Processes of this machine (`sweep run`/`redrive`) dispatching or waiting for the run.

    Locally nothing runs a shard unless such a process is alive, so with none, a shard without
    a record is *missing* (a redrive dispatches it), not pending. Stale markers are removed:
    those of dead processes, and those whose pid now belongs to another process (the start
    time differs from the one recorded).
    """
    folder = _marker_dir(root, run_id)
    pids: list[int] = []
    with contextlib.suppress(OSError):
        for path in folder.glob("*.json"):
            try:
                pid = int(path.stem)
            except ValueError:
                continue
            if _marker_is_live(path, pid):
                pids.append(pid)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
    return sorted(pids)


@contextlib.contextmanager
def active_marker(root: Path, run_id: str, command: str) -> Iterator[None]:
    """Mark this process as working on the run for as long as the block runs."""
    folder = _marker_dir(root, run_id)
    pid = os.getpid()
    path = folder / f"{pid}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        info: dict[str, Any] = {"pid": pid, "command": command, "started": time.time()}
        proc_start = process_start_time(pid)
        if proc_start is not None:
            info["proc_start"] = proc_start
        path.write_text(json.dumps(info))
    except OSError:  # a marker is a courtesy for `sweep status`; never fail a run over it
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
