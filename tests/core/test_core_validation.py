"""normalize_request: old order and wording first, all violations in details, divergences."""

from __future__ import annotations

from typing import Any

import pytest
from core_helpers import strict_equal
from hypothesis import given
from hypothesis import strategies as st

from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.validation import (
    DEFAULT_MAX_SHARDS,
    KNOWN_MODELS,
    MAX_DIMENSION_VALUES,
    MAX_TOTAL_POINTS,
    normalize_request,
)

I64_MAX = 2**63 - 1
I64_MIN = -(2**63)
DIMS = {"commission_rate": [0.1, 0.2], "num_drivers": [100, 200, 300]}


def base(**changes: Any) -> dict[str, Any]:
    """A valid request with `changes` applied (a value of ... removes the key)."""
    payload: dict[str, Any] = {"run_id": "r", "dimensions": dict(DIMS), "shard_count": 4}
    for key, value in changes.items():
        if value is ...:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


def error_of(payload: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        normalize_request(payload)
    return info.value


# (payload, headline message, first violation pointer, first violation rule)
RULES: list[tuple[object, str, str, str]] = [
    (base(run_id=...), "Missing required field 'run_id'", "/run_id", "required"),
    (base(run_id=None), "Field 'run_id' must be str, got NoneType", "/run_id", "type"),
    (base(run_id=123), "Field 'run_id' must be str, got int", "/run_id", "type"),
    (base(run_id=1.5), "Field 'run_id' must be str, got float", "/run_id", "type"),
    (base(run_id=True), "Field 'run_id' must be str, got bool", "/run_id", "type"),
    (base(run_id=[]), "Field 'run_id' must be str, got list", "/run_id", "type"),
    (base(run_id={"a": 1}), "Field 'run_id' must be str, got dict", "/run_id", "type"),
    (base(run_id=""), "run_id cannot be empty", "/run_id", "not_empty"),
    (base(run_id=" \t\n"), "run_id cannot be empty", "/run_id", "not_empty"),
    (base(run_id="\x1c\x1d\x1e\x1f"), "run_id cannot be empty", "/run_id", "not_empty"),
    (base(run_id="\u3000\u2028\x85\xa0"), "run_id cannot be empty", "/run_id", "not_empty"),
    (base(dimensions=...), "Missing required field 'dimensions'", "/dimensions", "required"),
    (base(dimensions=None), "Field 'dimensions' must be dict, got NoneType", "/dimensions", "type"),
    (base(dimensions="a=1"), "Field 'dimensions' must be dict, got str", "/dimensions", "type"),
    (
        base(dimensions=[["a", [1]]]),
        "Field 'dimensions' must be dict, got list",
        "/dimensions",
        "type",
    ),
    (base(dimensions={}), "dimensions cannot be empty", "/dimensions", "not_empty"),
    (
        base(dimensions={"": [1]}),
        "dimension names must be non-empty strings",
        "/dimensions/",
        "not_empty",
    ),
    (
        base(dimensions={"\x1f ": [1]}),
        "dimension names must be non-empty strings",
        "/dimensions/\x1f ",
        "not_empty",
    ),
    (
        base(dimensions={"a": []}),
        "Dimension 'a' must be a non-empty list",
        "/dimensions/a",
        "min_items",
    ),
    (
        base(dimensions={"a": "abc"}),
        "Dimension 'a' must be a non-empty list",
        "/dimensions/a",
        "type",
    ),
    (
        base(dimensions={"a": {"x": 1}}),
        "Dimension 'a' must be a non-empty list",
        "/dimensions/a",
        "type",
    ),
    (
        base(dimensions={"a": None}),
        "Dimension 'a' must be a non-empty list",
        "/dimensions/a",
        "type",
    ),
    (
        base(dimensions={"a/b": 5}),
        "Dimension 'a/b' must be a non-empty list",
        "/dimensions/a~1b",
        "type",
    ),
    (
        base(dimensions={"a": list(range(MAX_DIMENSION_VALUES + 1))}),
        "Dimension 'a' exceeds MAX_DIMENSION_VALUES=10000",
        "/dimensions/a",
        "max_items",
    ),
    (base(shard_count=...), "Either shard_count or shard_size is required", "", "required"),
    (
        base(shard_count=None, shard_size=None),
        "Either shard_count or shard_size is required",
        "",
        "required",
    ),
    (base(shard_count=0), "shard_count must be a positive integer", "/shard_count", "minimum"),
    (base(shard_count=-1), "shard_count must be a positive integer", "/shard_count", "minimum"),
    (base(shard_count=2.0), "shard_count must be a positive integer", "/shard_count", "type"),
    (base(shard_count="4"), "shard_count must be a positive integer", "/shard_count", "type"),
    (base(shard_count=[2]), "shard_count must be a positive integer", "/shard_count", "type"),
    (base(shard_count=True), "shard_count must be a positive integer", "/shard_count", "type"),
    (
        base(shard_count=2**63),
        "shard_count must be a positive integer",
        "/shard_count",
        "integer_range",
    ),
    (base(shard_size=0), "shard_size must be a positive integer", "/shard_size", "minimum"),
    (base(shard_size=False), "shard_size must be a positive integer", "/shard_size", "type"),
    (base(shard_size=True), "shard_size must be a positive integer", "/shard_size", "type"),
    (
        base(shard_size=10**324),
        "shard_size must be a positive integer",
        "/shard_size",
        "integer_range",
    ),
    (base(max_shards=None), "max_shards must be a positive integer", "/max_shards", "type"),
    (base(max_shards=0), "max_shards must be a positive integer", "/max_shards", "minimum"),
    (base(max_shards=10.0), "max_shards must be a positive integer", "/max_shards", "type"),
    (base(max_shards="1000"), "max_shards must be a positive integer", "/max_shards", "type"),
    (base(max_shards=True), "max_shards must be a positive integer", "/max_shards", "type"),
    (
        base(max_shards=10**25),
        "max_shards must be a positive integer",
        "/max_shards",
        "integer_range",
    ),
    (base(seed=None), "seed must be an integer", "/seed", "type"),
    (base(seed="42"), "seed must be an integer", "/seed", "type"),
    (base(seed=1.5), "seed must be an integer", "/seed", "type"),
    (base(seed=[42]), "seed must be an integer", "/seed", "type"),
    (base(seed=True), "seed must be an integer", "/seed", "type"),
    (base(seed=I64_MAX + 1), "seed must be an integer", "/seed", "integer_range"),
    (base(seed=I64_MIN - 1), "seed must be an integer", "/seed", "integer_range"),
    (
        base(failure_injection_shards=None),
        "failure_injection_shards must be a list of non-negative integers",
        "/failure_injection_shards",
        "type",
    ),
    (
        base(failure_injection_shards="1,2"),
        "failure_injection_shards must be a list of non-negative integers",
        "/failure_injection_shards",
        "type",
    ),
    (
        base(failure_injection_shards=[0, 1, -1]),
        "failure_injection_shards must be a list of non-negative integers",
        "/failure_injection_shards/2",
        "minimum",
    ),
    (
        base(failure_injection_shards=[1.0]),
        "failure_injection_shards must be a list of non-negative integers",
        "/failure_injection_shards/0",
        "type",
    ),
    (
        base(failure_injection_shards=[3, "1"]),
        "failure_injection_shards must be a list of non-negative integers",
        "/failure_injection_shards/1",
        "type",
    ),
    (
        base(failure_injection_shards=[True]),
        "failure_injection_shards must be a list of non-negative integers",
        "/failure_injection_shards/0",
        "type",
    ),
    (
        base(failure_injection_shards=[5, 2**64]),
        "failure_injection_shards must be a list of non-negative integers",
        "/failure_injection_shards/1",
        "integer_range",
    ),
    (
        base(dimensions={"x": list(range(1000)), "y": list(range(201))}),
        f"Parameter space is too large for this demo deployment (>{MAX_TOTAL_POINTS} points)",
        "/dimensions",
        "max_points",
    ),
    (base(model=None), "model must be one of: legacy_hash, ride_hailing", "/model", "type"),
    (
        base(model="nope"),
        "model must be one of: legacy_hash, ride_hailing (got 'nope')",
        "/model",
        "enum",
    ),
    (
        base(model="legacy_hsh"),
        "model must be one of: legacy_hash, ride_hailing (got 'legacy_hsh'; did you mean "
        "'legacy_hash'?)",
        "/model",
        "enum",
    ),
    (
        base(tolerated_failure_percentage=True),
        "tolerated_failure_percentage must be a number between 0 and 100",
        "/tolerated_failure_percentage",
        "type",
    ),
    (
        base(tolerated_failure_percentage="5"),
        "tolerated_failure_percentage must be a number between 0 and 100",
        "/tolerated_failure_percentage",
        "type",
    ),
    (
        base(tolerated_failure_percentage=100.5),
        "tolerated_failure_percentage must be a number between 0 and 100",
        "/tolerated_failure_percentage",
        "range",
    ),
    (
        base(tolerated_failure_percentage=-1),
        "tolerated_failure_percentage must be a number between 0 and 100",
        "/tolerated_failure_percentage",
        "range",
    ),
    (
        base(tolerated_failure_percentage=float("nan")),
        "tolerated_failure_percentage must be a number between 0 and 100",
        "/tolerated_failure_percentage",
        "range",
    ),
    ("abc", "Request body must be a JSON object", "", "type"),
    ("my run_id", "Request body must be a JSON object", "", "type"),
    (["run_id"], "Request body must be a JSON object", "", "type"),
    (5, "Request body must be a JSON object", "", "type"),
    (None, "Request body must be a JSON object", "", "type"),
    (True, "Request body must be a JSON object", "", "type"),
]


@pytest.mark.parametrize(("payload", "message", "pointer", "rule"), RULES)
def test_each_rule_has_its_message_pointer_and_rule(
    payload: object, message: str, pointer: str, rule: str
) -> None:
    error = error_of(payload)
    assert str(error) == message
    assert error.message == message
    first = error.details[0]
    assert (first.pointer, first.rule) == (pointer, rule)


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        (
            "seed",
            I64_MAX + 1,
            "seed must be an integer from -9223372036854775808 to 9223372036854775807",
        ),
        ("shard_count", 2**63, "shard_count must be an integer from 1 to 9223372036854775807"),
        ("max_shards", 2**70, "max_shards must be an integer from 1 to 9223372036854775807"),
    ],
)
def test_integer_range_detail_names_the_range(field: str, value: int, detail: str) -> None:
    error = error_of(base(**{field: value}))
    assert error.details[0].rule == "integer_range"
    assert error.details[0].message.startswith(detail)


