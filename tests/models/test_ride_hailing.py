"""The ride_hailing model: contract (columns, parameters), determinism, invariants, the
direction in which every parameter moves the metrics, and dimension validation.

Scenarios are small (≤ 200 riders) and directional checks average a few seeds, so the file runs
in seconds; the simulation is deterministic, so these numbers never flake.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.seeding import point_seed_sequence
from serverless_sweep.core.validation import normalize_request
from serverless_sweep.models.base import ModelError, PointContext, SimulationModel
from serverless_sweep.models.constraints import apply_model_rules
from serverless_sweep.models.ride_hailing import (
    PARAMETERS,
    RideHailingModel,
    RideHailingParams,
    simulate,
)
from serverless_sweep.models.ride_hailing.params import spec_from_schema

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "v1" / "models" / "ride_hailing"
PARAMETER_SCHEMA = json.loads((SCHEMA_DIR / "parameters.json").read_text())
COLUMNS = json.loads((SCHEMA_DIR / "columns.json").read_text())["columns"]

MODEL: SimulationModel = RideHailingModel()
SEED = 20240607
SEEDS = range(4)

# Small scenarios.
SMALL = {"num_riders": 60, "num_drivers": 20, "match_radius": 5}
BALANCED = {"num_riders": 200, "match_radius": 5}
PLENTY = {"num_riders": 100, "num_drivers": 100, "match_radius": 10}


def run(point: Mapping[str, Any], index: int = 0, seed: int = SEED) -> dict[str, Any]:
    return MODEL.run_point(point, PointContext("run-test", 0, seed, index))


def mean(point: Mapping[str, Any], metric: str, seeds: Sequence[int] = SEEDS) -> float:
    return float(np.mean([run(point, index=i)[metric] for i in seeds]))


def fare_per_trip(point: Mapping[str, Any]) -> float:
    rows = [run(point, index=i) for i in SEEDS]
    return float(
        sum(r["total_fares_collected"] for r in rows) / sum(r["completed_trips"] for r in rows)
    )


# -- contract -----------------------------------------------------------------------------


def test_parameter_table_equals_the_schema_file() -> None:
    properties = PARAMETER_SCHEMA["properties"]
    assert list(PARAMETERS) == list(properties)
    for name, spec in PARAMETERS.items():
        prop = properties[name]
        expected_type = [spec.type, "null"] if spec.nullable else spec.type
        assert prop["type"] == expected_type, name
        assert prop["default"] == spec.default, name
        assert type(prop["default"]) is type(spec.default), name
        assert prop.get("minimum") == spec.minimum, name
        assert prop.get("maximum") == spec.maximum, name
        assert prop.get("exclusiveMinimum") == spec.exclusive_minimum, name
        assert prop.get("enum") == (list(spec.enum) if spec.enum else None), name
        known = {"description", "type", "default", "minimum", "maximum", "exclusiveMinimum", "enum"}
        assert set(prop) <= known, f"{name}: the table does not mirror {set(prop) - known}"


def test_dataclass_defaults_equal_the_schema_defaults() -> None:
    assert RideHailingParams() == RideHailingParams.from_point({})
    assert list(RideHailingParams().as_dict()) == list(PARAMETERS)


def test_schema_keywords_the_model_cannot_check_fail_loudly() -> None:
    with pytest.raises(RuntimeError, match="multipleOf"):
        spec_from_schema("x", {"type": "integer", "default": 1, "multipleOf": 2})
    with pytest.raises(RuntimeError, match="unsupported type"):
        spec_from_schema("x", {"type": ["integer", "string"], "default": 1})
    spec = spec_from_schema("x", {"type": ["number", "null"], "default": None, "maximum": 3})
    assert (spec.type, spec.nullable, spec.maximum) == ("number", True, 3)


def test_columns_order_and_python_types_match_columns_json() -> None:
    row = run(SMALL)
    assert list(row) == [c["name"] for c in COLUMNS]
    python_types = {"int64": int, "float64": float, "boolean": bool, "string": str}
    for column in COLUMNS:
        value = row[column["name"]]
        if value is None:
            assert column["nullable"], column["name"]
            continue
        assert type(value) is python_types[column["type"]], (column["name"], value)


def test_effective_parameters_resolve_defaults() -> None:
    row = run({"num_riders": 10, "num_drivers": 5})
    defaults = {name: spec.default for name, spec in PARAMETERS.items()}
    expected = defaults | {"num_riders": 10, "num_drivers": 5}
    expected |= {"epoch_ms": 0, "simulation_duration_hours": 3, "base_speed_kmh": None}
    assert {name: row[name] for name in PARAMETERS} == expected
    assert row["commission_rate"] == 0.0 and type(row["commission_rate"]) is float


def test_ints_for_number_parameters_become_floats() -> None:
    row = run({"num_riders": 10, "base_speed_kmh": 30, "commission_rate": 1, "eta_weight": 0})
    assert row["base_speed_kmh"] == 30.0 and type(row["base_speed_kmh"]) is float
    assert type(row["commission_rate"]) is float and type(row["eta_weight"]) is float


def test_model_name_and_cheap_construction() -> None:
    assert RideHailingModel().name == "ride_hailing"
    assert MODEL.name == "ride_hailing"


# -- determinism --------------------------------------------------------------------------


def test_same_seed_and_index_give_identical_rows() -> None:
    assert run(SMALL, index=3) == run(SMALL, index=3)


def test_rows_do_not_depend_on_run_id_or_shard() -> None:
    a = MODEL.run_point(SMALL, PointContext("run-a", 0, SEED, 5))
    b = MODEL.run_point(SMALL, PointContext("run-b", 17, SEED, 5))
    assert a == b


def test_other_index_or_seed_gives_other_results() -> None:
    base = run(SMALL, index=0)
    assert run(SMALL, index=1) != base
    assert run(SMALL, index=0, seed=SEED + 1) != base
    assert run(SMALL, index=0, seed=-SEED) != base


def test_simulate_is_pure_in_its_seed_sequence() -> None:
    params = RideHailingParams.from_point(SMALL)
    sequence = point_seed_sequence(SEED, 2)
    first = simulate(params, sequence)
    assert simulate(params, sequence) == first
    assert params.as_dict() | first.as_dict() == run(SMALL, index=2)


# -- invariants ---------------------------------------------------------------------------


def check_invariants(point: Mapping[str, Any], row: Mapping[str, Any]) -> None:
    total = row["total_riders"]
    assert total == sum(
        row[k] for k in ("completed_riders", "cancelled_riders", "abandoned_quote_riders")
    )
    reasons = ("riders_abandoned_price", "riders_abandoned_eta", "riders_abandoned_stochastic")
    assert row["abandoned_quote_riders"] == sum(row[k] for k in reasons)
    assert 0 <= total <= row["num_riders"]
    assert row["completed_trips"] == row["completed_riders"]
    assert 0.0 <= row["conversion_rate"] <= 1.0
    assert row["conversion_rate"] == (row["completed_riders"] / total if total else 0.0)
    assert row["total_drivers"] == row["num_drivers"]
    fares = row["total_fares_collected"]
    assert row["platform_revenue"] + row["driver_payouts"] == pytest.approx(fares, abs=1e-6)
    assert row["platform_revenue"] == pytest.approx(fares * row["commission_rate"], abs=1e-6)
    for kind in ("match", "pickup"):
        avg, med, p90 = (row[f"{s}_time_to_{kind}_ms"] for s in ("avg", "median", "p90"))
        assert min(avg, med, p90) >= 0.0
        assert med <= p90
        if row["completed_riders"] == 0:
            assert avg == med == p90 == 0.0
    if row["completed_riders"]:
        assert row["avg_time_to_pickup_ms"] > 0.0
        assert (fares > 0.0) == (row["base_fare"] > 0.0 or row["per_km_rate"] > 0.0)
    for value in row.values():
        assert not (isinstance(value, float) and not math.isfinite(value))


point_strategy = st.fixed_dictionaries(
    {
        "num_riders": st.integers(0, 60),
        "num_drivers": st.integers(0, 25),
        "match_radius": st.integers(0, 12),
        "commission_rate": st.floats(0, 1),
        "base_fare": st.floats(0, 60),
        "per_km_rate": st.floats(0, 8),
        "surge_enabled": st.booleans(),
        "surge_radius_k": st.integers(0, 10),
        "surge_max_multiplier": st.floats(1, 4),
        "epoch_ms": st.one_of(st.none(), st.integers(0, 2 * 86_400_000)),
        "simulation_duration_hours": st.one_of(st.none(), st.integers(1, 4)),
        "batch_interval_secs": st.integers(1, 600),
        "eta_weight": st.floats(0, 20),
        "traffic_profile": st.sampled_from(["none", "berlin"]),
        "dynamic_congestion_enabled": st.booleans(),
        "base_speed_kmh": st.one_of(st.none(), st.floats(5, 200)),
    }
).flatmap(
    lambda point: st.sampled_from(
        [
            {"matching_algorithm_type": "hungarian", "batch_matching_enabled": True},
            {"matching_algorithm_type": "simple", "batch_matching_enabled": True},
            {"matching_algorithm_type": "cost_based", "batch_matching_enabled": True},
            {"matching_algorithm_type": "simple", "batch_matching_enabled": False},
            {"matching_algorithm_type": "cost_based", "batch_matching_enabled": False},
        ]
    ).map(lambda matching: point | matching)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point=point_strategy, index=st.integers(0, 2**40))
def test_invariants_hold_for_any_point(point: dict[str, Any], index: int) -> None:
    assert MODEL.validate_dimensions({k: [v] for k, v in point.items()}) == []
    check_invariants(point, run(point, index=index))


def test_zero_riders_give_zero_metrics() -> None:
    row = run({"num_riders": 0, "num_drivers": 7})
    check_invariants({}, row)
    for name in (
        "total_riders",
        "completed_riders",
        "abandoned_quote_riders",
        "cancelled_riders",
        "completed_trips",
    ):
        assert row[name] == 0
    for name in ("conversion_rate", "platform_revenue", "total_fares_collected"):
        assert row[name] == 0.0
    assert row["avg_time_to_match_ms"] == row["p90_time_to_pickup_ms"] == 0.0
    assert row["total_drivers"] == 7


def test_zero_drivers_complete_nothing() -> None:
    row = run({"num_riders": 50, "num_drivers": 0})
    check_invariants({}, row)
    assert row["completed_riders"] == row["completed_trips"] == row["total_drivers"] == 0
    # No idle driver ever: every quote has an infinite ETA, every rider abandons for ETA.
    assert row["riders_abandoned_eta"] == row["total_riders"] == 50
    assert row["avg_time_to_pickup_ms"] == 0.0


def test_one_by_one_matchers_run_and_keep_invariants() -> None:
    for algorithm in ("simple", "cost_based"):
        point = SMALL | {"matching_algorithm_type": algorithm, "batch_matching_enabled": False}
        row = run(point)
        check_invariants(point, row)
        assert row["completed_riders"] > 0


def test_short_horizon_leaves_riders_unresolved_or_cancelled() -> None:
    one_hour = run(BALANCED | {"num_drivers": 50, "simulation_duration_hours": 1})
    three_hours = run(BALANCED | {"num_drivers": 50})
    check_invariants({}, one_hour)
    assert one_hour["completed_riders"] < three_hours["completed_riders"]
    assert one_hour["total_riders"] <= three_hours["total_riders"] == 200


# -- every parameter matters, in the expected direction -----------------------------------


def test_more_drivers_match_faster_and_complete_more() -> None:
    few, many = BALANCED | {"num_drivers": 50}, BALANCED | {"num_drivers": 150}
    assert mean(many, "avg_time_to_match_ms") < mean(few, "avg_time_to_match_ms")
    assert mean(many, "completed_riders") > mean(few, "completed_riders")
    assert run(many)["total_drivers"] == 150


def test_commission_moves_money_from_drivers_to_platform_with_the_same_fares() -> None:
    low = run(BALANCED | {"num_drivers": 60, "commission_rate": 0.1})
    high = run(BALANCED | {"num_drivers": 60, "commission_rate": 0.3})
    assert high["total_fares_collected"] == low["total_fares_collected"] > 0
    assert high["platform_revenue"] > low["platform_revenue"]
    assert high["driver_payouts"] < low["driver_payouts"]
    assert high["platform_revenue"] == pytest.approx(0.3 * high["total_fares_collected"])


def test_surge_with_short_supply_raises_fares_per_trip() -> None:
    short = {"num_riders": 200, "num_drivers": 15, "match_radius": 5, "surge_radius_k": 5}
    assert fare_per_trip(short | {"surge_enabled": True}) > 1.1 * fare_per_trip(short)


def test_surge_capped_at_one_changes_nothing() -> None:
    point = SMALL | {"surge_radius_k": 5}
    capped = run(point | {"surge_enabled": True, "surge_max_multiplier": 1.0})
    off = run(point)
    assert {k: v for k, v in capped.items() if not k.startswith("surge")} == {
        k: v for k, v in off.items() if not k.startswith("surge")
    }


def test_larger_match_radius_completes_more() -> None:
    point = BALANCED | {"num_drivers": 60}
    assert mean(point | {"match_radius": 6}, "completed_riders") > mean(
        point | {"match_radius": 1}, "completed_riders"
    )


@pytest.mark.parametrize("change", [{"base_fare": 80.0}, {"per_km_rate": 6.0}])
def test_higher_prices_raise_fares_and_price_abandonments(change: dict[str, float]) -> None:
    point = BALANCED | {"num_drivers": 60}
    assert fare_per_trip(point | change) > fare_per_trip(point)
    assert mean(point | change, "riders_abandoned_price") > mean(point, "riders_abandoned_price")
    assert mean(point, "riders_abandoned_price") == 0.0  # default prices never exceed 100


def test_berlin_rush_hour_slows_pickups() -> None:
    point = BALANCED | {"num_drivers": 80, "traffic_profile": "berlin"}
    rush = point | {"epoch_ms": 8 * 3_600_000}
    night = point | {"epoch_ms": 3 * 3_600_000}
    assert mean(rush, "avg_time_to_pickup_ms") > 1.2 * mean(night, "avg_time_to_pickup_ms")


def test_flat_traffic_ignores_the_clock() -> None:
    point = SMALL | {"traffic_profile": "none"}
    a = run(point | {"epoch_ms": 8 * 3_600_000})
    b = run(point | {"epoch_ms": 3 * 3_600_000})
    assert {k: v for k, v in a.items() if k != "epoch_ms"} == {
        k: v for k, v in b.items() if k != "epoch_ms"
    }


def test_dynamic_congestion_slows_pickups() -> None:
    point = BALANCED | {"num_drivers": 150}
    congested = point | {"dynamic_congestion_enabled": True}
    assert mean(congested, "avg_time_to_pickup_ms") > mean(point, "avg_time_to_pickup_ms")


def test_slower_base_speed_slows_pickups() -> None:
    point = BALANCED | {"num_drivers": 80}
    slow = mean(point | {"base_speed_kmh": 15.0}, "avg_time_to_pickup_ms")
    fast = mean(point | {"base_speed_kmh": 60.0}, "avg_time_to_pickup_ms")
    assert slow > 2 * fast


def test_shorter_batch_interval_matches_faster() -> None:
    short = mean(PLENTY | {"batch_interval_secs": 5}, "avg_time_to_match_ms")
    long = mean(PLENTY | {"batch_interval_secs": 300}, "avg_time_to_match_ms")
    assert short < long


def test_eta_weight_changes_outcomes() -> None:
    rows = [run(PLENTY | {"eta_weight": w}) for w in (0.0, 5.0)]
    assert rows[0]["eta_weight"] != rows[1]["eta_weight"]
    assert {k: v for k, v in rows[0].items() if k != "eta_weight"} != {
        k: v for k, v in rows[1].items() if k != "eta_weight"
    }


def test_matcher_choice_changes_outcomes() -> None:
    metrics = []
    for algorithm in ("simple", "cost_based", "hungarian"):
        row = run(PLENTY | {"matching_algorithm_type": algorithm})
        metrics.append({k: v for k, v in row.items() if k not in PARAMETERS})
    assert metrics[0] != metrics[1] != metrics[2] != metrics[0]


def test_scarce_drivers_mean_more_cancellations() -> None:
    # Fast cars keep quoted ETAs under 10 min, so scarcity shows as waits, not ETA rejections.
    point = BALANCED | {"base_speed_kmh": 100.0}
    scarce = mean(point | {"num_drivers": 50}, "cancelled_riders")
    plenty = mean(point | {"num_drivers": 200}, "cancelled_riders")
    assert scarce > 1.3 * plenty


# -- validation ---------------------------------------------------------------------------


def test_valid_dimensions_pass() -> None:
    dimensions: dict[str, list[Any]] = {
        "num_riders": [0, 500, 100000],
        "commission_rate": [0, 0.25, 1],
        "epoch_ms": [None, 0, 1_700_000_000_000],
        "simulation_duration_hours": [None, 1, 48],
        "base_speed_kmh": [None, 0.5, 200],
        "matching_algorithm_type": ["simple", "cost_based", "hungarian"],
        "traffic_profile": ["none", "berlin"],
        "surge_enabled": [True, False],
    }
    assert MODEL.validate_dimensions(dimensions) == []


def test_unknown_dimension_names_the_allowed_ones() -> None:
    [violation] = MODEL.validate_dimensions({"num_riders": [10], "num_rider": [10]})
    assert violation.pointer == "/dimensions/num_rider"
    assert violation.rule == "unknown_parameter"
    assert "'num_rider'" in violation.message
    for name in PARAMETERS:
        assert name in violation.message


def test_pointer_escapes_odd_names() -> None:
    [violation] = MODEL.validate_dimensions({"a/b~c": [1]})
    assert violation.pointer == "/dimensions/a~1b~0c"


@pytest.mark.parametrize(
    ("name", "value", "rule", "words"),
    [
        ("num_riders", "500", "type", ["num_riders", "'500'", "string", "integer"]),
        ("num_riders", True, "type", ["num_riders", "true", "boolean", "integer"]),
        ("num_riders", 5.0, "type", ["num_riders", "5.0", "integer"]),
        ("commission_rate", False, "type", ["commission_rate", "false", "number"]),
        ("commission_rate", float("nan"), "type", ["commission_rate", "nan", "finite"]),
        ("num_drivers", None, "type", ["num_drivers", "null"]),
        ("surge_enabled", 1, "type", ["surge_enabled", "1", "boolean"]),
        ("traffic_profile", 3, "type", ["traffic_profile", "3"]),
        ("num_riders", -1, "minimum", ["num_riders", "-1", ">= 0", "<= 100000"]),
        ("num_riders", 100001, "maximum", ["num_riders", "100001", "<= 100000"]),
        ("commission_rate", 1.5, "maximum", ["commission_rate", "1.5", ">= 0 and <= 1"]),
        ("surge_max_multiplier", 0.5, "minimum", ["surge_max_multiplier", "0.5", ">= 1"]),
        ("simulation_duration_hours", 0, "minimum", ["simulation_duration_hours", "or null"]),
        ("base_speed_kmh", 0, "exclusiveMinimum", ["base_speed_kmh", "0", "> 0", "<= 200"]),
        ("base_speed_kmh", 250.0, "maximum", ["base_speed_kmh", "250.0", "<= 200"]),
        ("epoch_ms", 2**63, "maximum", ["epoch_ms", str(2**63), "int64"]),
        ("matching_algorithm_type", "greedy", "enum", ["'greedy'", "'simple'", "'hungarian'"]),
        ("traffic_profile", "paris", "enum", ["traffic_profile", "'paris'", "'berlin'"]),
    ],
)
def test_bad_values_are_reported_with_rule_and_allowed_values(
    name: str, value: object, rule: str, words: list[str]
) -> None:
    spec = PARAMETERS[name]
    good = spec.enum[0] if spec.enum else spec.default if spec.default is not None else 1
    violations = MODEL.validate_dimensions({name: [good, value]})
    assert len(violations) == 1, violations
    [violation] = violations
    assert violation.pointer == f"/dimensions/{name}/1"
    assert violation.rule == rule
    for word in words:
        assert word in violation.message, (word, violation.message)


def test_every_bad_value_is_reported() -> None:
    violations = MODEL.validate_dimensions(
        {"num_riders": [-1, 5, "x"], "bogus": [1], "traffic_profile": ["none", "rome"]}
    )
    assert [(v.pointer, v.rule) for v in violations] == [
        ("/dimensions/num_riders/0", "minimum"),
        ("/dimensions/num_riders/2", "type"),
        ("/dimensions/bogus", "unknown_parameter"),
        ("/dimensions/traffic_profile/1", "enum"),
    ]


def test_dimension_that_is_not_a_list_is_rejected() -> None:
    [violation] = MODEL.validate_dimensions({"traffic_profile": "berlin"})
    assert (violation.pointer, violation.rule) == ("/dimensions/traffic_profile", "type")


def _with_rules(dimensions: dict[str, list[Any]]) -> dict[str, Any]:
    """A request's normalized form after the model's rules (what the parent dispatches)."""
    request = {"run_id": "r", "dimensions": dimensions, "shard_count": 1}
    return apply_model_rules(normalize_request(request), MODEL)


def test_hungarian_without_batch_is_skipped_when_swept_explicitly() -> None:
    """Issue 14: the rule excludes the forbidden combination instead of refusing the sweep."""
    assert (
        MODEL.validate_dimensions(
            {
                "matching_algorithm_type": ["simple", "hungarian"],
                "batch_matching_enabled": [True, False],
            }
        )
        == []
    )
    normalized = _with_rules(
        {
            "matching_algorithm_type": ["simple", "hungarian"],
            "batch_matching_enabled": [True, False],
        }
    )
    assert normalized["exclude"] == [
        {"batch_matching_enabled": False, "matching_algorithm_type": "hungarian"}
    ]
    assert (normalized["total_points"], normalized["excluded_points"]) == (3, 1)


def test_hungarian_without_batch_is_rejected_when_no_point_is_left() -> None:
    with pytest.raises(ValidationError) as caught:
        _with_rules({"batch_matching_enabled": [False]})
    [violation] = caught.value.details
    assert violation.rule == "incompatible_parameters"
    assert violation.pointer == "/dimensions/batch_matching_enabled"
    assert "hungarian" in violation.message and "default" in violation.message


@pytest.mark.parametrize(
    "dimensions",
    [
        {"batch_matching_enabled": [True]},
        {"matching_algorithm_type": ["hungarian"]},
        {"matching_algorithm_type": ["simple", "cost_based"], "batch_matching_enabled": [False]},
        {"matching_algorithm_type": ["hungarian"], "batch_matching_enabled": [True, 0]},
    ],
)
def test_compatible_matching_sweeps(dimensions: dict[str, list[Any]]) -> None:
    rules = [v.rule for v in MODEL.validate_dimensions(dimensions)]
    assert "incompatible_parameters" not in rules
    assert "exclude" not in _with_rules(dimensions)  # 0 is not false: nothing to skip


def test_run_point_rejects_invalid_points() -> None:
    with pytest.raises(ModelError, match="batch_matching_enabled"):
        run({"batch_matching_enabled": False})
    with pytest.raises(ModelError, match="num_rider"):
        run({"num_rider": 10})
    with pytest.raises(ModelError, match="num_riders"):
        run({"num_riders": True})


def test_params_check_themselves() -> None:
    with pytest.raises(ValidationError):
        RideHailingParams(matching_algorithm_type="hungarian", batch_matching_enabled=False)
    with pytest.raises(ValidationError):
        RideHailingParams(num_riders=-1)
    assert RideHailingParams(base_speed_kmh=40).base_speed_kmh == 40.0


# -- summarize ----------------------------------------------------------------------------


def test_summarize_is_small_and_json_safe() -> None:
    rows = [run(SMALL, index=i) for i in range(3)]
    summary = MODEL.summarize(rows)
    assert summary["points_processed"] == 3
    assert summary["completed_riders"] == sum(r["completed_riders"] for r in rows)
    assert summary["total_riders"] == sum(r["total_riders"] for r in rows)
    assert summary["platform_revenue"] == pytest.approx(sum(r["platform_revenue"] for r in rows))
    assert summary["total_fares_collected"] == pytest.approx(
        sum(r["total_fares_collected"] for r in rows)
    )
    assert summary["mean_conversion_rate"] == pytest.approx(
        sum(r["conversion_rate"] for r in rows) / 3
    )
    json.dumps(summary, allow_nan=False)
    assert MODEL.summarize([])["points_processed"] == 0
    json.dumps(MODEL.summarize([]), allow_nan=False)
