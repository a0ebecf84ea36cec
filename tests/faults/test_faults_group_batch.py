"""SIGKILL in the middle of a worker task that carries several tiny shards (issue 13): the
attempts of one task share a durability batch (one barrier, then their envelopes published in
order), so a kill can land in the barrier, or after some of the group's envelopes are
published and before the others are. The worker is killed for real, with
`os.kill(getpid(), SIGKILL)` from inside the store's system calls; then the platform's retry of
every attempt runs. Nothing is lost (every point has its row, once), nothing is overwritten
(a shard committed before the kill keeps its bytes), no temp object is ever visible, and the
run is compacted once the retries are done."""

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
from serverless_sweep.adapters.local.runtime import CHILD_FUNCTION_NAME
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.compaction import committed_record
from serverless_sweep.handlers.runs import find_run

RUN_DATE = "2026-12-01"
RUN_ID = "batch-kill"
SHARDS = 6

#: Runs one group of attempts in a fresh interpreter, as a worker task does; SIGKILLs itself
#: at the chosen system call.
WORKER = r"""
import json, os, signal, sys
from serverless_sweep.adapters.local import _worker
from serverless_sweep.adapters.local.runtime import BATCH_TARGET, CHILD_FUNCTION_NAME, CHILD_TARGET

root, kill_at, payloads = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
real_link, real_fsync = os.link, os.fsync
linked = []

def link(src, dst, *args, **kwargs):
    if kill_at == "at-chunk" and "/compaction/chunks/" in str(dst):
        os.kill(os.getpid(), signal.SIGKILL)  # every envelope published, no marker written
    if str(dst).endswith(".json") and "shard_outcomes" in str(dst):
        linked.append(dst)
        if kill_at == "after-first-envelope" and len(linked) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    return real_link(src, dst, *args, **kwargs)

def fsync(fd):
    if kill_at == "in-barrier":
        os.kill(os.getpid(), signal.SIGKILL)
    return real_fsync(fd)

os.link, os.fsync = link, fsync
_worker._environments[CHILD_FUNCTION_NAME] = {
    "SWEEP_STORE": root, "SWEEP_RESULTS_PREFIX": "", "SWEEP_DEFAULT_MODEL": "legacy_hash",
}
results = _worker.run_slotted_group(
    list(range(len(payloads))), CHILD_TARGET, BATCH_TARGET, CHILD_FUNCTION_NAME,
    [json.dumps(p).encode() for p in payloads], [f"r{i}" for i in range(len(payloads))], 900.0,
)
print(json.dumps([r.ok for r in results]))
"""


def _payload(shard_id: int) -> dict[str, Any]:
    return {
        "attempt": 1,
        "contract_version": "1.0",
        "dimensions": {"a": list(range(SHARDS))},
        "end_index": shard_id + 1,
        "failure_injection_shards": [],
        "fingerprint": "1" * 64,
        "model": "legacy_hash",
        "run_date": RUN_DATE,
        "run_id": RUN_ID,
        "seed": 3,
        "shard_id": shard_id,
        "start_index": shard_id,
        "total_points": SHARDS,
    }


def _record_run(store: LocalObjectStore) -> None:
    """The run's manifest and index pointer, as the parent writes them (compaction reads them)."""
    layout = StorageLayout("")
    manifest = {
        "run_id": RUN_ID,
        "run_date": RUN_DATE,
        "model": "legacy_hash",
        "fingerprint": "1" * 64,
        "accepted_at": f"{RUN_DATE}T00:00:00+00:00",
        "total_points": SHARDS,
        "request": {"run_id": RUN_ID, "dimensions": {"a": list(range(SHARDS))}, "seed": 3},
        "shards": [{"shard_id": i, "start_index": i, "end_index": i + 1} for i in range(SHARDS)],
    }
    store.put(layout.manifest_key(RUN_DATE, RUN_ID), dumps_canonical(manifest).encode())
    pointer = {
        "run_id": RUN_ID,
        "run_date": RUN_DATE,
        "manifest_key": layout.manifest_key(RUN_DATE, RUN_ID),
    }
    store.put(layout.run_index_key(RUN_ID), dumps_canonical(pointer).encode())


def _visible(root: Path) -> list[str]:
    return sorted(LocalObjectStore(root).list_keys(""))


def _run_group(root: Path, kill_at: str, shard_ids: list[int]) -> subprocess.CompletedProcess[str]:
    payloads = json.dumps([_payload(i) for i in shard_ids])
    return subprocess.run(
        [sys.executable, "-c", WORKER, str(root), kill_at, payloads],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_group_without_a_kill_commits_every_attempt_and_compacts(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = LocalObjectStore(root)
    _record_run(store)
    proc = _run_group(root, "none", list(range(SHARDS)))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [True] * SHARDS
    envelopes = [k for k in _visible(root) if "shard_outcomes" in k]
    assert len(envelopes) == SHARDS
    record = find_run(store, StorageLayout(""), RUN_ID)
    assert record is not None
    compaction = committed_record(store, StorageLayout(""), record)
    assert compaction is not None and compaction.rows == SHARDS


@pytest.mark.parametrize("kill_at", ["in-barrier", "after-first-envelope", "at-chunk"])
def test_sigkill_mid_group_loses_and_overwrites_nothing(tmp_path: Path, kill_at: str) -> None:
    root = tmp_path / "store"
    store = LocalObjectStore(root)
    _record_run(store)
    layout = StorageLayout("")
    handler = ChildHandler(
        store, ChildConfig(results_prefix="", default_model="legacy_hash"), clock=LocalClock()
    )
    handler.handle(_payload(0))  # committed before the group: must stay as it is
    before = {k: store.get(k) for k in _visible(root)}

    group = list(range(1, SHARDS))
    proc = _run_group(root, kill_at, group)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)

    keys = _visible(root)
    assert not any(os.path.basename(k).startswith(".tmp-") for k in keys)
    envelopes = [k for k in keys if "shard_outcomes" in k and k not in before]
    # in the barrier: nothing of the group is committed; after the first envelope: just one;
    # writing the compaction chunk (after publication): all of them, but none marked done
    committed = {"in-barrier": 0, "after-first-envelope": 1, "at-chunk": len(group)}[kill_at]
    assert len(envelopes) == committed, envelopes
    new = [k for k in keys if k not in before]
    assert not any("/compaction/done/" in k or "/compaction/chunks/" in k for k in new), new
    assert {k: store.get(k) for k in before} == before  # the earlier commit is untouched
    files = [k for k in keys if k.endswith(".parquet") and k not in before]
    assert len(files) == len(group)  # each published whole before the barrier

    # The platform's retry of every attempt of the group: adopted or recomputed, committed.
    for shard_id in group:
        assert handler.handle(_payload(shard_id))["status"] == "ok"
    rows: list[int] = []
    for key in _visible(root):
        if key.endswith(".parquet") and "dataset=shard_metrics" in key:
            data = store.get(key)
            assert data is not None
            rows += [r["point_index"] for r in pq.read_table(pa.BufferReader(data)).to_pylist()]
    assert sorted(rows) == list(range(SHARDS))  # nothing lost, nothing doubled
    record = find_run(store, layout, RUN_ID)
    assert record is not None
    compaction = committed_record(store, layout, record)
    assert compaction is not None and compaction.rows == SHARDS
    assert CHILD_FUNCTION_NAME  # the function the worker ran the group as