# Old check order: the first failure wins, whatever else is wrong.
ORDER: list[tuple[dict[str, Any], str]] = [
    (base(run_id="", dimensions={}), "run_id cannot be empty"),
    (base(dimensions={"b": [], "a": "x"}), "Dimension 'b' must be a non-empty list"),
    (base(dimensions={"z": [1], "b": [2], "a": []}), "Dimension 'a' must be a non-empty list"),
    (base(dimensions={"b": [], "": [1]}), "Dimension 'b' must be a non-empty list"),
    (base(dimensions={"": [1], "b": []}), "dimension names must be non-empty strings"),
    (base(dimensions={" ": []}), "dimension names must be non-empty strings"),
    (
        base(dimensions={"a": [], "b": list(range(MAX_DIMENSION_VALUES + 1))}),
        "Dimension 'a' must be a non-empty list",
    ),
    (base(shard_count=-2, shard_size=0), "shard_count must be a positive integer"),
    (base(shard_count=2, shard_size=0), "shard_size must be a positive integer"),
    (base(shard_count=0, max_shards=0), "shard_count must be a positive integer"),
    (base(max_shards=0, seed="x"), "max_shards must be a positive integer"),
    (base(seed=1.5, failure_injection_shards=[-1]), "seed must be an integer"),
    (
        base(dimensions={"x": list(range(10000)), "y": list(range(21))}, shard_count=0),
        "shard_count must be a positive integer",
    ),
    (
        base(dimensions={"x": list(range(10000)), "y": list(range(21))}, seed="s"),
        "seed must be an integer",
    ),
    (
        base(dimensions={"x": list(range(10000)), "y": list(range(21))}, model="nope"),
        f"Parameter space is too large for this demo deployment (>{MAX_TOTAL_POINTS} points)",
    ),
    (
        base(model="nope", tolerated_failure_percentage=101),
        "model must be one of: legacy_hash, ride_hailing (got 'nope')",
    ),
]


