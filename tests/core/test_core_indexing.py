"""PointSpace: a bijection between [0, size) and the Cartesian product, last dimension fastest."""

from __future__ import annotations

import itertools
import random
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serverless_sweep.core.indexing import PointSpace

small_spaces = st.lists(
    st.tuples(st.text(max_size=3), st.lists(st.integers(), max_size=4)),
    max_size=4,
    unique_by=lambda pair: pair[0],
)


def product_points(pairs: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    names = [n for n, _ in pairs]
    return [
        dict(zip(names, combo, strict=True)) for combo in itertools.product(*(v for _, v in pairs))
    ]


@given(small_spaces)
def test_decode_enumerates_the_product_in_order(pairs: list[tuple[str, list[Any]]]) -> None:
    space = PointSpace(pairs)
    expected = product_points(pairs)
    assert space.size == len(expected)
    assert [space.decode(i) for i in range(space.size)] == expected
    assert [p for _, p in space.iter_points()] == expected
    assert [i for i, _ in space.iter_points()] == list(range(space.size))
    for i in range(space.size):
        assert space.encode(space.digits(i)) == i
        assert list(space.decode(i)) == [n for n, _ in pairs]


@given(small_spaces, st.data())
def test_iter_points_on_any_subrange(
    pairs: list[tuple[str, list[Any]]], data: st.DataObject
) -> None:
    space = PointSpace(pairs)
    start = data.draw(st.integers(min_value=0, max_value=space.size))
    end = data.draw(st.integers(min_value=start, max_value=space.size))
    assert list(space.iter_points(start, end)) == [(i, space.decode(i)) for i in range(start, end)]


@given(
    st.lists(st.integers(min_value=1, max_value=10**4), min_size=1, max_size=8),
    st.data(),
)
def test_encode_decode_round_trip_in_big_spaces(radices: list[int], data: st.DataObject) -> None:
    space = PointSpace((f"d{k}", range(r)) for k, r in enumerate(radices))
    index = data.draw(st.integers(min_value=0, max_value=space.size - 1))
    digits = space.digits(index)
    assert space.encode(digits) == index
    assert space.decode(index) == {f"d{k}": d for k, d in enumerate(digits)}


def test_from_mapping_keeps_key_order_and_last_varies_fastest() -> None:
    ab = PointSpace.from_mapping({"a": [1, 2], "b": ["x", "y"]})
    ba = PointSpace.from_mapping({"b": ["x", "y"], "a": [1, 2]})
    assert ab.names == ("a", "b") and ba.names == ("b", "a")
    assert [p for _, p in ab.iter_points(0, 2)] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}]
    assert [p for _, p in ba.iter_points(0, 2)] == [{"b": "x", "a": 1}, {"b": "x", "a": 2}]


def test_empty_dimension_and_no_dimensions() -> None:
    empty = PointSpace.from_mapping({"a": [], "b": [1]})
    assert empty.size == 0
    assert list(empty.iter_points()) == []
    with pytest.raises(IndexError):
        empty.decode(0)
    nothing = PointSpace.from_mapping({})
    assert nothing.size == 1
    assert nothing.decode(0) == {}
    assert list(nothing.iter_points()) == [(0, {})]


def test_out_of_range_and_bad_input() -> None:
    space = PointSpace.from_mapping({"a": [1, 2, 3]})
    for bad in (-1, 3):
        with pytest.raises(IndexError):
            space.decode(bad)
    with pytest.raises(IndexError):
        list(space.iter_points(2, 4))
    with pytest.raises(IndexError):
        list(space.iter_points(2, 1))
    with pytest.raises(IndexError):
        space.encode([3])
    with pytest.raises(ValueError):
        space.encode([0, 0])
    with pytest.raises(ValueError):
        PointSpace([("a", [1]), ("a", [2])])
    with pytest.raises(TypeError, match="'int' object is not iterable"):
        PointSpace.from_mapping({"a": 5})  # type: ignore[dict-item]


def test_values_are_iterated_like_python_does() -> None:
    space = PointSpace.from_mapping({"s": "ab", "o": {"k2": 1, "k1": 2}})
    assert [p for _, p in space.iter_points()] == [
        {"s": "a", "o": "k2"},
        {"s": "a", "o": "k1"},
        {"s": "b", "o": "k2"},
        {"s": "b", "o": "k1"},
    ]


def test_yielded_points_are_independent_dicts() -> None:
    space = PointSpace.from_mapping({"a": [1, 2]})
    points = [p for _, p in space.iter_points()]
    points[0]["a"] = 99
    assert points[1] == {"a": 2} and space.decode(0) == {"a": 1}


def test_trillion_point_space_decodes_fast() -> None:
    space = PointSpace.from_mapping(
        {"a": range(1000), "b": range(1000), "c": range(1000), "d": range(100), "e": "abcdefghij"}
    )
    assert space.size == 10**12
    rng = random.Random(7)
    indices = [rng.randrange(space.size) for _ in range(20_000)]
    started = time.perf_counter()
    for index in indices:
        space.decode(index)
    assert time.perf_counter() - started < 1.0
    assert space.decode(space.size - 1) == {"a": 999, "b": 999, "c": 999, "d": 99, "e": "j"}
    assert [i for i, _ in space.iter_points(space.size - 3)] == [space.size - k for k in (3, 2, 1)]
