"""SIGKILL in the middle of a group commit (issue 13): a child process is killed at the
moments between the writes of its shard's group (the Parquet file published, its envelope not
yet), for real, with `os.kill(getpid(), SIGKILL)` from inside the store's system calls. Then
the platform's retry of the same attempt runs: nothing is lost, nothing is overwritten (the
earlier delivery's file is adopted byte for byte, same inode), and no partial or temp object
is ever visible."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from serverless_sweep.adapters.local.clock import LocalClock
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.handlers.child import ChildConfig, ChildHandler

RUN_DATE = "2026-12-01"

#: Runs one shard in a fresh interpreter; SIGKILLs itself at the chosen system call.
CHILD = r"""
import json, os, signal, sys
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.handlers.child import ChildConfig, ChildHandler

root, kill_at, payload = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
real_link, real_fsync = os.link, os.fsync

def link(src, dst, *args, **kwargs):
    if kill_at == "before-envelope-link" and str(dst).endswith(".json"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_link(src, dst, *args, **kwargs)

def fsync(fd):
    if kill_at == "in-barrier":
        os.kill(os.getpid(), signal.SIGKILL)
    return real_fsync(fd)

os.link, os.fsync = link, fsync
config = ChildConfig(results_prefix="", default_model="legacy_hash")
ChildHandler(LocalObjectStore(root), config).handle(payload)
print("finished without being killed")
"""


def _payload(shard_id: int) -> dict[str, Any]:
    return {
        "attempt": 1,
        "contract_version": "1.0",
        "dimensions": {"a": [1, 2, 3, 4], "b": ["x", "y"]},
        "end_index": 2 * shard_id + 2,
        "failure_injection_shards": [],
        "fingerprint": "0" * 64,
        "model": "legacy_hash",
        "run_date": RUN_DATE,
        "run_id": "group-kill",
        "seed": 3,
        "shard_id": shard_id,
        "start_index": 2 * shard_id,
        "total_points": 8,
    }


def _visible(root: Path) -> list[str]:
    return sorted(LocalObjectStore(root).list_keys(""))


@pytest.mark.parametrize("kill_at", ["in-barrier", "before-envelope-link"])
def test_sigkill_mid_group_loses_and_overwrites_nothing(tmp_path: Path, kill_at: str) -> None:
    root = tmp_path / "store"
    payload = _payload(1)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), kill_at, json.dumps(payload)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)

    # What the kill left: the shard's Parquet file, whole (published before the kill), and no
    # envelope: the shard is uncommitted, so status counts it missing and queries skip the file.
    keys = _visible(root)
    metrics = [k for k in keys if k.endswith(".parquet")]
    assert len(metrics) == 1 and not [k for k in keys if k.endswith(".json")], keys
    assert not any(os.path.basename(k).startswith(".tmp-") for k in keys)
    metrics_path = root / metrics[0]
    before = metrics_path.stat()
    first_bytes = metrics_path.read_bytes()
    assert pq.read_table(pa.BufferReader(first_bytes)).num_rows == 2

    # The platform's retry of the same attempt adopts the file and commits it.
    store = LocalObjectStore(root)
    handler = ChildHandler(store, ChildConfig(results_prefix="", default_model="legacy_hash"))
    result = handler.handle(payload)
    assert result["status"] == "ok" and result["duplicate"] is False
    assert result["metrics_key"] == metrics[0]
    after = metrics_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert metrics_path.read_bytes() == first_bytes  # never overwritten
    envelope = json.loads(store.get(result["outcome_key"]) or b"")
    assert envelope["output_metadata"]["metrics_size"] == len(first_bytes)
    rows = pq.read_table(pa.BufferReader(first_bytes)).to_pylist()
    assert sorted(r["point_index"] for r in rows) == [2, 3]  # nothing lost, nothing doubled

    # A second retry finds the commit and writes nothing.
    assert handler.handle(payload)["duplicate"] is True
    assert len(_visible(root)) == 2


def test_a_killed_group_never_touches_a_shard_committed_before_it(tmp_path: Path) -> None:
    """Shard 0 commits, then the process running shard 1 is killed mid-group: shard 0's file
    and envelope are exactly as committed."""
    root = tmp_path / "store"
    store = LocalObjectStore(root)
    handler = ChildHandler(
        store, ChildConfig(results_prefix="", default_model="legacy_hash"), clock=LocalClock()
    )
    committed = handler.handle(_payload(0))
    snapshot = {k: store.get(k) for k in _visible(root)}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), "in-barrier", json.dumps(_payload(1))],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL
    assert {k: store.get(k) for k in snapshot} == snapshot
    assert committed["outcome_key"] in snapshot
