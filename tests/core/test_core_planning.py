"""Shard plans: balanced, contiguous, exact, and the old runtime's errors."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.planning import (
    ShardRange,
    count_shards,
    iter_shards,
    plan_for_request,
    plan_shards,
    shard_range,
)

I64_MAX = 2**63 - 1


def sizes(plan: list[ShardRange]) -> list[int]:
    return [s.end_index - s.start_index for s in plan]


@pytest.mark.parametrize(
    ("total", "count", "size", "expected_sizes"),
    [
        (10, None, 4, [4, 3, 3]),
        (10, None, 3, [3, 3, 2, 2]),
        (10, None, 11, [10]),
        (7, 3, None, [3, 2, 2]),
        (1, 5, None, [1]),
        (12, 2, 1, [6, 6]),
        (101, 10, None, [11] + [10] * 9),
        (6, None, 2, [2, 2, 2]),
    ],
)
def test_examples(
    total: int, count: int | None, size: int | None, expected_sizes: list[int]
) -> None:
    plan = plan_shards(total, shard_count=count, shard_size=size, max_shards=1000)
    assert sizes(plan) == expected_sizes
    assert [s.shard_id for s in plan] == list(range(len(plan)))


def test_as_dict_has_the_old_key_order() -> None:
    assert list(ShardRange(0, 0, 3).as_dict().items()) == [
        ("shard_id", 0),
        ("start_index", 0),
        ("end_index", 3),
    ]


@pytest.mark.parametrize(
    ("total", "count", "size", "max_shards", "message"),
    [
        (200000, None, 199, 1000, "Computed shard count 1006 exceeds max_shards=1000"),
        (9, 2, None, 1, "Computed shard count 2 exceeds max_shards=1"),
        (0, None, 3, 1000, "No shards to process"),
        (0, 3, None, 1000, "No shards to process"),
        (5, None, None, 1000, "Either shard_count or shard_size is required"),
        (5, True, None, 1000, "shard_count must be a positive integer"),
        (5, None, 0, 1000, "shard_size must be a positive integer"),
        (5, None, 10**324, 1000, "shard_size must be a positive integer"),
        (5, None, 2.0, 1000, "shard_size must be a positive integer"),
        (5, 1, None, True, "max_shards must be a positive integer"),
        (-1, 1, None, 10, "total_points must be a non-negative integer"),
        (2**63, 1, None, 10, "total_points must be a non-negative integer"),
    ],
)
def test_errors(total: int, count: object, size: object, max_shards: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        plan_shards(total, shard_count=count, shard_size=size, max_shards=max_shards)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_shard_count_is_capped_at_total_before_max_shards() -> None:
    assert len(plan_shards(10, shard_count=5000, max_shards=1000, shard_size=None)) == 10


def test_int64_extremes_are_exact() -> None:
    n = count_shards(I64_MAX, shard_count=None, shard_size=3, max_shards=I64_MAX)
    assert n == -(-I64_MAX // 3)
    last = shard_range(I64_MAX, n, n - 1)
    assert last.end_index == I64_MAX
    assert shard_range(I64_MAX, n, 0).size - last.size in (0, 1)
    assert shard_range(I64_MAX, 7, 6).end_index == I64_MAX


def test_plan_for_request_reads_the_normalized_fields() -> None:
    plan = plan_for_request({"total_points": 10, "max_shards": 1000, "shard_size": 4})
    assert sizes(plan) == [4, 3, 3]
    assert sizes(plan_for_request({"total_points": 3, "shard_count": 3})) == [1, 1, 1]


def test_shard_range_rejects_ids_outside_the_plan() -> None:
    for bad in (-1, 3):
        with pytest.raises(IndexError):
            shard_range(10, 3, bad)
    with pytest.raises(IndexError):
        shard_range(2, 3, 0)


plans = st.tuples(
    st.integers(min_value=1, max_value=5000),
    st.one_of(st.none(), st.integers(min_value=1, max_value=6000)),
    st.one_of(st.none(), st.integers(min_value=1, max_value=6000)),
)


@given(plans)
def test_plans_cover_every_point_once_balanced(case: tuple[int, int | None, int | None]) -> None:
    total, count, size = case
    assume(count is not None or size is not None)
    plan = plan_shards(total, shard_count=count, shard_size=size, max_shards=I64_MAX)
    assert plan[0].start_index == 0 and plan[-1].end_index == total
    for before, after in itertools.pairwise(plan):
        assert before.end_index == after.start_index
    assert all(s.end_index > s.start_index for s in plan)
    assert max(sizes(plan)) - min(sizes(plan)) <= 1
    assert sizes(plan) == sorted(sizes(plan), reverse=True)  # remainder goes to earlier shards
    expected_n = min(count, total) if count is not None else -(-total // size)  # type: ignore[operator]
    assert len(plan) == expected_n
    if count is None and size is not None:
        assert max(sizes(plan)) <= size


@given(
    st.integers(min_value=1, max_value=I64_MAX),
    st.integers(min_value=1, max_value=I64_MAX),
    st.data(),
)
def test_lazy_shard_range_matches_the_plan_anywhere(
    total: int, count: int, data: st.DataObject
) -> None:
    n = count_shards(total, shard_count=count, shard_size=None, max_shards=I64_MAX)
    shard_id = data.draw(st.integers(min_value=0, max_value=n - 1))
    shard = shard_range(total, n, shard_id)
    base, rem = divmod(total, n)
    assert shard.size == base + (1 if shard_id < rem else 0)
    if shard_id + 1 < n:
        assert shard_range(total, n, shard_id + 1).start_index == shard.end_index
    if n <= 2000:
        assert list(iter_shards(total, n))[shard_id] == shard


@given(st.integers(min_value=1, max_value=3000), st.integers(min_value=1, max_value=3000))
def test_max_shards_boundary(total: int, size: int) -> None:
    n = -(-total // size)
    assert len(plan_shards(total, shard_count=None, shard_size=size, max_shards=n)) == n
    if n > 1:
        with pytest.raises(ValidationError, match=f"Computed shard count {n} exceeds max_shards="):
            plan_shards(total, shard_count=None, shard_size=size, max_shards=n - 1)
