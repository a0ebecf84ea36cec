"""The sparse block solver (`sparse_assignment_pairs`, issue 13) returns what the dense list
solver returns on the matrix it stands for, ties included.

The dense solver (`assignment_pairs`) is itself checked against scipy in test_assignment.py;
here it is the reference, so these tests need no scipy. The corpus is shaped like the model's
Hungarian blocks: a prohibitive `fill` everywhere except a few feasible pairs per row, costs
from a handful of values (many ties), both orientations, rows without any feasible pair,
columns wanted by several rows (searches longer than their first step), a cell given twice.
"""

from __future__ import annotations

import random

from serverless_sweep.models.ride_hailing.assignment import (
    assignment_pairs,
    sparse_assignment_pairs,
)


def dense(n_rows: int, n_cols: int, fill: float, entries: list[tuple[int, int, float]]):  # type: ignore[no-untyped-def]
    matrix = [[fill] * n_cols for _ in range(n_rows)]
    for i, j, c in entries:
        matrix[i][j] = c
    return matrix


def random_block(rng: random.Random) -> tuple[int, int, float, list[tuple[int, int, float]]]:
    n_rows, n_cols = rng.randint(1, 30), rng.randint(1, 30)
    if rng.random() < 0.5:  # the model's usual shape: many riders, few drivers
        n_cols = rng.randint(1, 6)
    density = rng.choice([0.05, 0.15, 0.4, 1.0])
    values = [0.16, 0.33, 0.66, 0.99] if rng.random() < 0.7 else None
    entries = []
    for i in range(n_rows):
        for j in range(n_cols):
            if rng.random() < density:
                c = rng.choice(values) * rng.randint(1, 3) if values else rng.random() * 5.0
                entries.append((i, j, c))
    if entries and rng.random() < 0.2:  # a cell given twice: the last cost counts
        i, j, _ = rng.choice(entries)
        entries.append((i, j, 0.5))
    top = max((c for _, _, c in entries), default=0.0)
    fill = (top + 1.0) * (min(n_rows, n_cols) + 1)
    return n_rows, n_cols, fill, entries


def test_sparse_pairs_equal_the_dense_solvers_on_model_like_blocks() -> None:
    rng = random.Random(20261201)
    for _ in range(1500):
        n_rows, n_cols, fill, entries = random_block(rng)
        want = assignment_pairs(dense(n_rows, n_cols, fill, entries))
        assert sparse_assignment_pairs(n_rows, n_cols, fill, entries) == want, (
            n_rows,
            n_cols,
            entries,
        )


def test_a_contested_column_is_resolved_by_augmenting() -> None:
    # Both rows prefer column 0; the optimum moves row 0 to column 1 (cost 3, not 101).
    entries = [(0, 0, 1.0), (0, 1, 2.0), (1, 0, 1.0), (1, 1, 100.0)]
    assert sparse_assignment_pairs(2, 2, 1000.0, entries) == [(0, 1), (1, 0)]
    assert assignment_pairs(dense(2, 2, 1000.0, entries)) == [(0, 1), (1, 0)]
    # Transposed (more rows than columns): the rows compete for one column, the cheaper wins.
    tall = [(0, 0, 5.0), (1, 0, 2.0), (2, 0, 2.0)]
    assert sparse_assignment_pairs(3, 1, 100.0, tall) == assignment_pairs(dense(3, 1, 100.0, tall))


def test_empty_sides_give_no_pairs() -> None:
    assert sparse_assignment_pairs(0, 4, 1.0, []) == []
    assert sparse_assignment_pairs(3, 0, 1.0, []) == []
