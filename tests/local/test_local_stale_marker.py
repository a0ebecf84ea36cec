"""A run marker whose pid now belongs to another process (issue 9, item 10).

A marker names the pid of the `sweep run`/`redrive` that works on a run. When that process died
without removing it (SIGKILL, power loss) and the kernel later handed the pid to an unrelated
process, `sweep status` used to say the run was "still being run by local process N" for as
long as that other process lived, and called the missing shards pending. Markers now record the
process start time (/proc/<pid>/stat field 22) and a marker whose pid started at another time
is stale. Pid reuse cannot be forced, so the reused pid is simulated: a live unrelated process
(a `sleep`) and a marker naming its pid with the start time of the process that wrote it.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import edge
import pytest
from local_helpers import legacy_request, sweep
from proc_helpers import HAVE_PROC, SKIP_REASON

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import RecordingInvoker
from serverless_sweep.core.keys import encode_run_id
from serverless_sweep.entrypoints.console.markers import (
    MARKER_FOLDER,
    active_marker,
    active_pids,
    process_start_time,
)
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler

pytestmark = pytest.mark.skipif(not HAVE_PROC, reason=SKIP_REASON)


@pytest.fixture
def other_process() -> Iterator[int]:
    """An unrelated live process: the new owner of a reused pid."""
    proc = subprocess.Popen(["sleep", "600"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def _accept_without_running(root: Path, run_id: str) -> None:
    parent = ParentHandler(
        invoker=RecordingInvoker(),
        store=LocalObjectStore(root),
        config=ParentConfig(
            child_function="sweep-child", default_model="legacy_hash", results_prefix=""
        ),
    )
    assert edge.submit(parent, legacy_request(run_id))["statusCode"] == 202


def _write_marker(root: Path, run_id: str, pid: int, proc_start: int) -> Path:
    folder = root / MARKER_FOLDER / encode_run_id(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{pid}.json"
    info = {"pid": pid, "command": "sweep run", "started": 0.0, "proc_start": proc_start}
    path.write_text(json.dumps(info))
    return path


def test_a_marker_whose_pid_was_reused_is_stale(tmp_path: Path, other_process: int) -> None:
    """Item 10: the marker's pid is alive but started at another time: not working on the run."""
    store = tmp_path / "store"
    _accept_without_running(store, "reused")
    started = process_start_time(other_process)
    assert started is not None
    marker = _write_marker(store, "reused", other_process, proc_start=started - 1)

    result = sweep("status", "reused", "--store", store, "--json")

    doc = result.json()
    assert doc["active_pids"] == []
    assert (doc["state"], doc["local_state"], doc["missing_shards"]) == ("running", "incomplete", 5)
    assert not marker.exists()  # removed as stale


def test_the_same_process_is_still_recognised(tmp_path: Path, other_process: int) -> None:
    """The check must not throw away live markers: same pid and same start time count."""
    started = process_start_time(other_process)
    assert started is not None
    marker = _write_marker(tmp_path, "live", other_process, proc_start=started)

    assert active_pids(tmp_path, "live") == [other_process]
    assert marker.exists()


def test_markers_record_the_start_time_of_their_process(tmp_path: Path) -> None:
    with active_marker(tmp_path, "mine", "sweep run"):
        (path,) = (tmp_path / MARKER_FOLDER / "mine").glob("*.json")
        info = json.loads(path.read_text())
        assert info["pid"] == os.getpid()
        assert info["proc_start"] == process_start_time(os.getpid())
        assert active_pids(tmp_path, "mine") == [os.getpid()]
    assert active_pids(tmp_path, "mine") == []


def test_process_start_time_reads_field_22_even_with_odd_command_names(tmp_path: Path) -> None:
    """comm may hold spaces and ')': the parser splits after the last ')'."""
    odd = tmp_path / "a) b ("
    odd.symlink_to("/bin/sleep")
    proc = subprocess.Popen([str(odd), "600"])
    later = subprocess.Popen(["sleep", "600"])
    try:
        with open(f"/proc/{proc.pid}/stat", "rb") as handle:
            assert b"(a) b ()" in handle.read()  # the odd name really is in comm
        mine, odd_start, later_start = (
            process_start_time(pid) for pid in (os.getpid(), proc.pid, later.pid)
        )
        assert mine is not None and odd_start is not None and later_start is not None
        assert mine <= odd_start <= later_start  # started in that order
    finally:
        for child in (proc, later):
            child.kill()
            child.wait()
    assert process_start_time(proc.pid) is None
