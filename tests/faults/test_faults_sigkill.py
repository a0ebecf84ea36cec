"""Fault injection with SIGKILL (issue 9): of worker processes mid-shard, and of the driver
(`sweep run`, then the `sweep redrive` that recovers it). After recovery every point has
exactly one row in the run's success Parquet: each test prints the figure (faults injected,
records lost: 0, duplicates: 0) and asserts it. Waits are bounded polls, not timings.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from faults_helpers import (
    BOUND_S,
    HAVE_PROC,
    SKIP_REASON,
    SWEEP,
    descendants,
    env_for,
    kill_all,
    pool_workers,
    recover,
    start,
    survivors,
    tally,
    wait_for,
)

from serverless_sweep.core.keys import StorageLayout

pytestmark = pytest.mark.skipif(not HAVE_PROC, reason=SKIP_REASON)

WORKERS = 2


def request(run_id: str) -> dict[str, object]:
    """16 ride_hailing points of about a second each, 8 shards: kills land mid-shard."""
    return {
        "run_id": run_id,
        "model": "ride_hailing",
        "dimensions": {
            "num_riders": [2500],
            "num_drivers": [100, 200, 300, 400],
            "commission_rate": [0.1, 0.2, 0.3, 0.4],
        },
        "shard_count": 8,
        "seed": 5,
    }


TOTAL_POINTS = 16


def _run(tmp_path: Path, run_id: str) -> tuple[subprocess.Popen[str], Path]:
    store = tmp_path / "store"
    path = tmp_path / f"{run_id}.json"
    path.write_text(json.dumps(request(run_id)))
    argv = [str(SWEEP), "run", str(path), "--workers", str(WORKERS), "--no-progress"]
    return start(argv, tmp_path, env_for(store)), store


def _busy(
    proc: subprocess.Popen[str], seen: set[int], recorded: tuple[Path, str] | None = None
) -> Callable[[], bool]:
    """A condition: the driver has exited, or runs all its workers (noted in `seen`) and, with
    `recorded` (store, run_id), that run is recorded (its index pointer exists). Workers start
    and warm up before the run is recorded, so a kill meant to test a run's recovery waits for
    the run."""

    def busy() -> bool:
        seen.update(descendants(proc.pid))
        if proc.poll() is not None:
            return True
        if recorded is not None:
            store, run_id = recorded
            # The parent writes the manifest, then the run index pointer that `status` finds
            # the run by: a kill between the two (likelier on a loaded machine) leaves no run.
            if not (store / StorageLayout("").run_index_key(run_id)).is_file():
                return False
        return len(pool_workers(proc.pid)) >= WORKERS

    return busy


def test_sigkill_of_workers_mid_shard_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    proc, store = _run(tmp_path, "fault-workers")
    seen: set[int] = set()
    killed: set[int] = set()
    try:
        for _ in range(3):  # three worker kills, each on a worker that is running a shard

            def fresh_worker() -> bool:
                seen.update(descendants(proc.pid))
                return proc.poll() is not None or bool(pool_workers(proc.pid) - killed)

            assert wait_for(fresh_worker, BOUND_S)
            if proc.poll() is not None:
                break
            victim = min(pool_workers(proc.pid) - killed)
            killed.add(victim)
            os.kill(victim, signal.SIGKILL)
            wait_for(lambda: proc.poll() is not None, 1.0)  # let the pool notice (not asserted)
        _, err = proc.communicate(timeout=BOUND_S * 3)
        assert "Traceback" not in err, err
        final = recover(store, "fault-workers")
    finally:
        kill_all(survivors(seen | {proc.pid}))

    counted = tally(store, "fault-workers", TOTAL_POINTS)
    print(counted.figure(len(killed), "SIGKILL of workers"))
    assert killed, "no worker was killed: the run finished first"
    assert final["state"] == "succeeded", final
    assert (counted.lost, counted.duplicates) == (0, 0)


def test_sigkill_of_the_driver_and_of_its_redrive_loses_nothing(tmp_path: Path) -> None:
    proc, store = _run(tmp_path, "fault-driver")
    seen: set[int] = set()
    faults = 0
    try:
        for attempt in range(2):  # kill `sweep run`, then the first `sweep redrive`
            assert wait_for(_busy(proc, seen, recorded=(store, "fault-driver")), BOUND_S)
            if proc.poll() is None:
                workers = descendants(proc.pid)
                proc.send_signal(signal.SIGKILL)
                proc.communicate(timeout=BOUND_S)
                faults += 1
                assert wait_for(lambda w=workers: not survivors(w), BOUND_S)
            if attempt == 0:
                argv = [str(SWEEP), "redrive", "fault-driver", "--workers", str(WORKERS)]
                proc = start([*argv, "--no-progress"], tmp_path, env_for(store))
        final = recover(store, "fault-driver")
    finally:
        kill_all(survivors(seen | {proc.pid}))

    counted = tally(store, "fault-driver", TOTAL_POINTS)
    print(counted.figure(faults, "SIGKILL of the driver"))
    assert faults >= 1
    assert final["state"] == "succeeded", final
    assert final["active_pids"] == []
    assert (counted.lost, counted.duplicates) == (0, 0)