@pytest.mark.parametrize(("payload", "message"), ORDER)
def test_first_failure_in_old_order_wins(payload: dict[str, Any], message: str) -> None:
    assert str(error_of(payload)) == message


def test_details_list_every_violation_in_check_order() -> None:
    payload = {
        "run_id": " ",
        "dimensions": {"ok": [1], "": [], "b/c": "x", "big": list(range(10001))},
        "shard_count": 0,
        "shard_size": True,
        "max_shards": None,
        "seed": 2**64,
        "failure_injection_shards": [1, -1, False, 2**63],
        "model": 3,
        "tolerated_failure_percentage": 101,
    }
    error = error_of(payload)
    assert [(v.pointer, v.rule) for v in error.details] == [
        ("/run_id", "not_empty"),
        ("/dimensions/", "not_empty"),
        ("/dimensions/", "min_items"),
        ("/dimensions/b~1c", "type"),
        ("/dimensions/big", "max_items"),
        ("/shard_count", "minimum"),
        ("/shard_size", "type"),
        ("/max_shards", "type"),
        ("/seed", "integer_range"),
        ("/failure_injection_shards/1", "minimum"),
        ("/failure_injection_shards/2", "type"),
        ("/failure_injection_shards/3", "integer_range"),
        ("/model", "type"),
        ("/tolerated_failure_percentage", "range"),
    ]
    assert str(error) == "run_id cannot be empty"


