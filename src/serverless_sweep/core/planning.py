"""Shard planning: split the point indices [0, total_points) into balanced contiguous ranges.

Balanced, not fixed-size, exactly as the old runtime: with n shards every shard holds
``total // n`` points and the first ``total % n`` shards one more, so sizes differ by at most one
(shard_size 4 over 10 points gives 4, 3, 3). n is ``min(shard_count, total)`` when shard_count is
given (it wins over shard_size), else ``ceil(total / shard_size)``.

Why exact integers: the old runtime computed ``math.ceil(total / shard_size)`` in floating point,
so a shard_size of 10**324 gave 0 shards ("No shards to process"). Inputs are now signed 64-bit
integers (validated here too, so a hand-built plan input cannot reintroduce bools or bigints:
replay tags ``bool-as-int`` and ``bigint``) and all arithmetic is integer arithmetic.

Why lazy helpers: plans can have 10,000+ shards and the dispatcher, the status view and the
redrive only ever need one shard at a time; `count_shards` and `shard_range` answer in O(1)
without building the list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from serverless_sweep.core.errors import ValidationError, Violation, json_pointer
from serverless_sweep.core.validation import (
    DEFAULT_MAX_SHARDS,
    EITHER_SHARD_MESSAGE,
    INT64_MAX,
    is_int,
)

__all__ = [
    "ShardRange",
    "count_shards",
    "iter_shards",
    "plan_for_request",
    "plan_shards",
    "shard_range",
]

NO_SHARDS_MESSAGE = "No shards to process"


@dataclass(frozen=True, slots=True)
class ShardRange:
    """One shard: the half-open range [start_index, end_index) of point indices."""

    shard_id: int
    start_index: int
    end_index: int

    @property
    def size(self) -> int:
        """Number of points in the shard."""
        return self.end_index - self.start_index

    def as_dict(self) -> dict[str, int]:
        """The old runtime's plan entry, keys in its order."""
        return {
            "shard_id": self.shard_id,
            "start_index": self.start_index,
            "end_index": self.end_index,
        }


def _require_int(name: str, value: object, *, minimum: int) -> int:
    """Reject what validation would have rejected: non-ints, bools, values outside int64."""
    if is_int(value) and minimum <= value <= INT64_MAX:
        return value
    kind = "positive" if minimum > 0 else "non-negative"
    message = f"{name} must be a {kind} integer"
    rule = "type"
    if is_int(value):
        rule = "minimum" if value < minimum else "integer_range"
    raise ValidationError(message, [Violation(json_pointer(name), rule, message)])


def count_shards(
    total_points: int,
    *,
    shard_count: int | None,
    shard_size: int | None,
    max_shards: int = DEFAULT_MAX_SHARDS,
) -> int:
    """Number of shards of the plan, after the old runtime's checks (no shards, max_shards)."""
    total = _require_int("total_points", total_points, minimum=0)
    limit = _require_int("max_shards", max_shards, minimum=1)
    if shard_count is not None:
        n = min(_require_int("shard_count", shard_count, minimum=1), total)
    elif shard_size is not None:
        size = _require_int("shard_size", shard_size, minimum=1)
        n = -(-total // size)
    else:
        raise ValidationError(
            EITHER_SHARD_MESSAGE, [Violation("", "required", EITHER_SHARD_MESSAGE)]
        )
    if n <= 0:
        raise ValidationError(
            NO_SHARDS_MESSAGE,
            [Violation(json_pointer("total_points"), "minimum", NO_SHARDS_MESSAGE)],
        )
    if n > limit:
        message = f"Computed shard count {n} exceeds max_shards={limit}"
        raise ValidationError(
            message, [Violation(json_pointer("max_shards"), "max_shards", message)]
        )
    return n


def shard_range(total_points: int, n_shards: int, shard_id: int) -> ShardRange:
    """Shard `shard_id` of a balanced plan of `n_shards` over `total_points` points, in O(1)."""
    if not 0 < n_shards <= total_points or not 0 <= shard_id < n_shards:
        raise IndexError(f"shard {shard_id} is not in a plan of {n_shards} shards")
    base, remainder = divmod(total_points, n_shards)
    start = shard_id * base + min(shard_id, remainder)
    end = start + base + (1 if shard_id < remainder else 0)
    return ShardRange(shard_id, start, end)


def iter_shards(total_points: int, n_shards: int) -> Iterator[ShardRange]:
    """Every shard of the plan in order, one at a time (the same ranges as `shard_range`,
    without its per-shard checks: a 200,000-shard plan is on the API's answer path)."""
    if not 0 < n_shards <= total_points:
        raise IndexError(f"a plan of {n_shards} shards over {total_points} points is impossible")
    base, remainder = divmod(total_points, n_shards)
    start = 0
    for shard_id in range(n_shards):
        end = start + base + (1 if shard_id < remainder else 0)
        yield ShardRange(shard_id, start, end)
        start = end


def plan_shards(
    total_points: int,
    *,
    shard_count: int | None,
    shard_size: int | None,
    max_shards: int,
) -> list[ShardRange]:
    """The whole plan as a list (the old runtime's planner); see `count_shards` for the checks."""
    n = count_shards(
        total_points, shard_count=shard_count, shard_size=shard_size, max_shards=max_shards
    )
    return list(iter_shards(total_points, n))


def plan_for_request(normalized: Mapping[str, Any]) -> list[ShardRange]:
    """Plan a request normalized by `normalize_request` (absent shard fields count as None)."""
    return plan_shards(
        normalized["total_points"],
        shard_count=normalized.get("shard_count"),
        shard_size=normalized.get("shard_size"),
        max_shards=normalized.get("max_shards", DEFAULT_MAX_SHARDS),
    )
