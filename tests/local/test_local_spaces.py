"""`sweep run --preset`, sampled request files and `sweep models` in process (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

from local_helpers import legacy_request, sweep, write_request


def test_run_a_preset_by_name_without_a_request_file(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = sweep("run", "--preset", "minimal", "--store", store, "--workers", "1",
                   "--no-progress")  # fmt: skip
    assert result.code == 0, result.err
    assert "coverage   100.0% (2 of 2 points)" in result.out
    status = sweep("status", "minimal", "--store", store, "--json")
    assert status.code == 0 and status.json()["state"] == "succeeded"


def test_a_preset_fills_a_request_file_that_names_it(tmp_path: Path) -> None:
    request = write_request(tmp_path, {"run_id": "mine", "shard_count": 1, "seed": 5})
    result = sweep("run", request, "--preset", "minimal", "--store", tmp_path / "s",
                   "--workers", "1", "--no-progress", "--json")  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()["run_id"] == "mine"
    unknown = sweep("run", request, "--preset", "nope", "--store", tmp_path / "s", "--no-progress")
    assert unknown.code == 2
    assert "/preset" in unknown.err and "pricing_focused" in unknown.err


def test_run_without_request_or_preset_is_a_usage_error(tmp_path: Path) -> None:
    result = sweep("run", "--store", tmp_path / "s")
    assert result.code == 2 and "--preset NAME" in result.err


def test_a_latin_hypercube_request_file_runs_and_reports_its_points(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = legacy_request(
        "lhs",
        dimensions={"a": [1, 2]},
        ranges={"x": {"min": -1.0, "max": 1.0}, "n": {"min": 1, "max": 1000, "log": True,
                                                       "integer": True}},
        sampling={"method": "latin_hypercube", "count": 5, "seed": 1},
        exclude=[{"a": 2}],
        shard_count=2,
    )  # fmt: skip
    result = sweep("run", write_request(tmp_path, request), "--store", store, "--workers", "2",
                   "--no-progress")  # fmt: skip
    assert result.code == 0, result.err
    assert "coverage   100.0% (5 of 5 points)" in result.out
    rows = sweep("query", "--store", store, "--format", "json",
                 "SELECT point_index, parameters_json FROM shard_metrics ORDER BY 1")  # fmt: skip
    points = [json.loads(r["parameters_json"]) for r in rows.json()]
    assert [r["point_index"] for r in rows.json()] == [0, 1, 2, 3, 4]
    assert {p["a"] for p in points} == {1}
    # one point per fifth of each range (the Latin hypercube property)
    assert sorted(int((p["x"] + 1) / 2 * 5) for p in points) == [0, 1, 2, 3, 4]


def test_sweep_models_lists_the_builtin_models_and_presets() -> None:
    result = sweep("models")
    assert result.code == 0
    assert result.out.startswith("legacy_hash")
    assert "ride_hailing   built-in" in result.out and "pricing_focused" in result.out
    detail = sweep("models", "ride_hailing", "--json").json()
    assert detail["presets"]["matching_focused"]["points"] == 16  # exclude and the model rule
    assert detail["parameters"]["num_riders"] == {"type": "integer", "default": 500}
    assert sweep("models", "nope").code == 2
