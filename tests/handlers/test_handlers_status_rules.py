"""Run status rules that mutation testing showed unguarded (issue 9), and whitespace run ids.

Each test names the mutant it kills: a status that counts coverage by shards instead of points,
calls a run with failed and pending shards "failed", counts success records of shards outside
the plan, or truncates the missing list; and a GET with the submitted, unstripped run_id.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import edge
from handler_helpers import CHILD

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.status import StatusHandler


def setup(request: dict[str, Any]) -> tuple[ParentHandler, ChildHandler, RecordingInvoker]:
    store, clock, invoker = MemoryObjectStore(), FixedClock(), RecordingInvoker()
    config = ParentConfig(child_function=CHILD, default_model="legacy_hash", results_prefix="p")
    parent = ParentHandler(invoker=invoker, store=store, config=config, clock=clock)
    child = ChildHandler(
        store=store,
        config=ChildConfig(results_prefix="p", default_model="legacy_hash"),
        clock=clock,
    )
    assert edge.submit(parent, request)["statusCode"] == 202
    return parent, child, invoker


def status(parent: ParentHandler, run_id: str = "r1") -> dict[str, Any]:
    handler = StatusHandler(parent.store, parent.layout, clock=parent.clock)
    response = edge.status(handler, run_id)
    assert response["statusCode"] == 200, response
    result: dict[str, Any] = json.loads(response["body"])
    return result


def deliver(child: ChildHandler, invoker: RecordingInvoker, shard_ids: set[int]) -> None:
    for call in invoker.calls:
        event = json.loads(call.payload)
        if event["shard_id"] in shard_ids:
            # injected failures are recorded by the child, then raised
            with contextlib.suppress(Exception):
                child.handle(event)


def test_coverage_counts_points_not_shards() -> None:
    # 5 points in 2 shards: [0, 3) and [3, 5)
    parent, child, invoker = setup({"run_id": "r1", "dimensions": {"x": [1, 2, 3, 4, 5]},
                                    "shard_count": 2})  # fmt: skip
    deliver(child, invoker, {0})
    now = status(parent)
    assert now["points_done"] == 3 and now["coverage"] == 3 / 5  # by shards it would be 0.5


def test_failed_and_pending_shards_make_a_running_run_not_a_failed_one() -> None:
    parent, child, invoker = setup({"run_id": "r1", "dimensions": {"x": [1, 2, 3]},
                                    "shard_count": 3, "failure_injection_shards": [0]})  # fmt: skip
    deliver(child, invoker, {0})
    now = status(parent)
    assert (now["failed_shards"], now["pending_shards"]) == (1, 2)
    assert now["state"] == "running"


def test_success_records_of_shards_outside_the_plan_do_not_count() -> None:
    parent, child, invoker = setup({"run_id": "r1", "dimensions": {"x": [1, 2]}, "shard_count": 2})
    record_day = json.loads(invoker.calls[0].payload)["run_date"]
    stray = parent.layout.success_outcome_key(record_day, "r1", 7)
    parent.store.put(stray, b"{}")
    deliver(child, invoker, {0})
    now = status(parent)
    assert now["succeeded_shards"] == 1 and now["pending_shards"] == 1
    assert now["state"] == "running" and now["points_done"] == 1


def test_the_missing_list_is_not_truncated_at_ten() -> None:
    parent, _child, _invoker = setup({"run_id": "r1", "dimensions": {"x": list(range(50))},
                                      "shard_size": 1})  # fmt: skip
    now = status(parent)
    assert now["missing_shard_ids"] == list(range(50))


def test_the_submitted_run_id_with_its_whitespace_finds_the_run() -> None:
    """Issue 9 item 10: the id is stored stripped, so GET with the id as submitted was a 404."""
    parent, _child, _invoker = setup({"run_id": "  ws-run\t", "dimensions": {"x": [1]},
                                      "shard_count": 1})  # fmt: skip
    for given in ("  ws-run\t", "ws-run"):
        assert status(parent, given)["run_id"] == "ws-run"
    assert edge.redrive(parent, "  ws-run\t")["statusCode"] in (200, 202)
    missing = edge.status(StatusHandler(parent.store, parent.layout), "   ")
    assert missing["statusCode"] == 404
