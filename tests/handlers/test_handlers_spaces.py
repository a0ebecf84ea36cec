"""Sampled sweeps, exclusions, model rules and presets through the real parent and child
handlers (in-memory ports; issue 14)."""

from __future__ import annotations

import io
import json
from typing import Any

import edge
import pyarrow as pa
import pyarrow.parquet as pq

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import SystemClock
from serverless_sweep.models.ride_hailing.model import load_presets

SOBOL: dict[str, Any] = {
    "run_id": "sobol",
    "model": "ride_hailing",
    "dimensions": {"num_riders": [30], "surge_enabled": [False, True]},
    "ranges": {
        "commission_rate": {"min": 0.05, "max": 0.3},
        "num_drivers": {"min": 3, "max": 40, "log": True, "integer": True},
    },
    "sampling": {"method": "sobol", "count": 6, "seed": 5},
    "seed": 11,
}


class Deployment:
    def __init__(self) -> None:
        self.store, self.invoker = MemoryObjectStore(), RecordingInvoker()
        config = ParentConfig(child_function="c", default_model="ride_hailing", results_prefix="")
        self.parent = ParentHandler(
            invoker=self.invoker, store=self.store, config=config, clock=FixedClock()
        )
        self.child = ChildHandler(
            store=self.store, config=ChildConfig(results_prefix=""), clock=SystemClock()
        )

    def submit(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = edge.submit(self.parent, request)
        return response["statusCode"], json.loads(response["body"])

    def run_children(self, skip: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        calls, self.invoker.calls[:] = list(self.invoker.calls), []
        for call in calls:
            payload = json.loads(call.payload)
            if payload["shard_id"] not in skip:
                self.child.handle(payload)

    def rows(self) -> pa.Table:
        files = sorted(k for k in self.store.objects if k.startswith("dataset=shard_metrics/"))
        tables = [pq.read_table(io.BytesIO(self.store.objects[k])) for k in files]
        return pa.concat_tables(tables).sort_by("point_index")


def comparable(table: pa.Table) -> list[dict[str, Any]]:
    return table.drop_columns(["compute_ms", "shard_id", "attempt"]).to_pylist()


def run(request: dict[str, Any], shards: int) -> pa.Table:
    deployment = Deployment()
    status, body = deployment.submit({**request, "shard_count": shards})
    assert status == 202, body
    deployment.run_children()
    return deployment.rows()


def test_a_sobol_sweep_gives_the_same_points_for_1_and_4_shards() -> None:
    one, four = run(SOBOL, 1), run(SOBOL, 4)
    assert one.num_rows == four.num_rows == 12
    assert comparable(one) == comparable(four)
    rows = one.to_pylist()
    assert [r["point_index"] for r in rows] == list(range(12))
    for row in rows:
        assert 0.05 <= row["commission_rate"] <= 0.3
        assert 3 <= row["num_drivers"] <= 40
    samples = {(r["surge_enabled"], r["commission_rate"], r["num_drivers"]) for r in rows}
    assert len(samples) == 12  # distinct points


def test_redrive_reruns_exactly_the_missing_points() -> None:
    deployment = Deployment()
    status, _ = deployment.submit({**SOBOL, "run_id": "lost", "shard_count": 4})
    assert status == 202
    deployment.run_children(skip={2})  # shard 2 never ran
    assert sorted(set(deployment.rows().column("shard_id").to_pylist())) == [0, 1, 3]
    response = edge.redrive(deployment.parent, "lost")
    assert response["statusCode"] == 202
    assert [json.loads(c.payload)["shard_id"] for c in deployment.invoker.calls] == [2]
    deployment.run_children()
    assert comparable(deployment.rows()) == comparable(run(SOBOL, 1))


def test_exclude_and_the_model_rule_skip_points_without_gaps() -> None:
    request = {
        "run_id": "excl",
        "dimensions": {
            "num_riders": [30],
            "num_drivers": [6],
            "matching_algorithm_type": ["simple", "hungarian"],
            "batch_matching_enabled": [True, False],
            "surge_enabled": [False, True],
        },
        "exclude": [{"matching_algorithm_type": "simple", "surge_enabled": True}],
        "seed": 2,
    }
    deployment = Deployment()
    status, body = deployment.submit({**request, "shard_count": 3})
    assert status == 202
    # 8 combinations: simple+surge (2) by the request, hungarian without batch (2) by the rule,
    # overlapping in none.
    assert (body["total_points"], body["excluded_points"]) == (4, 4)
    deployment.run_children()
    rows = deployment.rows().to_pylist()
    assert [r["point_index"] for r in rows] == [0, 1, 2, 3]
    for row in rows:
        assert not (row["matching_algorithm_type"] == "simple" and row["surge_enabled"])
        assert not (
            row["matching_algorithm_type"] == "hungarian" and not row["batch_matching_enabled"]
        )
    assert (
        len(
            {
                (r["matching_algorithm_type"], r["batch_matching_enabled"], r["surge_enabled"])
                for r in rows
            }
        )
        == 4
    )


def test_a_plain_grid_answers_without_excluded_points() -> None:
    status, body = Deployment().submit(
        {"run_id": "g", "dimensions": {"num_riders": [30]}, "shard_count": 1}
    )
    assert status == 202 and "excluded_points" not in body


def test_a_preset_runs_by_name_and_the_manifest_records_its_space() -> None:
    deployment = Deployment()
    status, body = deployment.submit(
        {
            "run_id": "pre",
            "preset": "minimal",
            "dimensions": {"num_drivers": [20]},
            "shard_count": 2,
        }
    )
    assert status == 202, body
    preset = load_presets()["minimal"]
    assert body["total_points"] == len(preset["dimensions"]["commission_rate"])
    manifest_key = next(k for k in deployment.store.objects if k.endswith("manifest.json"))
    request = json.loads(deployment.store.objects[manifest_key])["request"]
    assert request["preset"] == "minimal"
    assert request["dimensions"] == {
        **dict(sorted(preset["dimensions"].items())),
        "num_drivers": [20],  # the request's own dimension wins over the preset's
    }
    deployment.run_children()
    assert set(deployment.rows().column("num_drivers").to_pylist()) == {20}


def test_every_shipped_preset_is_accepted() -> None:
    names = {"comprehensive", "pricing_focused", "surge_pricing", "matching_focused",
             "supply_demand", "minimal"}  # fmt: skip
    assert set(load_presets()) == names
    for name in sorted(names):
        status, body = Deployment().submit(
            {"run_id": name, "preset": name, "dimensions": {}, "shard_count": 4}
        )
        assert status == 202, (name, body)
        assert body["total_points"] >= 2


def test_an_unknown_preset_is_a_400_listing_the_presets() -> None:
    status, body = Deployment().submit(
        {"run_id": "x", "preset": "pricing", "dimensions": {}, "shard_count": 1}
    )
    assert status == 400
    assert body["details"][0]["pointer"] == "/preset"
    assert "pricing_focused" in body["message"]


def test_range_bounds_are_checked_by_the_model() -> None:
    request = {
        **SOBOL,
        "ranges": {
            "commission_rate": {"min": 0.5, "max": 1.5},
            "num_drivers": {"min": 3, "max": 40},  # an integer parameter, sampled as floats
        },
        "shard_count": 1,
    }
    status, body = Deployment().submit(request)
    assert status == 400
    pointers = {d["pointer"] for d in body["details"]}
    assert {"/ranges/commission_rate/max", "/ranges/num_drivers/min"} <= pointers
