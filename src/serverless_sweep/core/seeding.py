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

import functools

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
    """A signed int64 summary of the point's stream (first 64 bits of its generated state).

    Computed here in plain integers, exactly as `point_seed_sequence(seed, point_index)
    .generate_state(1, np.uint64)[0]` would (numpy's SeedSequence algorithm: `mix_entropy`
    over the assembled entropy words, then `generate_state`): inside a child, between the
    other steps of a one-point shard, numpy's path cost 85-95 us against 22-30 us for this
    (issue 13). The first half of the mixing depends on the seed only (the run entropy is
    always padded to the pool's four words), so it is kept per seed (`_run_pool`) and each
    point only mixes in its own index words: about a fifth of the work. The equality with
    numpy is tested over random and extreme seeds and indexes (tests/core/test_core_seeding.py).
    """
    _check(seed, point_index)
    run_pool, hash_const = _run_pool(seed % _UINT64_MOD)
    pool = list(run_pool)
    value = point_index
    while True:  # the spawn key's uint32 words, least significant first ([0] for zero)
        word = value & _MASK32
        value >>= 32
        for i_dst in range(_POOL_SIZE):
            mixed = word ^ hash_const
            hash_const = (hash_const * _MULT_A) & _MASK32
            mixed = (mixed * hash_const) & _MASK32
            mixed = (
                _MIX_MULT_L * pool[i_dst] - _MIX_MULT_R * (mixed ^ (mixed >> _XSHIFT))
            ) & _MASK32
            pool[i_dst] = mixed ^ (mixed >> _XSHIFT)
        if not value:
            break
    # generate_state: one uint64 = the first two uint32 words of the pool, little-endian
    hash_b = _INIT_B
    low = pool[0] ^ hash_b
    hash_b = (hash_b * _MULT_B) & _MASK32
    low = (low * hash_b) & _MASK32
    low ^= low >> _XSHIFT
    high = pool[1] ^ hash_b
    hash_b = (hash_b * _MULT_B) & _MASK32
    high = (high * hash_b) & _MASK32
    high ^= high >> _XSHIFT
    state = low | (high << 32)
    return state - _UINT64_MOD if state > INT64_MAX else state


@functools.lru_cache(maxsize=64)
def _run_pool(run_seed: int) -> tuple[tuple[int, ...], int]:
    """The pool (four words) and the running hash constant after mixing the run entropy
    (`run_seed` as uint32 words, padded to the pool size): the part of `mix_entropy` that
    every point of a run shares."""
    run_entropy = _words(run_seed)
    entropy = run_entropy + [0] * (_POOL_SIZE - len(run_entropy))
    pool, hash_const = _mixed_pool(entropy)
    return tuple(pool), hash_const


# numpy.random.bit_generator's SeedSequence constants (a pool of 4 uint32 words).
_POOL_SIZE = 4
_MASK32 = 0xFFFFFFFF
_XSHIFT = 16
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_MULT_L = 0xCA01F9DD
_MIX_MULT_R = 0x4973F715


def _words(value: int) -> list[int]:
    """A non-negative integer as uint32 words, least significant first ([0] for zero)."""
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


def _mixed_pool(entropy: list[int]) -> tuple[list[int], int]:
    """SeedSequence's `mix_entropy`: the pool from the assembled entropy (the run entropy
    padded to the pool size, then any further words), and its running hash constant."""
    hash_const = _INIT_A

    def hashmix(value: int) -> int:
        nonlocal hash_const
        value ^= hash_const
        hash_const = (hash_const * _MULT_A) & _MASK32
        value = (value * hash_const) & _MASK32
        return value ^ (value >> _XSHIFT)

    def mix(x: int, y: int) -> int:
        result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _MASK32
        return result ^ (result >> _XSHIFT)

    pool = [hashmix(entropy[i]) for i in range(_POOL_SIZE)]
    for i_src in range(_POOL_SIZE):
        for i_dst in range(_POOL_SIZE):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hashmix(pool[i_src]))
    for value in entropy[_POOL_SIZE:]:
        for i_dst in range(_POOL_SIZE):
            pool[i_dst] = mix(pool[i_dst], hashmix(value))
    return pool, hash_const
