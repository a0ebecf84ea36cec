"""Point spaces beyond the grid (core/space.py, issue 14): counts, decoding, validation."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.fingerprint import request_fingerprint
from serverless_sweep.core.indexing import PointSpace
from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.space import SpaceError, SweepSpace
from serverless_sweep.core.validation import normalize_request


def brute_force(dims: dict[str, list[Any]], exclude: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The kept grid points, by enumeration (canonical JSON equality, so True is not 1)."""
    points = [dict(zip(dims, values, strict=True)) for values in itertools.product(*dims.values())]

    def excluded(point: dict[str, Any]) -> bool:
        return any(
            all(dumps_canonical(point[k]) == dumps_canonical(v) for k, v in entry.items())
            for entry in exclude
        )

    return [p for p in points if not excluded(p)]


VALUES = st.sampled_from([0, 1, 2, True, False, "a", 1.5, None])


@st.composite
def grids(draw: st.DrawFn) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    names = draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4, unique=True))
    dims = {n: draw(st.lists(VALUES, min_size=1, max_size=4)) for n in sorted(names)}
    entries = []
    for _ in range(draw(st.integers(0, 6))):
        chosen = draw(st.lists(st.sampled_from(sorted(dims)), min_size=1, unique=True))
        entries.append({n: draw(st.sampled_from(dims[n])) for n in chosen})
    return dims, entries


@settings(max_examples=150, deadline=None)
@given(grids(), st.data())
def test_exclusions_match_enumeration_and_any_slice_decodes_alone(
    grid: tuple[dict[str, list[Any]], list[dict[str, Any]]], data: st.DataObject
) -> None:
    dims, exclude = grid
    space = SweepSpace(dims, exclude=exclude)
    kept = brute_force(dims, exclude)
    assert space.size == len(kept)
    assert space.excluded_points == math.prod(len(v) for v in dims.values()) - len(kept)
    assert [p for _, p in space.iter_points()] == kept
    assert [i for i, _ in space.iter_points()] == list(range(len(kept)))  # no gaps
    if kept:
        start = data.draw(st.integers(0, len(kept) - 1))
        stop = data.draw(st.integers(start, len(kept)))
        assert [p for _, p in space.iter_points(start, stop)] == kept[start:stop]
        assert space.decode(start) == kept[start]


def test_a_grid_without_exclusions_is_the_v1_point_space() -> None:
    dims = {"a": [1, 2, 3], "b": ["x", "y"]}
    assert list(SweepSpace(dims).iter_points(1, 5)) == list(
        PointSpace.from_mapping(dims).iter_points(1, 5)
    )


RANGES = {
    "rate": {"min": 0.05, "max": 0.3, "log": False, "integer": False},
    "size": {"min": 10, "max": 5000, "log": True, "integer": True},
    "scale": {"min": 0.01, "max": 100.0, "log": True, "integer": False},
}


@pytest.mark.parametrize("method", ["random", "latin_hypercube", "sobol"])
def test_samples_lie_in_their_ranges_are_distinct_and_independent_of_the_layout(
    method: str,
) -> None:
    sampling = {"method": method, "count": 50, "seed": 9}
    space = SweepSpace({"m": ["a", "b"]}, sampling, RANGES, [{"m": "b"}])
    assert (space.size, space.excluded_points) == (50, 50)
    points = [p for _, p in space.iter_points()]
    for point in points:
        assert point["m"] == "a"
        assert 0.05 <= point["rate"] <= 0.3 and type(point["rate"]) is float
        assert 10 <= point["size"] <= 5000 and type(point["size"]) is int
        assert 0.01 <= point["scale"] <= 100.0
    assert len({dumps_canonical(p) for p in points}) == 50
    pieces = [
        p for a, b in [(0, 1), (1, 17), (17, 49), (49, 50)] for _, p in space.iter_points(a, b)
    ]
    assert pieces == points
    other = SweepSpace({"m": ["a", "b"]}, {**sampling, "seed": 10}, RANGES, [{"m": "b"}])
    assert [p for _, p in other.iter_points()] != points


def test_listed_dimensions_are_crossed_with_the_samples() -> None:
    sampling = {"method": "sobol", "count": 3, "seed": 1}
    space = SweepSpace({"k": [1, 2]}, sampling, {"x": RANGES["rate"]})
    points = [p for _, p in space.iter_points()]
    assert [p["k"] for p in points] == [1, 1, 1, 2, 2, 2]
    assert [p["x"] for p in points[:3]] == [p["x"] for p in points[3:]]  # paired samples


def test_integer_only_random_sampling_draws_without_replacement() -> None:
    ranges = {
        "a": {"min": 1, "max": 4, "log": False, "integer": True},
        "b": {"min": -1, "max": 1, "log": False, "integer": True},
    }
    space = SweepSpace({}, {"method": "random", "count": 12, "seed": 3}, ranges)
    points = {(p["a"], p["b"]) for _, p in space.iter_points()}
    assert points == set(itertools.product(range(1, 5), range(-1, 2)))


