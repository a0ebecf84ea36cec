"""check_shard_payload: the old child's checks in order, plus the declared divergences."""

from __future__ import annotations

from typing import Any

import pytest

from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.payload import check_shard_payload

FP = "3b8f0c1e8f2a4d6b9c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"


def event(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "dimensions": {"commission_rate": [0.1, 0.2], "num_drivers": [100, 200]},
        "end_index": 2,
        "failure_injection_shards": [1],
        "run_id": "dispatch-run",
        "seed": 7,
        "shard_id": 0,
        "start_index": 0,
        "total_points": 4,
    }
    for key, value in changes.items():
        if value is ...:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


def message_of(payload: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_shard_payload(payload)
    return info.value


@pytest.mark.parametrize(
    ("payload", "message", "pointer", "rule"),
    [
        (event(run_id=...), "Missing required field 'run_id'", "/run_id", "required"),
        (event(dimensions=...), "Missing required field 'dimensions'", "/dimensions", "required"),
        (
            event(total_points=...),
            "Missing required field 'total_points'",
            "/total_points",
            "required",
        ),
        (event(shard_id=...), "Missing required field 'shard_id'", "/shard_id", "required"),
        (
            event(start_index=...),
            "Missing required field 'start_index'",
            "/start_index",
            "required",
        ),
        (event(end_index=...), "Missing required field 'end_index'", "/end_index", "required"),
        (event(seed=...), "Missing required field 'seed'", "/seed", "required"),
        (
            event(failure_injection_shards=...),
            "Missing required field 'failure_injection_shards'",
            "/failure_injection_shards",
            "required",
        ),
        (event(run_id=5), "Field 'run_id' must be str, got int", "/run_id", "type"),
        (event(run_id=None), "Field 'run_id' must be str, got NoneType", "/run_id", "type"),
        (
            event(dimensions=[["a", [1]]]),
            "Field 'dimensions' must be dict, got list",
            "/dimensions",
            "type",
        ),
        (
            event(dimensions=None),
            "Field 'dimensions' must be dict, got NoneType",
            "/dimensions",
            "type",
        ),
        (
            event(total_points=4.0),
            "Field 'total_points' must be int, got float",
            "/total_points",
            "type",
        ),
        (
            event(total_points="4"),
            "Field 'total_points' must be int, got str",
            "/total_points",
            "type",
        ),
        (
            event(start_index=None),
            "Field 'start_index' must be int, got NoneType",
            "/start_index",
            "type",
        ),
        (event(end_index="2"), "Field 'end_index' must be int, got str", "/end_index", "type"),
        (event(seed=7.0), "Field 'seed' must be int, got float", "/seed", "type"),
        (
            event(failure_injection_shards="1"),
            "Field 'failure_injection_shards' must be list, got str",
            "/failure_injection_shards",
            "type",
        ),
        (
            event(failure_injection_shards={"1": True}),
            "Field 'failure_injection_shards' must be list, got dict",
            "/failure_injection_shards",
            "type",
        ),
        # bool-as-int and bigint divergences
        (event(shard_id=True), "Field 'shard_id' must be int, got bool", "/shard_id", "type"),
        (event(seed=False), "Field 'seed' must be int, got bool", "/seed", "type"),
        (event(seed=2**63), "Field 'seed' must be a 64-bit integer", "/seed", "integer_range"),
        (
            event(end_index=-(2**63) - 1),
            "Field 'end_index' must be a 64-bit integer",
            "/end_index",
            "integer_range",
        ),
        (
            event(failure_injection_shards=[0, True]),
            "Field 'failure_injection_shards' must hold int, got bool",
            "/failure_injection_shards/1",
            "type",
        ),
        (
            event(failure_injection_shards=[10**30]),
            "Field 'failure_injection_shards' must hold 64-bit integers",
            "/failure_injection_shards/0",
            "integer_range",
        ),
        # non-object-input divergence
        (["run_id"], "Shard payload must be a JSON object", "", "type"),
        ("x", "Shard payload must be a JSON object", "", "type"),
        (None, "Shard payload must be a JSON object", "", "type"),
        # new optional fields
        (
            event(contract_version="2.0"),
            "Field 'contract_version' must be '1.0', got '2.0'",
            "/contract_version",
            "const",
        ),
        (
            event(run_date="2026-02-30"),
            "Field 'run_date' must be a YYYY-MM-DD date string",
            "/run_date",
            "format",
        ),
        (
            event(run_date=20260101),
            "Field 'run_date' must be a YYYY-MM-DD date string",
            "/run_date",
            "format",
        ),
        (event(model=1), "Field 'model' must be str, got int", "/model", "type"),
        (
            event(fingerprint=FP.upper()),
            "Field 'fingerprint' must be 64 lowercase hex characters",
            "/fingerprint",
            "pattern",
        ),
        (event(attempt=0), "Field 'attempt' must be an integer >= 1", "/attempt", "minimum"),
        (event(attempt=True), "Field 'attempt' must be an integer >= 1", "/attempt", "type"),
        (
            event(dimensions=..., manifest_key=5),
            "Field 'manifest_key' must be str, got int",
            "/manifest_key",
            "type",
        ),
    ],
)
def test_each_check(payload: object, message: str, pointer: str, rule: str) -> None:
    error = message_of(payload)
    assert str(error) == message
    assert (error.details[0].pointer, error.details[0].rule) == (pointer, rule)


def test_old_order_first_and_all_violations_listed() -> None:
    error = message_of(event(seed=1.5, total_points="4", run_id=..., attempt=0))
    assert str(error) == "Missing required field 'run_id'"
    assert [v.pointer for v in error.details] == ["/run_id", "/total_points", "/seed", "/attempt"]


def test_values_are_not_checked_here() -> None:
    odd = event(
        dimensions={"a": 5, "b": "xy", "c": {"k": 1}},
        failure_injection_shards=[None, "x", {"a": 1}, -5, 1.0, [0]],
        total_points=-3,
        shard_id=-1,
        start_index=9,
        end_index=1,
        run_id="  pad  ",
    )
    assert check_shard_payload(odd) == odd


def test_returns_the_same_content_in_the_same_order() -> None:
    payload = event(
        contract_version="1.0",
        run_date="2026-11-27",
        model="ride_hailing",
        fingerprint=FP,
        attempt=2,
        manifest_key="k",
        extra={"kept": True},
    )
    result = check_shard_payload(payload)
    assert result == payload and list(result) == list(payload)


def test_manifest_key_replaces_dimensions() -> None:
    payload = event(dimensions=..., manifest_key="sweeps/dataset=runs/.../manifest.json")
    assert check_shard_payload(payload) == payload
