"""Per-point random streams derived from (request seed, point index) only.

Why only those two: a point's result must not depend on how the sweep was sharded, on retries or
redrives, or on which worker ran it. Deriving the stream from the point's global index (never
from shard_id or a position inside a shard) makes every point reproducible on its own: rerun one
point, change shard_count, or redrive a failed shard, and the numbers are the same.

How: numpy's `SeedSequence`, the tool numpy designed for independent parallel streams. The root
is ``SeedSequence(entropy=seed mod 2**64)`` (the signed 64-bit seed in two's complement, because
SeedSequence entropy must be non-negative) and point i's sequence is its child with
``spawn_key=(i,)``, exactly what ``SeedSequence(seed).spawn(n)[i]`` would give. Distinct
(seed, point_index) pairs give distinct SeedSequence inputs (the entropy is padded to the pool
size before the spawn key is appended, so no two pairs assemble the same words), and
SeedSequence's hashing makes overlapping streams as unlikely as a 128-bit collision.

`point_seed` condenses that sequence into one signed 64-bit integer for the ``point_seed``
Parquet column (int64), so an analyst can recreate a point's generator with
``numpy.random.default_rng(point_seed_sequence(seed, point_index))`` and spot identical seeds.
"""

from __future__ import annotations

import numpy as np

from serverless_sweep.core.validation import INT64_MAX, INT64_MIN, is_int

__all__ = ["point_rng", "point_seed", "point_seed_sequence"]

_UINT64_MOD = 2**64


def _check(seed: int, point_index: int) -> None:
    if not is_int(seed) or not INT64_MIN <= seed <= INT64_MAX:
        raise ValueError(f"seed must be a signed 64-bit integer, got {seed!r}")
    if not is_int(point_index) or point_index < 0:
        raise ValueError(f"point_index must be a non-negative integer, got {point_index!r}")


def point_seed_sequence(seed: int, point_index: int) -> np.random.SeedSequence:
    """The SeedSequence of one point: child `point_index` of the root sequence of `seed`."""
    _check(seed, point_index)
    return np.random.SeedSequence(entropy=seed % _UINT64_MOD, spawn_key=(point_index,))


def point_rng(seed: int, point_index: int) -> np.random.Generator:
    """A fresh PCG64 `Generator` on the point's stream (what models should draw from)."""
    return np.random.default_rng(point_seed_sequence(seed, point_index))


def point_seed(seed: int, point_index: int) -> int:
    """A signed int64 summary of the point's stream (first 64 bits of its generated state)."""
    state = int(point_seed_sequence(seed, point_index).generate_state(1, np.uint64)[0])
    return state - _UINT64_MOD if state > INT64_MAX else state
