"""Every run_id the old runtime accepted must still work end to end on a real folder store."""

from __future__ import annotations

import json
from pathlib import Path

import edge
import pytest

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import FixedClock, RecordingInvoker
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.status import StatusHandler


@pytest.mark.parametrize(
    "run_id",
    ["x" * 500, ".tmp-x", "..", "\u6771\u4eac" * 60, "surge/berlin=v2", "a\u0000b\u007f"],
)
def test_run_id_round_trip_on_a_folder_store(tmp_path: Path, run_id: str) -> None:
    store, invoker, clock = LocalObjectStore(tmp_path), RecordingInvoker(), FixedClock()
    config = ParentConfig(child_function="c", default_model="legacy_hash", results_prefix="")
    parent = ParentHandler(invoker=invoker, store=store, config=config, clock=clock)
    response = edge.submit(
        parent, {"run_id": run_id, "dimensions": {"a": [1, 2]}, "shard_count": 2}
    )
    assert response["statusCode"] == 202, response["body"]
    child = ChildHandler(store=store, config=ChildConfig(results_prefix=""), clock=clock)
    for call in invoker.calls:
        child.handle(json.loads(call.payload))
    status = json.loads(edge.status(StatusHandler(store, parent.layout), run_id)["body"])
    assert status["run_id"] == run_id
    assert (status["state"], status["succeeded_shards"]) == ("succeeded", 2)
    assert (
        edge.submit(parent, {"run_id": run_id, "dimensions": {"a": [1, 2]}, "shard_count": 2})[
            "statusCode"
        ]
        == 200
    )
