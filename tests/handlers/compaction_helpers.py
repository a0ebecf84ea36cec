"""Set-up the compaction tests share: a legacy_hash run submitted to a store, its tiny shards
committed in one local durability batch, and a run's compaction outputs removed so that it
can be compacted again."""

from __future__ import annotations

import json
import shutil
from typing import Any

from handler_helpers import CHILD, request

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import FixedClock, RecordingInvoker
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers import compaction
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import ObjectStore
from serverless_sweep.handlers.runs import RunRecord, find_run

LAYOUT = StorageLayout("p")


class TickingClock(FixedClock):
    """A clock whose monotonic counter moves on every reading (other compute_ms values)."""

    def __init__(self) -> None:
        super().__init__()
        self._ticks = 0.0

    def monotonic(self) -> float:
        self._ticks += 0.25
        return self._ticks


def submit_run(store: ObjectStore, shards: int) -> list[dict[str, Any]]:
    """Submit run "r1" of `shards` one-point shards; the payloads the parent dispatched."""
    invoker = RecordingInvoker()
    config = ParentConfig(child_function=CHILD, default_model="legacy_hash", results_prefix="p")
    parent = ParentHandler(invoker=invoker, store=store, config=config, clock=FixedClock())
    parent.submit(request(dimensions={"b": list(range(shards))}, shard_count=shards))
    return [json.loads(call.payload) for call in invoker.calls]


def child_handler(store: ObjectStore, clock: FixedClock) -> ChildHandler:
    config = ChildConfig(results_prefix="p", default_model="legacy_hash")
    return ChildHandler(store=store, config=config, clock=clock)


def run_batch(store: LocalObjectStore, events: list[dict[str, Any]], clock: FixedClock) -> None:
    """Every event through one child, in one durability batch; each must succeed."""
    child = child_handler(store, clock)
    with store.durability_batch() as batch:
        for owner, event in enumerate(events):
            batch.owner = owner
            assert child.handle(event)["status"] == "ok"
    assert batch.problems == {}


def run_record(store: ObjectStore) -> RunRecord:
    record = find_run(store, LAYOUT, "r1")
    assert record is not None
    return record


def uncompact(store: LocalObjectStore, record: RunRecord) -> None:
    """Remove the run's compaction outputs (not its markers or chunks), to compact again."""
    folder = store.root / compaction.compaction_folder(LAYOUT, record.run_date, record.run_id)
    for name in ("committed.json", "claim.json"):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "pages", ignore_errors=True)
    shutil.rmtree(store.root / "p" / "dataset=run_metrics", ignore_errors=True)
