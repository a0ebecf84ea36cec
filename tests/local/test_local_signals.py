"""Signals, for real (issue 9, item 5): `sweep run` and `sweep serve` in subprocesses, SIGKILL
and SIGTERM, then /proc tells whether any worker survived.

Before the fix, a ProcessPoolExecutor worker whose parent was killed waited on a pipe it holds
both ends of: it finished its shard, then slept for ever (about 190 MB each). SIGTERM of
`sweep run` killed it silently with 143 and left its run marker behind. Every wait below is a
bounded poll (the test fails when the bound passes), never a timing assertion.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import edge
import pytest
from local_helpers import write_request
from proc_helpers import (
    HAVE_PROC,
    SKIP_REASON,
    descendants,
    kill_all,
    pool_workers,
    start,
    survivors,
    wait_for,
)

from serverless_sweep.adapters.local.runtime import RUNTIME_ENV
from serverless_sweep.entrypoints.console.markers import MARKER_FOLDER

pytestmark = pytest.mark.skipif(not HAVE_PROC, reason=SKIP_REASON)

SWEEP = Path(sys.executable).with_name("sweep")
WORKERS = 2
# How long a worker may take to notice its parent died, and a run to start: generous bounds
# for a loaded 2-core machine; the poll ends as soon as the condition holds.
BOUND_S = 60.0


def slow_request(run_id: str) -> dict[str, object]:
    """ride_hailing shards of a few seconds each: the run is still busy when the signal lands."""
    return {
        "run_id": run_id,
        "model": "ride_hailing",
        "dimensions": {
            "num_riders": [3000],
            "num_drivers": [100, 200, 300, 400],
            "commission_rate": [0.1, 0.2, 0.3, 0.4],
            "match_radius": [6],
        },
        "shard_count": 16,
        "seed": 3,
    }


def _env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in RUNTIME_ENV}
    env["SWEEP_STORE"] = str(store)
    return env


@pytest.fixture
def tracked() -> Iterator[set[int]]:
    """Pids the test saw; whatever still runs at the end is killed (and the test has failed)."""
    pids: set[int] = set()
    yield pids
    kill_all(survivors(pids))


def _markers(store: Path) -> list[Path]:
    return sorted((store / MARKER_FOLDER).glob("*/*.json"))


def _start_run(tmp_path: Path, run_id: str) -> tuple[subprocess.Popen[str], Path]:
    store = tmp_path / "store"
    request = write_request(tmp_path, slow_request(run_id))
    argv = [str(SWEEP), "run", str(request), "--workers", str(WORKERS), "--no-progress"]
    return start(argv, tmp_path, _env(store)), store


def _wait_until_busy(proc: subprocess.Popen[str], store: Path, tracked: set[int]) -> set[int]:
    """Wait until the run dispatched (its marker exists) and its workers run; their pids."""

    def busy() -> bool:
        assert proc.poll() is None, f"sweep exited early ({proc.returncode})"
        tracked.update(descendants(proc.pid))
        return bool(_markers(store)) and len(pool_workers(proc.pid)) >= WORKERS

    assert wait_for(busy, BOUND_S), "the run never got busy"
    workers = descendants(proc.pid)
    tracked.update(workers)
    return workers


def test_sigkill_of_sweep_run_leaves_no_worker_behind(tmp_path: Path, tracked: set[int]) -> None:
    """Item 5: SIGKILL of `sweep run`: every worker process exits on its own."""
    proc, store = _start_run(tmp_path, "kill-run")
    workers = _wait_until_busy(proc, store, tracked)
    assert workers

    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=BOUND_S)

    assert wait_for(lambda: not survivors(workers), BOUND_S), (
        f"workers outlived their killed parent: {survivors(workers)}"
    )


def test_sigterm_of_sweep_run_behaves_like_ctrl_c(tmp_path: Path, tracked: set[int]) -> None:
    """Item 5: SIGTERM of `sweep run` unwinds like SIGINT: exit 130, the run's hint (status and
    redrive commands), its marker removed, no traceback, and no worker left."""
    proc, store = _start_run(tmp_path, "term-run")
    workers = _wait_until_busy(proc, store, tracked)

    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=BOUND_S)

    assert proc.returncode == 130, (proc.returncode, err)
    assert "sweep run: interrupted; shards without a record are missing now" in err
    assert "status term-run" in err and "redrive term-run" in err
    assert "Traceback" not in err + out
    assert _markers(store) == []
    assert wait_for(lambda: not survivors(workers), BOUND_S), survivors(workers)


def test_sigint_and_sigterm_say_the_same(tmp_path: Path, tracked: set[int]) -> None:
    """Item 5: the reference behaviour SIGTERM now copies (SIGINT was already handled)."""
    proc, store = _start_run(tmp_path, "int-run")
    workers = _wait_until_busy(proc, store, tracked)

    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=BOUND_S)

    assert proc.returncode == 130, (proc.returncode, err)
    assert "sweep run: interrupted; shards without a record are missing now" in err
    assert _markers(store) == []
    assert wait_for(lambda: not survivors(workers), BOUND_S), survivors(workers)


def test_status_after_sigterm_calls_the_run_incomplete_not_running(
    tmp_path: Path, tracked: set[int]
) -> None:
    """Item 5: the marker is gone, so `sweep status` says missing (redrivable), not pending."""
    proc, store = _start_run(tmp_path, "term-status")
    _wait_until_busy(proc, store, tracked)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=BOUND_S)

    status = subprocess.run(
        [str(SWEEP), "status", "term-status", "--json"],
        cwd=tmp_path,
        env=_env(store),
        capture_output=True,
        text=True,
        timeout=BOUND_S,
    )
    doc = json.loads(status.stdout)
    assert doc["active_pids"] == []
    if doc["state"] == "running":  # some shards had no record when the signal landed
        assert doc["local_state"] == "incomplete"
        assert doc["missing_shards"] == doc["pending_shards"] > 0


def test_sigterm_of_sweep_redrive_behaves_like_ctrl_c(tmp_path: Path, tracked: set[int]) -> None:
    """Item 5: `sweep redrive` has the same SIGTERM handling as `sweep run`."""
    from serverless_sweep.adapters.local.store import LocalObjectStore
    from serverless_sweep.adapters.memory import RecordingInvoker
    from serverless_sweep.handlers.parent import ParentConfig, ParentHandler

    store = tmp_path / "store"
    parent = ParentHandler(  # a run accepted by a session that crashed before any shard ran
        invoker=RecordingInvoker(),
        store=LocalObjectStore(store),
        config=ParentConfig(
            child_function="sweep-child", default_model="ride_hailing", results_prefix=""
        ),
    )
    assert edge.submit(parent, slow_request("term-redrive"))["statusCode"] == 202
    argv = [str(SWEEP), "redrive", "term-redrive", "--workers", str(WORKERS), "--no-progress"]
    proc = start(argv, tmp_path, _env(store))
    workers = _wait_until_busy(proc, store, tracked)

    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=BOUND_S)

    assert proc.returncode == 130, (proc.returncode, err)
    assert "sweep redrive: interrupted" in err and "status term-redrive" in err
    assert "Traceback" not in err + out
    assert _markers(store) == []
    assert wait_for(lambda: not survivors(workers), BOUND_S), survivors(workers)
