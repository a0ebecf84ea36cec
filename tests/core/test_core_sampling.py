"""The numpy-only sequences of sampled sweeps (core/sampling.py), against scipy where it exists."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from serverless_sweep.core import sampling

HAVE_SCIPY = importlib.util.find_spec("scipy") is not None


@pytest.mark.skipif(not HAVE_SCIPY, reason="scipy is not installed: no qmc reference to compare")
@pytest.mark.parametrize("dimensions", [1, 2, 3, 7, 21, sampling.SOBOL_MAX_DIMENSIONS])
def test_sobol_equals_scipy_unscrambled(dimensions: int) -> None:
    from scipy.stats import qmc

    reference = qmc.Sobol(dimensions, scramble=False).random(512)
    assert np.array_equal(sampling.sobol_block(0, 512, dimensions, None), reference)
    engine = qmc.Sobol(dimensions, scramble=False)
    engine.fast_forward(1000)
    assert np.array_equal(sampling.sobol_block(1000, 1037, dimensions, None), engine.random(37))


@pytest.mark.parametrize("seed", [None, 0, -7, 2**63 - 1])
def test_sobol_points_stratify_every_dimension(seed: int | None) -> None:
    """The first 2^m points of each coordinate put exactly one point in each of the 2^m equal
    intervals (a (0, m, 1)-net): true for the unshifted sequence and kept by the digital shift."""
    m = 8
    points = sampling.sobol_block(0, 2**m, sampling.SOBOL_MAX_DIMENSIONS, seed)
    cells = np.floor(points * 2**m).astype(int)
    for k in range(points.shape[1]):
        assert sorted(cells[:, k]) == list(range(2**m)), k
    # Dimensions 1 and 2 form a (0, m, 2)-net: every 2^a x 2^(m-a) box holds one point.
    for a in range(m + 1):
        boxes = {(int(x * 2**a), int(y * 2 ** (m - a))) for x, y in points[:, :2]}
        assert len(boxes) == 2**m


def test_sobol_skips_ahead_to_the_same_rows() -> None:
    whole = sampling.sobol_block(0, 300, 5, 11)
    for start, stop in [(0, 1), (7, 8), (100, 257), (299, 300)]:
        assert np.array_equal(sampling.sobol_block(start, stop, 5, 11), whole[start:stop])
    assert len({tuple(row) for row in whole}) == 300


def test_latin_hypercube_has_one_point_per_stratum_and_stable_slices() -> None:
    count, dims = 97, 4
    whole = sampling.latin_hypercube_block(0, count, count, dims, 3)
    for k in range(dims):
        assert sorted(np.floor(whole[:, k] * count).astype(int)) == list(range(count))
    assert np.array_equal(sampling.latin_hypercube_block(10, 20, count, dims, 3), whole[10:20])
    assert not np.array_equal(sampling.latin_hypercube_block(0, count, count, dims, 4), whole)


def test_random_rows_are_the_same_from_any_start() -> None:
    whole = sampling.random_block(0, 50, 3, -1)
    assert ((whole >= 0) & (whole < 1)).all()
    for start, stop in [(0, 5), (5, 6), (17, 50)]:
        assert np.array_equal(sampling.random_block(start, stop, 3, -1), whole[start:stop])


@pytest.mark.parametrize("size", [1, 2, 3, 10, 1000, 4097])
def test_permuted_block_is_a_permutation(size: int) -> None:
    whole = sampling.permuted_block(0, size, size, 5)
    assert sorted(whole) == list(range(size))
    assert sampling.permuted_block(size // 3, size, size, 5) == whole[size // 3 :]
    if size >= 10:
        assert whole != list(range(size)) and whole != sampling.permuted_block(0, size, size, 6)


def test_sobol_refuses_unsupported_dimensions() -> None:
    with pytest.raises(ValueError, match="Sobol supports"):
        sampling.sobol_block(0, 1, sampling.SOBOL_MAX_DIMENSIONS + 1, None)