def test_too_many_overlapping_exclusions_are_refused() -> None:
    dims = {f"d{i}": [0, 1] for i in range(14)}
    with pytest.raises(SpaceError, match="overlap"):
        SweepSpace(dims, exclude=[{f"d{i}": 0} for i in range(14)])


# -- the request ------------------------------------------------------------------------------


def base(**fields: Any) -> dict[str, Any]:
    return {
        "run_id": "r",
        "dimensions": {"a": [1, 2, 3], "b": [True, False]},
        "shard_count": 2,
        **fields,
    }


def rules_of(request: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        normalize_request(request)
    return [(v.pointer, v.rule) for v in caught.value.details]


def test_old_requests_normalize_and_fingerprint_as_before() -> None:
    plain = normalize_request(base())
    assert list(plain) == [
        "run_id", "dimensions", "total_points", "max_shards", "seed",
        "failure_injection_shards", "shard_count",
    ]  # fmt: skip
    grid = normalize_request(base(sampling={"method": "grid"}))
    assert grid == plain
    assert request_fingerprint(grid, "legacy_hash") == request_fingerprint(plain, "legacy_hash")


def test_sampling_is_normalized_and_fingerprinted() -> None:
    request = base(
        dimensions={"a": [1, 2]},
        sampling={"method": "sobol", "count": 8},
        ranges={"x": {"min": 0, "max": 1}},
        seed=4,
    )
    normalized = normalize_request(request)
    assert normalized["sampling"] == {"method": "sobol", "count": 8, "seed": 4}
    assert normalized["ranges"] == {"x": {"min": 0, "max": 1, "log": False, "integer": False}}
    assert normalized["total_points"] == 16
    prints = {
        request_fingerprint(normalize_request({**request, **change}), "legacy_hash")
        for change in (
            {},
            {"sampling": {"method": "sobol", "count": 8, "seed": 5}},
            {"sampling": {"method": "random", "count": 8}},
            {"ranges": {"x": {"min": 0, "max": 2}}},
            {"preset": "label-only"},
        )
    }
    assert len(prints) == 4  # the preset name is a label, not part of the sweep


def test_exclude_counts_before_dispatch() -> None:
    normalized = normalize_request(base(exclude=[{"a": 2}, {"b": False, "a": 1}, {"a": 2}]))
    assert normalized["exclude"] == [{"a": 2}, {"a": 1, "b": False}]
    assert (normalized["total_points"], normalized["excluded_points"]) == (3, 3)


X01 = {"x": {"min": 0, "max": 1}}
RANDOM2 = {"method": "random", "count": 2}


def ranged(spec: dict[str, Any], name: str = "x", **sampling: Any) -> dict[str, Any]:
    return {"sampling": {**RANDOM2, **sampling}, "ranges": {name: spec}}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"ranges": X01}, ("/ranges", "requires_sampling")),
        ({"sampling": {"method": "grid", "count": 3}}, ("/sampling/count", "not_allowed")),
        ({"sampling": {"method": "sobol"}, "ranges": X01}, ("/sampling/count", "required")),
        ({"sampling": {"method": "sobol", "count": 2}}, ("/ranges", "required")),
        ({"sampling": {"method": "halton", "count": 2}}, ("/sampling/method", "enum")),
        ({"sampling": {**RANDOM2, "sed": 1}, "ranges": X01}, ("/sampling/sed", "unknown_field")),
        (ranged({"min": 1, "max": 1}), ("/ranges/x", "range")),
        (ranged({"min": 0, "max": 1, "log": True}), ("/ranges/x/min", "minimum")),
        (ranged({"min": 0.5, "max": 3, "integer": True}), ("/ranges/x/min", "type")),
        (ranged({"min": 0, "max": 1}, name="a"), ("/ranges/a", "duplicate_parameter")),
        (
            ranged({"min": 0, "max": 9, "integer": True}, method="sobol"),
            ("/sampling/method", "integer_only"),
        ),
        (
            ranged({"min": 0, "max": 9, "integer": True}, count=11),
            ("/sampling/count", "max_points"),
        ),
        (ranged({"min": 0, "max": 1}, count=40000), ("/sampling/count", "max_points")),
        ({"exclude": [{"c": 1}]}, ("/exclude/0/c", "unknown_dimension")),
        ({"exclude": [{"b": 1}]}, ("/exclude/0/b", "enum")),
        ({"exclude": [{}]}, ("/exclude/0", "type")),
        ({"exclude": [{"b": True}, {"b": False}]}, ("/exclude", "no_points")),
        ({"preset": ""}, ("/preset", "type")),
    ],
)
def test_bad_space_fields_are_a_400_naming_the_field(
    fields: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert expected in rules_of(base(**fields))


def test_a_sampled_sweep_may_have_no_listed_dimensions() -> None:
    request = base(
        dimensions={}, sampling={"method": "random", "count": 5}, ranges={"x": {"min": 0, "max": 1}}
    )
    assert normalize_request(request)["total_points"] == 5
    assert ("/dimensions", "not_empty") in rules_of(base(dimensions={}))
