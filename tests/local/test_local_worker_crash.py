"""SIGKILL of a worker in the middle of `sweep run` (issue 7, "never silent").

Before: the killed shard left no record and the status said "running" for ever (the same hole
as a child Lambda that dies of out-of-memory). Now the local runtime emulates Lambda's
on-failure destination: an attempt whose worker died, with its retries exhausted, is recorded
by the same recorder code as in the cloud, as error_kind `crashed`; the run ends with every
shard succeeded or failed, and `sweep redrive` completes it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from local_helpers import matching, write_request
from proc_helpers import pool_workers

SHARDS = 8


def _workers(pid: int) -> list[int]:
    """The pool's worker processes (spawned, or forks of the fork server; not the server)."""
    return sorted(pool_workers(pid))


def _sweep(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "serverless_sweep.entrypoints.cli", *args, "--store", str(store)]


def test_sigkill_of_a_worker_leaves_a_crash_record_and_redrive_completes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(
        tmp_path,
        {
            "run_id": "crash-demo",
            "model": "ride_hailing",
            "dimensions": {"num_riders": [8000], "num_drivers": list(range(400, 2000, 100))},
            "shard_count": SHARDS,
            "seed": 3,
        },
    )
    proc = subprocess.Popen(
        _sweep(store, "run", str(request), "--workers", "2", "--max-retries", "0", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Wait (bounded) until shards are being computed: the first success record is in and
        # the workers are busy with the next ones.
        victim = None
        for _ in range(600):
            done = matching(store, "dataset=shard_outcomes/*/run_id=crash-demo/status=success/*")
            workers = _workers(proc.pid)
            if done and workers:
                victim = workers[0]
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert victim is not None, "no worker was busy within 30 s"
        os.kill(victim, signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    assert proc.returncode == 1, err  # the run failed: some shards crashed
    status = json.loads(out)["status"]
    assert status["pending_shards"] == 0 and status["missing_shards"] == 0, status
    assert status["succeeded_shards"] + status["failed_shards"] == SHARDS
    assert status["failed_shards"] >= 1
    assert {f["error_kind"] for f in status["failures"]} == {"crashed"}
    assert all("worker process" in f["error_message"] for f in status["failures"])
    assert "Traceback" not in err

    redrive = subprocess.run(
        _sweep(store, "redrive", "crash-demo", "--workers", "2", "--json"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert redrive.returncode == 0, redrive.stderr
    final = json.loads(redrive.stdout)["status"]
    assert final["state"] == "succeeded" and final["coverage"] == 1.0
    assert final["succeeded_shards"] == SHARDS