def test_point_limit_is_checked_with_every_other_field_wrong_too() -> None:
    payload = base(dimensions={"x": list(range(1000)), "y": list(range(201))}, seed="s")
    rules = [v.rule for v in error_of(payload).details]
    assert rules == ["type", "max_points"]


def test_normalized_form_key_order_and_defaults() -> None:
    result = normalize_request(
        {
            "shard_size": 2,
            "dimensions": {"num_drivers": [100, 200, 300], "commission_rate": [0.1, 0.2]},
            "run_id": "  padded-run \n",
            "extra": "ignored",
        }
    )
    assert strict_equal(
        result,
        {
            "run_id": "padded-run",
            "dimensions": {"commission_rate": [0.1, 0.2], "num_drivers": [100, 200, 300]},
            "total_points": 6,
            "max_shards": DEFAULT_MAX_SHARDS,
            "seed": 0,
            "failure_injection_shards": [],
            "shard_size": 2,
        },
    )


def test_both_shard_fields_kept_count_first_and_null_one_dropped() -> None:
    both = normalize_request(base(shard_size=2, shard_count=3))
    assert list(both)[-2:] == ["shard_count", "shard_size"]
    only_size = normalize_request(base(shard_count=None, shard_size=2))
    assert "shard_count" not in only_size and only_size["shard_size"] == 2


def test_new_fields_are_appended_only_when_present() -> None:
    result = normalize_request(base(tolerated_failure_percentage=5, model="legacy_hash"))
    assert list(result)[-3:] == ["shard_count", "model", "tolerated_failure_percentage"]
    assert result["model"] == "legacy_hash"
    assert strict_equal(result["tolerated_failure_percentage"], 5)
    assert "model" not in normalize_request(base())
    for model in KNOWN_MODELS:
        assert normalize_request(base(model=model))["model"] == model
    for ok in (0, 0.0, 100, 99.5):
        assert (
            normalize_request(base(tolerated_failure_percentage=ok))["tolerated_failure_percentage"]
            == ok
        )


