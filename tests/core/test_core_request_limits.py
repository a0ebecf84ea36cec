"""Size limits of a sweep request (issue 9, items 1 and 2): each a ValidationError naming the
pointer, the rule and the limit, checked after the old rules, at its boundary exactly.

Item 1: dimension values nested 254-989 levels deep passed validation and broke the manifest
write (500) or `sweep run` (traceback). Item 2 (contract part): failure_injection_shards with
100,000 entries was accepted, then every shard payload exceeded the async payload limit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.validation import (
    MAX_DIMENSION_NAME_LENGTH,
    MAX_DIMENSIONS,
    MAX_DIMENSIONS_BYTES,
    MAX_FAILURE_INJECTION_SHARDS,
    MAX_RUN_ID_LENGTH,
    MAX_VALUE_DEPTH,
    MAX_VALUE_STRING_LENGTH,
    normalize_request,
)

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "v1" / "sweep_request.json"


def base(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"run_id": "r", "dimensions": {"a": [1, 2]}, "shard_count": 2}
    payload.update(changes)
    return payload


def nested(depth: int, leaf: object = 1) -> object:
    """A value nested `depth` arrays deep, built without recursion (any depth)."""
    value: object = leaf
    for _ in range(depth):
        value = [value]
    return value


def rejection(payload: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        normalize_request(payload)
    return info.value


def only(error: ValidationError) -> tuple[str, str, str]:
    assert len(error.details) == 1, error.details
    detail = error.details[0]
    return detail.pointer, detail.rule, detail.message


@pytest.mark.parametrize("depth", [MAX_VALUE_DEPTH + 1, 254, 989, 100_000])
def test_deeply_nested_dimension_values_are_a_400_naming_the_value(depth: int) -> None:
    """Item 1: 254-989 levels broke the manifest; now any depth past 32 is one clean error."""
    error = rejection(base(dimensions={"a": [1, nested(depth)], "b": [2]}))
    pointer, rule, message = only(error)
    assert (pointer, rule) == ("/dimensions/a/1", "max_depth")
    assert f"at most {MAX_VALUE_DEPTH}" in message and "Dimension 'a' value 1" in message
    assert str(error) == message


def test_depth_counts_objects_too_and_the_limit_itself_is_fine() -> None:
    ok = nested(MAX_VALUE_DEPTH - 1, {"k": 1})  # 31 arrays and one object: depth 32
    assert normalize_request(base(dimensions={"a": [ok]}))["dimensions"]["a"] == [ok]
    too_deep = nested(MAX_VALUE_DEPTH, {"k": 1})
    assert only(rejection(base(dimensions={"a": [too_deep]})))[1] == "max_depth"


def test_failure_injection_shards_of_100000_entries_is_a_400() -> None:
    """Item 2: such a list made every shard payload too large for Lambda (502 for ever)."""
    error = rejection(base(failure_injection_shards=list(range(100_000))))
    pointer, rule, message = only(error)
    assert (pointer, rule) == ("/failure_injection_shards", "max_items")
    assert "100000 entries" in message and f"at most {MAX_FAILURE_INJECTION_SHARDS}" in message
    at_limit = list(range(MAX_FAILURE_INJECTION_SHARDS))
    assert normalize_request(base(failure_injection_shards=at_limit))["failure_injection_shards"]


def test_run_id_length_is_bounded_after_stripping() -> None:
    assert normalize_request(base(run_id=" " + "r" * MAX_RUN_ID_LENGTH + " "))["run_id"]
    pointer, rule, message = only(rejection(base(run_id="r" * (MAX_RUN_ID_LENGTH + 1))))
    assert (pointer, rule) == ("/run_id", "max_length")
    assert f"at most {MAX_RUN_ID_LENGTH}" in message


def test_dimension_count_and_name_length_are_bounded() -> None:
    many = {f"d{i}": [i] for i in range(MAX_DIMENSIONS)}
    assert len(normalize_request(base(dimensions=many))["dimensions"]) == MAX_DIMENSIONS
    many[f"d{MAX_DIMENSIONS}"] = [0]
    assert only(rejection(base(dimensions=many)))[:2] == ("/dimensions", "max_properties")

    name = "n" * MAX_DIMENSION_NAME_LENGTH
    assert normalize_request(base(dimensions={name: [1]}))["dimensions"] == {name: [1]}
    long_name = name + "n"
    pointer, rule, _ = only(rejection(base(dimensions={long_name: [1]})))
    assert (pointer, rule) == (f"/dimensions/{long_name}", "max_length")


def test_strings_inside_values_and_object_keys_are_bounded() -> None:
    fits = "s" * MAX_VALUE_STRING_LENGTH
    assert normalize_request(base(dimensions={"a": [fits, {fits: [fits]}]}))
    for value in ("s" * (MAX_VALUE_STRING_LENGTH + 1), {"k" * (MAX_VALUE_STRING_LENGTH + 1): 1}):
        pointer, rule, message = only(rejection(base(dimensions={"a": [0, value]})))
        assert (pointer, rule) == ("/dimensions/a/1", "max_length")
        assert f"at most {MAX_VALUE_STRING_LENGTH}" in message


def test_all_dimensions_together_are_bounded_in_bytes() -> None:
    chunk = "x" * 4000  # each string within its own limit; together too many bytes
    count = MAX_DIMENSIONS_BYTES // 4000 + 1
    dimensions = {"a": [f"{i}{chunk}" for i in range(count)]}
    assert len(json.dumps(dimensions, separators=(",", ":"))) > MAX_DIMENSIONS_BYTES
    pointer, rule, message = only(rejection(base(dimensions=dimensions, shard_count=1)))
    assert (pointer, rule) == ("/dimensions", "max_bytes")
    assert f"at most {MAX_DIMENSIONS_BYTES}" in message


def test_old_rules_keep_the_headline() -> None:
    """The old runtime's first message still comes first; the size limit is a later detail."""
    error = rejection(base(seed="x", failure_injection_shards=list(range(100_000))))
    assert str(error) == "seed must be an integer"
    assert [d.rule for d in error.details] == ["type", "max_items"]


def test_the_schema_states_every_limit() -> None:
    """The released schema cannot carry these bounds as keywords (the freeze test forbids
    tightening v1), so its descriptions state them: keep them in step with the code."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    props = schema["properties"]
    assert f"At most {MAX_RUN_ID_LENGTH} characters" in props["run_id"]["description"]
    dims = props["dimensions"]["description"]
    for figure in (
        f"at most {MAX_DIMENSIONS} dimensions",
        f"at most {MAX_DIMENSION_NAME_LENGTH} characters",
        f"at most {MAX_VALUE_DEPTH} arrays/objects deep",
        f"at most {MAX_VALUE_STRING_LENGTH} characters",
        f"at most {MAX_DIMENSIONS_BYTES} bytes",
    ):
        assert figure in dims, figure
    fis = props["failure_injection_shards"]["description"]
    assert f"At most {MAX_FAILURE_INJECTION_SHARDS} entries" in fis
