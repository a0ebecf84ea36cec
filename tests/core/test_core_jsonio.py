"""parse_json_text / dumps_*: the old wire conventions plus the declared strictness."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from core_helpers import json_values, strict_equal
from hypothesis import given
from hypothesis import strategies as st

from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.jsonio import (
    dumps_canonical,
    dumps_response_body,
    json_matcher,
    parse_json_text,
    same_json_value,
)


@pytest.mark.parametrize(
    ("text", "decoder_msg"),
    [
        ("", "Expecting value"),
        ("   \n", "Expecting value"),
        ("run it please", "Expecting value"),
        ("{", "Expecting property name enclosed in double quotes"),
        ("{'run_id': 'x'}", "Expecting property name enclosed in double quotes"),
        ('{"a": 1} {"b": 2}', "Extra data"),
        ('{"run_id" "x"}', "Expecting ':' delimiter"),
        ('\ufeff{"a": 1}', "Unexpected UTF-8 BOM (decode using utf-8-sig)"),
        ('{"run_id": "a\\qb"}', "Invalid \\escape"),
        ('{"run_id": "\\u12G4"}', "Invalid \\uXXXX escape"),
        ('{"run_id": "x" /* c */}', "Expecting ',' delimiter"),
        ("[1,]", "Expecting value"),
    ],
)
def test_syntax_errors_use_the_decoder_message_only(text: str, decoder_msg: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_json_text(text)
    assert str(info.value) == "Malformed JSON body: " + decoder_msg
    (violation,) = info.value.details
    assert (violation.pointer, violation.rule) == ("", "json_syntax")


def test_keeps_order_types_and_big_integers() -> None:
    big = 10**324 + 7
    value = parse_json_text(f'{{"b": 1, "a": [1.0, 2, -0.0, {big}, 1e-05], "c": null}}')
    assert list(value) == ["b", "a", "c"]
    assert strict_equal(value, {"b": 1, "a": [1.0, 2, -0.0, big, 1e-05], "c": None})
    assert math.copysign(1.0, value["a"][2]) == -1.0


@pytest.mark.parametrize(
    ("text", "pointer", "fragment"),
    [
        ('{"run_id": "a", "run_id": "b"}', "/run_id", '"run_id" in the object at the top level'),
        ('{"d": {"b": [1], "a": [2], "b": [3]}}', "/d/b", '"b" in the object at JSON pointer "/d"'),
        ('[{"x": 1, "x": 1}]', "/0/x", 'at JSON pointer "/0"'),
        ('{"a/b": {"~": 1, "~": 2}}', "/a~1b/~0", 'at JSON pointer "/a~1b"'),
    ],
)
def test_duplicate_keys_are_rejected_with_key_and_pointer(
    text: str, pointer: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as info:
        parse_json_text(text)
    first = info.value.details[0]
    assert first.rule == "duplicate_key"
    assert first.pointer == pointer
    assert fragment in str(info.value)
    assert str(info.value).startswith("Malformed JSON body: duplicate key ")


def test_every_duplicate_is_listed_even_inside_a_replaced_value() -> None:
    with pytest.raises(ValidationError) as info:
        parse_json_text('{"a": {"x": 1, "x": 2}, "a": 3, "b": [NaN]}')
    rules = [(v.rule, v.pointer) for v in info.value.details]
    assert ("duplicate_key", "/a") in rules
    assert ("nonstandard_number", "/b/0") in rules
    assert ("duplicate_key", "") in rules  # the inner object no longer exists in the result


@pytest.mark.parametrize(
    ("text", "pointer", "literal"),
    [
        ('{"a": [NaN]}', "/a/0", "NaN"),
        ('{"a": Infinity}', "/a", "Infinity"),
        ('{"a": -Infinity}', "/a", "-Infinity"),
        ('{"a": [1, 1e400]}', "/a/1", "1e400"),
        ('{"a": -1e400}', "/a", "-1e400"),
        ("NaN", "", "NaN"),
    ],
)
def test_nonstandard_numbers_are_rejected(text: str, pointer: str, literal: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_json_text(text)
    first = info.value.details[0]
    assert (first.rule, first.pointer) == ("nonstandard_number", pointer)
    assert f"non-standard number {literal} " in str(info.value)


def test_huge_numbers_that_are_finite_are_fine() -> None:
    assert parse_json_text("[1.7976931348623157e+308, 5e-324, 1e-400]") == [
        1.7976931348623157e308,
        5e-324,
        0.0,
    ]


def test_too_deep_and_too_long_give_clean_errors() -> None:
    with pytest.raises(ValidationError) as deep:
        parse_json_text("[" * 100_000)
    assert deep.value.details[0].rule == "nesting_depth"
    with pytest.raises(ValidationError) as long:
        parse_json_text("[" + "9" * 5000 + "]")
    assert long.value.details[0].rule == "number_too_long"
    assert str(long.value).startswith("Malformed JSON body: ")


def test_response_body_style() -> None:
    obj = {"b": 1, "a": {"z": [1.0, 1e-05, 1e16, -0.0]}, "u": "caf\u00e9\u007f\U0001f695"}
    assert dumps_response_body(obj) == (
        '{"b": 1, "a": {"z": [1.0, 1e-05, 1e+16, -0.0]}, "u": "caf\\u00e9\\u007f\\ud83d\\ude95"}'
    )


def test_canonical_style_sorts_every_level() -> None:
    obj = {"b": [{"y": 1, "x": 0.30000000000000004}], "a": 10**30, "c": "\u00fc"}
    assert dumps_canonical(obj) == (
        '{"a":1000000000000000000000000000000,"b":[{"x":0.30000000000000004,"y":1}],"c":"\\u00fc"}'
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_writers_never_emit_nonstandard_json(bad: float) -> None:
    with pytest.raises(ValueError):
        dumps_canonical({"a": bad})
    with pytest.raises(ValueError):
        dumps_response_body([bad])


@given(json_values)
def test_canonical_text_round_trips_exactly(value: Any) -> None:
    text = dumps_canonical(value)
    assert text.isascii()
    assert strict_equal(parse_json_text(text), _sorted_keys(value))
    assert dumps_canonical(parse_json_text(dumps_response_body(value))) == text


@given(st.dictionaries(st.text(), st.integers(), min_size=1))
def test_canonical_text_ignores_key_order(mapping: dict[str, int]) -> None:
    reordered = dict(reversed(list(mapping.items())))
    assert dumps_canonical(mapping) == dumps_canonical(reordered)
    assert json.loads(dumps_canonical(mapping)) == mapping


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


# -- same_json_value (the child's "same run" test, issue 13) ---------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, 1.0),
        (1, True),
        (0, False),
        (0.0, -0.0),
        ([1, 2], [1, 2.0]),
        ([0.0, 1], [-0.0, 1]),
        ([0, 0.0], [0.0, 0]),
        ([False], [0.0]),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ({"a": [1, {"k": 1.0}]}, {"a": [1, {"k": 1}]}),
        ([[1]], [[True]]),
        ([1, 2], [1, 2, 3]),
        ("1", 1),
        (None, 0),
        ([None], [[]]),
        ([float("nan")], [float("nan")]),
    ],
)
def test_same_json_value_tells_apart_what_equality_confuses(a: object, b: object) -> None:
    assert not same_json_value(a, b)
    assert not same_json_value(b, a)
    assert not (a == b and json_matcher(b)(a))
    assert not (b == a and json_matcher(a)(b))


@pytest.mark.parametrize(
    "value",
    [
        1,
        -0.0,
        0.0,
        "x",
        None,
        True,
        [],
        {},
        [1, 2.5, 0.0, -0.0, "x", True, None, [0, [0.0]], {"k": [False]}],
        {"b": [1], "a": {"c": -0.0}},
    ],
)
def test_same_json_value_accepts_equal_copies(value: object) -> None:
    assert same_json_value(value, json.loads(json.dumps(value)))
    assert json_matcher(value)(json.loads(json.dumps(value)))


def _confusable(value: Any) -> Any:
    """A value `==` takes for `value` where one exists (1 -> 1.0 -> True, 0.0 -> -0.0), deep."""
    if type(value) is bool:
        return int(value)
    if type(value) is int:
        return float(value) if abs(value) < 2**53 else value
    if type(value) is float:
        return -value if value == 0.0 else value
    if type(value) is list:
        return [_confusable(item) for item in value]
    if type(value) is dict:
        return {key: _confusable(item) for key, item in value.items()}
    return value


@given(json_values, json_values)
def test_same_json_value_is_strict_equality(a: Any, b: Any) -> None:
    assert same_json_value(a, b) == strict_equal(a, b)
    assert same_json_value(a, _confusable(a)) == strict_equal(a, _confusable(a))
    assert same_json_value(a, json.loads(json.dumps(a)))


@given(json_values, json_values)
def test_json_matcher_is_same_json_value_for_equal_values(a: Any, b: Any) -> None:
    """`x == value and json_matcher(value)(x)` is `same_json_value(x, value)`."""
    for x in (b, _confusable(a), json.loads(json.dumps(a))):
        assert (x == a and json_matcher(a)(x)) == same_json_value(x, a)