@pytest.mark.parametrize(
    ("run_id", "expected"),
    [
        ("\u200b", "\u200b"),
        ("\ufeff", "\ufeff"),
        ("\x85x\xa0", "x"),
        (" a  b\tc ", "a  b\tc"),
        ("\x1cx\x1f", "x"),
    ],
)
def test_run_id_uses_python_strip(run_id: str, expected: str) -> None:
    assert normalize_request(base(run_id=run_id))["run_id"] == expected


def test_dimension_names_sorted_by_code_point_and_kept_unstripped() -> None:
    names = ["\U0001f697_count", "\uff5ewave", " padded ", "Upper", "a"]
    result = normalize_request(base(dimensions={n: [1] for n in names}))
    assert list(result["dimensions"]) == [
        " padded ",
        "Upper",
        "a",
        "\uff5ewave",
        "\U0001f697_count",
    ]


def test_failure_injection_shards_deduplicated_and_sorted() -> None:
    result = normalize_request(base(failure_injection_shards=[7, 7, 71, 0, 3, I64_MAX]))
    assert result["failure_injection_shards"] == [0, 3, 7, 71, I64_MAX]


def test_dimension_values_are_not_restricted() -> None:
    values = [1, 1.5, "s", True, None, {"b": 2, "a": 1}, [1, [2]], -0.0, 10**30]
    result = normalize_request(base(dimensions={"mixed": values}))
    assert strict_equal(result["dimensions"]["mixed"], values)
    assert result["total_points"] == len(values)


def test_limits_accept_their_boundaries() -> None:
    ok = normalize_request(
        base(
            dimensions={"x": list(range(MAX_DIMENSION_VALUES)), "y": list(range(20))},
            seed=I64_MIN,
            max_shards=I64_MAX,
            shard_count=I64_MAX,
            failure_injection_shards=[I64_MAX, 0],
        )
    )
    assert ok["total_points"] == MAX_TOTAL_POINTS


def test_input_is_not_mutated() -> None:
    payload = base(failure_injection_shards=[3, 1, 3], run_id=" x ")
    snapshot = repr(payload)
    normalize_request(payload)
    assert repr(payload) == snapshot


@given(
    st.dictionaries(
        st.text(min_size=1).filter(str.strip),
        st.lists(st.integers(), min_size=1, max_size=3),
        min_size=1,
        max_size=5,
    ),
    st.randoms(),
)
def test_key_order_of_payload_and_dimensions_never_changes_the_result(
    dimensions: dict[str, list[int]], rng: Any
) -> None:
    payload = {"run_id": "r", "dimensions": dimensions, "shard_size": 3, "seed": -5}
    items = list(dimensions.items())
    rng.shuffle(items)
    fields = list(payload.items())
    rng.shuffle(fields)
    shuffled = dict(fields)
    shuffled["dimensions"] = dict(items)
    assert strict_equal(normalize_request(payload), normalize_request(shuffled))


def test_max_concurrency_is_optional_non_negative_and_kept_when_given() -> None:
    """Issue 7: `max_concurrency` (0 or absent = no per-run cap) is validated like the other
    integers (no booleans, no floats, int64) and appended only when present."""
    assert "max_concurrency" not in normalize_request(base())
    for ok in (0, 1, 64, I64_MAX):
        assert strict_equal(normalize_request(base(max_concurrency=ok))["max_concurrency"], ok)
    for bad, rule in (
        (-1, "minimum"),
        (True, "type"),
        (2.0, "type"),
        ("4", "type"),
        (None, "type"),
        (I64_MAX + 1, "integer_range"),
    ):
        with pytest.raises(ValidationError) as info:
            normalize_request(base(max_concurrency=bad))
        (detail,) = info.value.details
        assert (detail.pointer, detail.rule) == ("/max_concurrency", rule)
        assert "max_concurrency" in info.value.message
