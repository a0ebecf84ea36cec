"""The ride_hailing model through the real parent and child handlers (in-memory ports)."""

from __future__ import annotations

import io
import json
from typing import Any

import edge
import pyarrow as pa
import pyarrow.parquet as pq

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.contracts.generated.v1.arrow_schemas import shard_metrics_schema
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import SystemClock

SWEEP: dict[str, Any] = {
    "run_id": "rh",
    "model": "ride_hailing",
    "dimensions": {"num_riders": [30, 60], "num_drivers": [4, 12], "match_radius": [3]},
    "seed": 11,
}


def run_sweep(shard_count: int) -> tuple[MemoryObjectStore, pa.Table]:
    store, invoker, clock = MemoryObjectStore(), RecordingInvoker(), FixedClock()
    parent = ParentHandler(
        invoker=invoker,
        store=store,
        config=ParentConfig(child_function="c", default_model="ride_hailing", results_prefix=""),
        clock=clock,
    )
    assert edge.submit(parent, {**SWEEP, "shard_count": shard_count})["statusCode"] == 202
    child = ChildHandler(store=store, config=ChildConfig(results_prefix=""), clock=SystemClock())
    for call in invoker.calls:
        child.handle(json.loads(call.payload))
    files = sorted(k for k in store.objects if k.startswith("dataset=shard_metrics/"))
    assert len(files) == shard_count
    tables = [pq.read_table(io.BytesIO(store.objects[k])) for k in files]
    return store, pa.concat_tables(tables).sort_by("point_index")


def comparable(table: pa.Table) -> list[dict[str, Any]]:
    rows = table.drop_columns(["compute_ms", "shard_id"]).to_pylist()
    return rows


def test_a_point_gives_the_same_numbers_whatever_the_shard_layout() -> None:
    _, one = run_sweep(1)
    _, four = run_sweep(4)
    assert one.num_rows == four.num_rows == 4
    assert comparable(one) == comparable(four)
    assert len(set(one.column("point_seed").to_pylist())) == 4


def test_metrics_files_follow_the_generated_schema_and_read_back() -> None:
    _, table = run_sweep(2)
    assert table.schema.equals(shard_metrics_schema("ride_hailing"), check_metadata=False)
    row = table.to_pylist()[0]
    # every effective parameter is a typed column, defaults resolved
    assert row["matching_algorithm_type"] == "hungarian" and row["epoch_ms"] == 0
    assert row["simulation_duration_hours"] == 3 and row["base_speed_kmh"] is None
    assert (
        row["total_riders"]
        == row["completed_riders"] + row["cancelled_riders"] + row["abandoned_quote_riders"]
    )
    assert row["model"] == "ride_hailing" and row["compute_ms"] > 0


def test_more_drivers_shorten_the_wait_end_to_end() -> None:
    _, table = run_sweep(2)
    rows = {(r["num_riders"], r["num_drivers"]): r for r in table.to_pylist()}
    assert rows[(60, 12)]["completed_riders"] > rows[(60, 4)]["completed_riders"]


def test_the_outcome_summary_aggregates_the_shard() -> None:
    store, table = run_sweep(1)
    [key] = [k for k in store.objects if "dataset=shard_outcomes/" in k]
    summary = json.loads(store.objects[key])["output_metadata"]["summary"]["metrics"]
    assert summary["points_processed"] == 4
    assert summary["completed_riders"] == sum(table.column("completed_riders").to_pylist())


def test_unknown_parameter_is_rejected_by_the_parent_naming_allowed_names() -> None:
    parent = ParentHandler(
        invoker=RecordingInvoker(),
        store=MemoryObjectStore(),
        config=ParentConfig(child_function="c", default_model="ride_hailing"),
        clock=FixedClock(),
    )
    bad = {**SWEEP, "dimensions": {"num_rider": [1]}, "shard_count": 1}
    body = json.loads(edge.submit(parent, bad)["body"])
    assert body["error"] == "validation_error"
    assert "num_rider" in body["message"] and "num_riders" in body["message"]
    hungarian = {
        **SWEEP,
        "dimensions": {"batch_matching_enabled": [False]},  # every point breaks the rule
        "shard_count": 1,
    }
    body = json.loads(edge.submit(parent, hungarian)["body"])
    assert body["details"][0]["rule"] == "incompatible_parameters"
