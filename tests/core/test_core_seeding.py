"""Point seeds: a function of (seed, point_index) only, distinct per pair, int64-sized."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from serverless_sweep.core.seeding import point_rng, point_seed, point_seed_sequence

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
seeds = st.integers(min_value=I64_MIN, max_value=I64_MAX)
indices = st.integers(min_value=0, max_value=2**64)


def test_pinned_values() -> None:
    # Published point_seed columns depend on these; a change would silently change every result.
    assert point_seed(0, 0) == 8668861027912758289
    assert point_seed(-1, 0) == -4414993400411362939
    assert point_seed(I64_MAX, 10**12) == -1208714782342650898


@given(seeds, indices)
def test_deterministic_and_int64(seed: int, index: int) -> None:
    value = point_seed(seed, index)
    assert I64_MIN <= value <= I64_MAX
    assert value == point_seed(seed, index)
    a = point_rng(seed, index).integers(0, 2**62, size=4)
    b = point_rng(seed, index).integers(0, 2**62, size=4)
    assert (a == b).all()


@given(seeds, st.integers(min_value=0, max_value=50))
def test_point_stream_is_the_spawned_child_of_the_root(seed: int, index: int) -> None:
    child = np.random.SeedSequence(seed % 2**64).spawn(index + 1)[index]
    ours = point_seed_sequence(seed, index)
    assert (child.generate_state(4) == ours.generate_state(4)).all()


def test_distinct_pairs_give_distinct_streams() -> None:
    edge_seeds = [0, 1, -1, 2**32, 2**32 - 1, -(2**32), I64_MAX, I64_MIN, 5, 5 + 2**32]
    edge_indices = [0, 1, 2, 2**32 - 1, 2**32, 2**32 + 1, 5 * 2**32 + 1, I64_MAX, 2**64 - 1]
    states = {
        tuple(point_seed_sequence(s, i).generate_state(4).tolist())
        for s in edge_seeds
        for i in edge_indices
    }
    assert len(states) == len(edge_seeds) * len(edge_indices)
    many = {point_seed(7, i) for i in range(20_000)}
    assert len(many) == 20_000


@pytest.mark.parametrize(
    ("seed", "index"),
    [(True, 0), (0, False), (2**63, 0), (I64_MIN - 1, 0), (0, -1), (1.0, 0), ("1", 0)],
)
def test_rejects_bad_input(seed: object, index: object) -> None:
    with pytest.raises(ValueError):
        point_seed_sequence(seed, index)  # type: ignore[arg-type]


def _numpy_point_seed(seed: int, index: int) -> int:
    """The definition: the first uint64 of numpy's SeedSequence state, as a signed int64."""
    state = int(point_seed_sequence(seed, index).generate_state(1, np.uint64)[0])
    return state - 2**64 if state > I64_MAX else state


@given(
    seeds,
    st.one_of(st.integers(0, 1000), st.integers(0, 2**32 + 5), indices, st.integers(0, 2**200)),
)
def test_point_seed_equals_numpys_seed_sequence(seed: int, index: int) -> None:
    """point_seed reimplements SeedSequence in plain integers (issue 13): it must equal
    numpy's own generate_state bit for bit, for every seed and index width."""
    assert point_seed(seed, index) == _numpy_point_seed(seed, index)


@pytest.mark.parametrize("seed", [0, 1, -1, I64_MIN, I64_MAX, 2**32 - 1, 2**32, -(2**32)])
def test_point_seed_equals_numpys_at_word_edges(seed: int) -> None:
    for index in [0, 1, 2**32 - 1, 2**32, 2**64 - 1, 2**64, 2**96 + 7]:
        assert point_seed(seed, index) == _numpy_point_seed(seed, index), (seed, index)
