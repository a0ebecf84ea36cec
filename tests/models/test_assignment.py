"""The rectangular assignment solver returns scipy's `linear_sum_assignment` result exactly.

Same algorithm, same order of operations, so equal even where several assignments tie; the
corpus has random, integer (many ties), constant, rectangular both ways, prohibitive-cost and
+inf (forbidden) matrices, like the ones the model builds. scipy is a dev dependency only.
"""

from __future__ import annotations

import numpy as np
import pytest

from serverless_sweep.models.ride_hailing import assignment
from serverless_sweep.models.ride_hailing.assignment import assignment_pairs, linear_sum_assignment

scipy_optimize = pytest.importorskip("scipy.optimize", reason="scipy (dev extra) is the reference")


def corpus() -> list[np.ndarray]:
    rng = np.random.default_rng(20261201)
    problems = []
    for n in range(400):
        nr, nc = (int(x) for x in rng.integers(1, 30, 2))
        kind = n % 6
        if kind == 0:
            c = rng.random((nr, nc))
        elif kind == 1:
            c = rng.integers(0, 4, (nr, nc)).astype(float)
        elif kind == 2:
            c = np.full((nr, nc), 2.5)
        elif kind == 3:  # the model's blocks: feasible costs, a prohibitive `big` elsewhere
            c = rng.integers(1, 6, (nr, nc)) * 0.33
            c[rng.random((nr, nc)) < 0.4] = (c.max() + 1.0) * (min(nr, nc) + 1)
        elif kind == 4:  # forbidden pairs (may be infeasible: scipy raises, so must we)
            c = rng.random((nr, nc)).round(1)
            c[rng.random((nr, nc)) < 0.25] = np.inf
        else:  # wide costs: km + eta_weight x ETA seconds
            km = rng.integers(0, 5, (nr, 1)) * 0.33 + 0.16
            c = km + 0.1 * (km / rng.uniform(20, 60, (1, nc)) * 3600.0)
        problems.append(c)
    problems += [np.zeros((0, 3)), np.zeros((4, 0)), np.array([[np.inf, 1.0], [np.inf, 2.0]])]
    return problems


def solve_or_error(fn, cost: np.ndarray):  # type: ignore[no-untyped-def]
    try:
        rows, cols = fn(cost)
    except ValueError:
        return "infeasible"
    return rows.tolist(), cols.tolist()


@pytest.mark.parametrize("python_max_cells", [10**9, 0], ids=["lists", "numpy"])
def test_matches_scipy_on_the_corpus(
    monkeypatch: pytest.MonkeyPatch, python_max_cells: int
) -> None:
    monkeypatch.setattr(assignment, "_PYTHON_MAX_CELLS", python_max_cells)
    mismatches = []
    for k, cost in enumerate(corpus()):
        want = solve_or_error(scipy_optimize.linear_sum_assignment, cost)
        got = solve_or_error(linear_sum_assignment, cost)
        if got != want:
            mismatches.append((k, cost.shape, want, got))
    assert mismatches == []


def test_list_interface_matches_the_array_one() -> None:
    for cost in corpus():
        if cost.size == 0 or not np.isfinite(cost).all():
            continue
        rows, cols = linear_sum_assignment(cost)
        assert assignment_pairs(cost.tolist()) == list(
            zip(rows.tolist(), cols.tolist(), strict=True)
        )


def test_invalid_input_is_refused_like_scipy() -> None:
    with pytest.raises(ValueError, match="NaN"):
        linear_sum_assignment([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="NaN or -inf"):
        linear_sum_assignment([[-np.inf, 1.0]])
    with pytest.raises(ValueError, match="infeasible"):
        linear_sum_assignment([[np.inf, np.inf], [1.0, 2.0]])
    with pytest.raises(ValueError, match="2-d"):
        linear_sum_assignment([1.0, 2.0])
