"""Shared pieces of the fault-injection suite (issue 9): the store's real Parquet counted, the
CLI in subprocesses, the figure every test ends with.

"Lost" and "duplicates" are counted from what a query sees, the success Parquet files of the
run (read with pyarrow, nothing mocked): lost = points of the plan without a row, duplicates =
rows beyond one per point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "local"))
from proc_helpers import (
    HAVE_PROC,
    SKIP_REASON,
    descendants,
    kill_all,
    pool_workers,
    running,
    start,
    survivors,
    wait_for,
)

from serverless_sweep.adapters.local.runtime import RUNTIME_ENV
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.core.keys import StorageLayout, encode_run_id
from serverless_sweep.handlers.verify import scan_store

__all__ = [
    "HAVE_PROC",
    "SKIP_REASON",
    "SWEEP",
    "Tally",
    "descendants",
    "env_for",
    "kill_all",
    "pool_workers",
    "recover",
    "running",
    "start",
    "status",
    "survivors",
    "tally",
    "wait_for",
]

SWEEP = Path(sys.executable).with_name("sweep")
BOUND_S = 120.0


@dataclass(frozen=True)
class Tally:
    total_points: int
    rows: int
    distinct: int

    @property
    def lost(self) -> int:
        return self.total_points - self.distinct

    @property
    def duplicates(self) -> int:
        return self.rows - self.distinct

    def figure(self, faults: int, what: str) -> str:
        return (
            f"\n{what}: faults injected: {faults}, records lost: {self.lost}, "
            f"duplicates: {self.duplicates} ({self.distinct} of {self.total_points} points)"
        )


def tally(root: Path, run_id: str, total_points: int) -> Tally:
    """Rows per point in the run's committed success Parquet files (what `sweep query` reads).

    A file counts when an intact success envelope commits it (`handlers.verify.scan_store`, the
    list the DuckDB views read): an orphan of a failed commit is in the folder but no query
    ever reads it, so it is neither a row nor a duplicate.
    """
    folder = f"/run_id={encode_run_id(run_id)}/status=success/"
    counts: Counter[int] = Counter()
    for key in scan_store(LocalObjectStore(root), StorageLayout("")).metrics:
        if folder in key:
            table = pq.read_table(root / key, columns=["point_index"])
            counts.update(table.column(0).to_pylist())
    return Tally(total_points, sum(counts.values()), len(counts))


def env_for(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in RUNTIME_ENV}
    env["SWEEP_STORE"] = str(store)
    return env


def status(store: Path, run_id: str) -> dict[str, Any]:
    proc = subprocess.run(
        [str(SWEEP), "status", run_id, "--json"],
        env=env_for(store),
        capture_output=True,
        text=True,
        timeout=BOUND_S,
    )
    assert proc.stdout, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def recover(store: Path, run_id: str, rounds: int = 4) -> dict[str, Any]:
    """`sweep redrive` until the run succeeded (at most `rounds` times); its last status."""
    doc = status(store, run_id)
    for _ in range(rounds):
        if doc["state"] == "succeeded":
            break
        proc = subprocess.run(
            [str(SWEEP), "redrive", run_id, "--workers", "2", "--no-progress"],
            env=env_for(store),
            capture_output=True,
            text=True,
            timeout=BOUND_S * 3,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        doc = status(store, run_id)
    return doc
