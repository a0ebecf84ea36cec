"""Unit-cube sequences of sampled sweeps (random, Latin hypercube, Sobol), numpy only.

Why numpy only: the child artifact ships no scipy (issue 8's size budget), so the sequences are
implemented here; `tests/core/test_core_sampling.py` compares them with scipy.stats.qmc where
scipy is installed. Only the child imports this module (the parent only needs the point count,
`core.space`), so the parent artifact, which has no numpy, never does.

Every function returns rows [start, stop) of a sequence that is a pure function of its seed:
a shard asks for its own rows and gets exactly the rows any other shard layout would give.

* **Sobol** (`sobol_block`): Joe and Kuo's direction numbers (new-joe-kuo-6.21201, the first
  SOBOL_MAX_DIMENSIONS dimensions, the table scipy ships), 30 bits, Gray-code order as
  scipy.stats.qmc.Sobol(scramble=False) enumerates it. Point i is the XOR of the direction
  numbers of the set bits of gray(i) = i ^ (i >> 1): skip-ahead costs O(30 x d) per point, no
  walk from 0. Randomized by a digital shift (one 30-bit XOR mask per dimension from the seed),
  which keeps every (t, m, s)-net property of the unshifted sequence and its distinct points.
* **Latin hypercube** (`latin_hypercube_block`): dimension k puts point i in stratum perm_k(i)
  of `count` equal strata, jittered uniformly inside it. A permutation cannot be evaluated at
  one position, so a shard draws the `count`-long permutation and jitter of every dimension:
  O(count x d) time and memory per shard (about 6 ms per dimension at count 200,000,
  bench/bench_sampling.py), cached
  per process so a worker pays it once per run.
* **random** (`random_block`): uniform doubles from one PCG64 stream per sample, row i taking
  draws [i*d, (i+1)*d); PCG64 jumps ahead in O(log n) (`advance`), so a shard starts at its
  own row without drawing the rows before it.
* **without replacement** (`permuted_block`): for spaces of integer ranges only, a seeded
  bijection of [0, size) (a 4-round Feistel network with cycle walking), so no two samples
  repeat: O(1) expected per point.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = [
    "SOBOL_BITS",
    "SOBOL_MAX_DIMENSIONS",
    "latin_hypercube_block",
    "permuted_block",
    "random_block",
    "sobol_block",
    "sobol_direction_numbers",
    "sobol_integers",
]

SOBOL_BITS = 30
_UINT64 = 2**64

#: Joe-Kuo new-joe-kuo-6.21201, dimensions 2..64: (degree s, coefficients a, initial m_1..m_s).
#: Dimension 1 is the van der Corput sequence (every m is 1).
_JOE_KUO: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (1, 0, (1,)),
    (2, 1, (1, 3)),
    (3, 1, (1, 3, 1)),
    (3, 2, (1, 1, 1)),
    (4, 1, (1, 1, 3, 3)),
    (4, 4, (1, 3, 5, 13)),
    (5, 2, (1, 1, 5, 5, 17)),
    (5, 4, (1, 1, 5, 5, 5)),
    (5, 7, (1, 1, 7, 11, 19)),
    (5, 11, (1, 1, 5, 1, 1)),
    (5, 13, (1, 1, 1, 3, 11)),
    (5, 14, (1, 3, 5, 5, 31)),
    (6, 1, (1, 3, 3, 9, 7, 49)),
    (6, 13, (1, 1, 1, 15, 21, 21)),
    (6, 16, (1, 3, 1, 13, 27, 49)),
    (6, 19, (1, 1, 1, 15, 7, 5)),
    (6, 22, (1, 3, 1, 15, 13, 25)),
    (6, 25, (1, 1, 5, 5, 19, 61)),
    (7, 1, (1, 3, 7, 11, 23, 15, 103)),
    (7, 4, (1, 3, 7, 13, 13, 15, 69)),
    (7, 7, (1, 1, 3, 13, 7, 35, 63)),
    (7, 8, (1, 3, 5, 9, 1, 25, 53)),
    (7, 14, (1, 3, 1, 13, 9, 35, 107)),
    (7, 19, (1, 3, 1, 5, 27, 61, 31)),
    (7, 21, (1, 1, 5, 11, 19, 41, 61)),
    (7, 28, (1, 3, 5, 3, 3, 13, 69)),
    (7, 31, (1, 1, 7, 13, 1, 19, 1)),
    (7, 32, (1, 3, 7, 5, 13, 19, 59)),
    (7, 37, (1, 1, 3, 9, 25, 29, 41)),
    (7, 41, (1, 3, 5, 13, 23, 1, 55)),
    (7, 42, (1, 3, 7, 3, 13, 59, 17)),
    (7, 50, (1, 3, 1, 3, 5, 53, 69)),
    (7, 55, (1, 1, 5, 5, 23, 33, 13)),
    (7, 56, (1, 1, 7, 7, 1, 61, 123)),
    (7, 59, (1, 1, 7, 9, 13, 61, 49)),
    (7, 62, (1, 3, 3, 5, 3, 55, 33)),
    (8, 14, (1, 3, 1, 15, 31, 13, 49, 245)),
    (8, 21, (1, 3, 5, 15, 31, 59, 63, 97)),
    (8, 22, (1, 3, 1, 11, 11, 11, 77, 249)),
    (8, 38, (1, 3, 1, 11, 27, 43, 71, 9)),
    (8, 47, (1, 1, 7, 15, 21, 11, 81, 45)),
    (8, 49, (1, 3, 7, 3, 25, 31, 65, 79)),
    (8, 50, (1, 3, 1, 1, 19, 11, 3, 205)),
    (8, 52, (1, 1, 5, 9, 19, 21, 29, 157)),
    (8, 56, (1, 3, 7, 11, 1, 33, 89, 185)),
    (8, 67, (1, 3, 3, 3, 15, 9, 79, 71)),
    (8, 70, (1, 3, 7, 11, 15, 39, 119, 27)),
    (8, 84, (1, 1, 3, 1, 11, 31, 97, 225)),
    (8, 97, (1, 1, 1, 3, 23, 43, 57, 177)),
    (8, 103, (1, 3, 7, 7, 17, 17, 37, 71)),
    (8, 115, (1, 3, 1, 5, 27, 63, 123, 213)),
    (8, 122, (1, 1, 3, 5, 11, 43, 53, 133)),
    (9, 8, (1, 3, 5, 5, 29, 17, 47, 173, 479)),
    (9, 13, (1, 3, 3, 11, 3, 1, 109, 9, 69)),
    (9, 16, (1, 1, 1, 5, 17, 39, 23, 5, 343)),
    (9, 22, (1, 3, 1, 5, 25, 15, 31, 103, 499)),
    (9, 25, (1, 1, 1, 11, 11, 17, 63, 105, 183)),
    (9, 44, (1, 1, 5, 11, 9, 29, 97, 231, 363)),
    (9, 47, (1, 1, 5, 15, 19, 45, 41, 7, 383)),
    (9, 52, (1, 3, 7, 7, 31, 19, 83, 137, 221)),
    (9, 55, (1, 1, 1, 3, 23, 15, 111, 223, 83)),
    (9, 59, (1, 1, 5, 13, 31, 15, 55, 25, 161)),
    (9, 62, (1, 1, 3, 13, 25, 47, 39, 87, 257)),
)
SOBOL_MAX_DIMENSIONS = len(_JOE_KUO) + 1

# Stream tags: each use of the seed gets its own SeedSequence words, so a Sobol shift never
# correlates with a Latin hypercube permutation or the model's own per-point streams.
_TAG_SOBOL_SHIFT = 0x536F626F6C  # "Sobol"
_TAG_LHS_PERMUTATION = 0x4C48535030
_TAG_LHS_JITTER = 0x4C48534A30
_TAG_RANDOM = 0x52616E64
_TAG_PERMUTED = 0x4665697374


def _seed_sequence(seed: int, *tags: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=[seed % _UINT64, *tags])


@lru_cache(maxsize=8)
def sobol_direction_numbers(dimensions: int) -> npt.NDArray[np.uint64]:
    """V[k, j]: the j-th direction number of dimension k, scaled to SOBOL_BITS bits."""
    if not 1 <= dimensions <= SOBOL_MAX_DIMENSIONS:
        raise ValueError(f"Sobol supports 1 to {SOBOL_MAX_DIMENSIONS} dimensions, got {dimensions}")
    bits = SOBOL_BITS
    v = np.zeros((dimensions, bits), dtype=np.uint64)
    v[0, :] = 1
    for k in range(1, dimensions):
        degree, coefficients, initial = _JOE_KUO[k - 1]
        poly = (1 << degree) | (coefficients << 1) | 1
        row = list(initial) + [0] * (bits - degree)
        for j in range(degree, bits):
            value = row[j - degree]
            power = 1
            for i in range(degree):
                power <<= 1
                if (poly >> (degree - 1 - i)) & 1:
                    value ^= power * row[j - i - 1]
            row[j] = value
        v[k, :] = row
    shifts = np.array([1 << (bits - 1 - j) for j in range(bits)], dtype=np.uint64)
    v *= shifts
    v.setflags(write=False)
    return v


def sobol_integers(start: int, stop: int, dimensions: int) -> npt.NDArray[np.uint64]:
    """Rows [start, stop) of the unshifted Sobol sequence as SOBOL_BITS-bit integers."""
    if not 0 <= start <= stop <= 2**SOBOL_BITS:
        raise ValueError(f"Sobol rows [{start}, {stop}) are outside [0, 2**{SOBOL_BITS}]")
    v = sobol_direction_numbers(dimensions)
    index = np.arange(start, stop, dtype=np.uint64)
    gray = index ^ (index >> np.uint64(1))
    out = np.zeros((stop - start, dimensions), dtype=np.uint64)
    for j in range(SOBOL_BITS):
        selected = ((gray >> np.uint64(j)) & np.uint64(1)).astype(bool)
        if selected.any():
            out[selected] ^= v[:, j]
    return out


def sobol_block(
    start: int, stop: int, dimensions: int, seed: int | None
) -> npt.NDArray[np.float64]:
    """Rows [start, stop) in [0, 1)^d; `seed` None gives the unshifted sequence (scipy's)."""
    ints = sobol_integers(start, stop, dimensions)
    if seed is not None:
        rng = np.random.Generator(np.random.PCG64(_seed_sequence(seed, _TAG_SOBOL_SHIFT)))
        shift = rng.integers(0, 2**SOBOL_BITS, size=dimensions, dtype=np.uint64)
        ints = ints ^ shift
    return ints.astype(np.float64) * (2.0**-SOBOL_BITS)


@lru_cache(maxsize=4)
def _latin_hypercube(count: int, dimensions: int, seed: int) -> npt.NDArray[np.float64]:
    out = np.empty((count, dimensions), dtype=np.float64)
    for k in range(dimensions):
        strata = np.random.default_rng(_seed_sequence(seed, _TAG_LHS_PERMUTATION, k))
        jitter = np.random.default_rng(_seed_sequence(seed, _TAG_LHS_JITTER, k))
        out[:, k] = (strata.permutation(count) + jitter.random(count)) / count
    out.setflags(write=False)
    return out


def latin_hypercube_block(
    start: int, stop: int, count: int, dimensions: int, seed: int
) -> npt.NDArray[np.float64]:
    """Rows [start, stop) of a `count`-point Latin hypercube in [0, 1)^d."""
    if not 0 <= start <= stop <= count:
        raise ValueError(f"rows [{start}, {stop}) are outside a hypercube of {count} points")
    return _latin_hypercube(count, dimensions, seed)[start:stop]


def random_block(start: int, stop: int, dimensions: int, seed: int) -> npt.NDArray[np.float64]:
    """Rows [start, stop) of seeded uniform draws in [0, 1)^d (row i: draws i*d .. i*d+d-1)."""
    if not 0 <= start <= stop:
        raise ValueError(f"rows [{start}, {stop}) are not a range")
    bit_generator = np.random.PCG64(_seed_sequence(seed, _TAG_RANDOM))
    bit_generator.advance(start * dimensions)
    draws = np.random.Generator(bit_generator).random((stop - start) * dimensions)
    return draws.reshape(stop - start, dimensions)


def _mix(value: int, key: int) -> int:
    """splitmix64 of value ^ key: the Feistel round function."""
    z = (value ^ key) & 0xFFFFFFFFFFFFFFFF
    z = (z + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def permuted_block(start: int, stop: int, size: int, seed: int) -> list[int]:
    """Entries [start, stop) of a seeded permutation of [0, size): distinct by construction."""
    if not 0 <= start <= stop <= size:
        raise ValueError(f"entries [{start}, {stop}) are outside a permutation of {size}")
    half = max(1, ((size - 1).bit_length() + 1) // 2)
    mask = (1 << half) - 1
    keys = [int(k) for k in _seed_sequence(seed, _TAG_PERMUTED).generate_state(4, np.uint64)]

    def permute(x: int) -> int:
        while True:
            left, right = x >> half, x & mask
            for key in keys:
                left, right = right, left ^ (_mix(right, key) & mask)
            x = (left << half) | right
            if x < size:  # cycle walking: stays a bijection of [0, size)
                return x

    return [permute(i) for i in range(start, stop)]
