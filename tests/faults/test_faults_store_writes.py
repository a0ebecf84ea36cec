"""Fault injection: a store whose writes fail (issue 9). The child's writes (Parquet, outcome
envelopes, failure records) fail at random, as on a full disk or an S3 that answers 503; the
parent's dispatch is recorded, each delivery gets Lambda's two retries, and `redrive` runs
until the run succeeded. After recovery every point has exactly one row in the success
Parquet (real files, read with pyarrow) and status agrees: the figure is printed and asserted.

The failing store is a real LocalObjectStore with an injected OSError-like StoreError before
a write reaches the disk (no tmpfs needed, so it runs everywhere).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import edge
from faults_helpers import tally

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import RecordingInvoker
from serverless_sweep.entrypoints.console.store import load_run
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import StoreError

RUN_ID = "fault-writes"
TOTAL_POINTS = 200
LAMBDA_ATTEMPTS = 3  # one try and Lambda's two async retries


class FailingWrites(LocalObjectStore):
    """Every write fails with probability `rate` before touching the disk (seeded)."""

    def __init__(self, root: Path, rate: float, seed: int) -> None:
        super().__init__(root)
        self.rate = rate
        self.rng = random.Random(seed)
        self.faults = 0

    def _maybe_fail(self, key: str) -> None:
        if self.rng.random() < self.rate:
            self.faults += 1
            raise StoreError(f"injected write failure for {key!r} (no space left on device)")

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._maybe_fail(key)
        super().put(key, data, content_type)

    def put_if_absent(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self._maybe_fail(key)
        super().put_if_absent(key, data, content_type)


def test_failing_writes_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    root = tmp_path / "store"
    invoker = RecordingInvoker()
    parent = ParentHandler(
        invoker=invoker,
        store=LocalObjectStore(root),
        config=ParentConfig(
            child_function="sweep-child", default_model="legacy_hash", results_prefix=""
        ),
    )
    flaky = FailingWrites(root, rate=0.3, seed=9)
    child = ChildHandler(store=flaky, config=ChildConfig(results_prefix=""))
    request = {
        "run_id": RUN_ID,
        "model": "legacy_hash",
        "dimensions": {"a": list(range(20)), "b": list(range(10))},
        "shard_count": 20,
        "seed": 1,
    }

    assert edge.submit(parent, request)["statusCode"] == 202
    delivered = 0
    status: dict[str, object] = {}
    for _round in range(25):
        for call in invoker.calls[delivered:]:
            event = json.loads(call.payload)
            for _ in range(LAMBDA_ATTEMPTS):
                try:
                    child.handle(event)
                    break
                except Exception:  # the attempt failed (its record may have failed too)
                    continue
        delivered = len(invoker.calls)
        loaded = load_run(root, RUN_ID)
        assert loaded is not None
        status = loaded[1]
        if status["state"] == "succeeded":
            break
        answer = edge.redrive(parent, RUN_ID)
        assert answer["statusCode"] in (200, 202), answer

    counted = tally(root, RUN_ID, TOTAL_POINTS)
    print(counted.figure(flaky.faults, "failing store writes"))
    assert flaky.faults > 0
    assert status["state"] == "succeeded", status
    assert status["points_done"] == TOTAL_POINTS
    assert (counted.lost, counted.duplicates) == (0, 0)
