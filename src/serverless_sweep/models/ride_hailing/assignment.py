"""Rectangular linear assignment, exact, without scipy.

`linear_sum_assignment(cost)` returns what `scipy.optimize.linear_sum_assignment(cost)` returns
(rows ascending, the column of each), for the same inputs, including ties: it is the same
algorithm, the shortest augmenting path method of Crouse (IEEE TAES 52(4), 2016, pp. 1685-1686)
as scipy implements it, with scipy's order of operations (the reduced cost
`((min_val + c) - u_i) - v_j`, the columns scanned from a list filled in reverse and compacted by
moving the last entry into the hole, ties broken towards an unassigned column, a tall matrix
transposed first), so even the floating-point rounding matches. A test checks it against scipy on
a corpus of random, tied, rectangular (both ways) and forbidden-entry problems.

Why not scipy: it is 90 MB of the Lambda artifact for this one function (issue 8). Two
implementations of the one algorithm: plain Python lists for the small matrices the simulation
produces almost always (a few riders against a few drivers, where numpy's per-call overhead would
dominate), and numpy-vectorised column scans for larger ones. Both give identical results.

`+inf` entries are forbidden pairs; a matrix without a complete assignment of the shorter side
raises ValueError("cost matrix is infeasible"), NaN and -inf raise ValueError, like scipy.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Below this many cells the list implementation is faster than the numpy one.
_PYTHON_MAX_CELLS = 2048
_INF = math.inf


def linear_sum_assignment(cost: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Least-cost assignment of the shorter side of `cost` (rows x columns) to the longer one."""
    matrix = np.asarray(cost, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"expected a matrix (2-d array), got {matrix.ndim} dimensions")
    nr, nc = matrix.shape
    if nr == 0 or nc == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    if np.isnan(matrix).any() or (matrix == -_INF).any():
        raise ValueError("cost matrix contains NaN or -inf entries")
    transpose = nc < nr
    if transpose:
        matrix = matrix.T
        nr, nc = nc, nr
    if nr * nc <= _PYTHON_MAX_CELLS:
        col4row = _solve_lists(matrix.tolist(), nr, nc)
    else:
        col4row = _solve_numpy(np.ascontiguousarray(matrix), nr, nc)
    if col4row is None:
        raise ValueError("cost matrix is infeasible")
    cols = np.asarray(col4row, dtype=np.int64)
    if transpose:
        order = np.argsort(cols, kind="stable")
        return cols[order], order.astype(np.int64)
    return np.arange(nr, dtype=np.int64), cols


def _solve_lists(cost: list[list[float]], nr: int, nc: int) -> list[int] | None:
    """Shortest augmenting paths on Python lists (nr <= nc). None when infeasible."""
    u = [0.0] * nr
    v = [0.0] * nc
    path = [-1] * nc
    col4row = [-1] * nr
    row4col = [-1] * nc
    for cur in range(nr):
        # Dijkstra-like search for the shortest augmenting path from row `cur`.
        spc = [_INF] * nc
        remaining = list(range(nc - 1, -1, -1))
        num = nc
        visited_rows = []
        visited_cols = []
        min_val = 0.0
        i = cur
        sink = -1
        while sink == -1:
            visited_rows.append(i)
            index = -1
            lowest = _INF
            row = cost[i]
            ui = u[i]
            for it in range(num):
                j = remaining[it]
                r = min_val + row[j] - ui - v[j]
                if r < spc[j]:
                    path[j] = i
                    spc[j] = r
                s = spc[j]
                if s < lowest or (s == lowest and row4col[j] == -1):
                    lowest = s
                    index = it
            min_val = lowest
            if min_val == _INF:
                return None
            j = remaining[index]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            visited_cols.append(j)
            num -= 1
            remaining[index] = remaining[num]
        # Dual update.
        u[cur] += min_val
        for i in visited_rows:
            if i != cur:
                u[i] += min_val - spc[col4row[i]]
        for j in visited_cols:
            v[j] -= min_val - spc[j]
        # Augment along the path.
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == cur:
                break
    return col4row


def _solve_numpy(cost: NDArray[np.float64], nr: int, nc: int) -> list[int] | None:
    """The same algorithm with each column scan vectorised (nr <= nc). None when infeasible."""
    u = np.zeros(nr)
    v = np.zeros(nc)
    path = np.full(nc, -1, dtype=np.intp)
    col4row = np.full(nr, -1, dtype=np.intp)
    row4col = np.full(nc, -1, dtype=np.intp)
    spc = np.empty(nc)
    remaining = np.empty(nc, dtype=np.intp)
    for cur in range(nr):
        spc.fill(_INF)
        remaining[:] = np.arange(nc - 1, -1, -1)
        num = nc
        visited_rows = []
        visited_cols = []
        min_val = 0.0
        i = cur
        sink = -1
        while sink == -1:
            visited_rows.append(i)
            rem = remaining[:num]
            r = min_val + cost[i, rem] - u[i] - v[rem]
            better = r < spc[rem]
            if better.any():
                improved = rem[better]
                path[improved] = i
                spc[improved] = r[better]
            s = spc[rem]
            lowest = s.min()
            if lowest == _INF:
                return None
            # Scipy scans in `remaining` order, keeping the first minimum unless a later equal
            # one is an unassigned column: the last unassigned tie, else the first tie.
            ties = s == lowest
            free_ties = np.flatnonzero(ties & (row4col[rem] == -1))
            index = int(free_ties[-1]) if free_ties.size else int(np.argmax(ties))
            min_val = float(s[index])
            j = int(rem[index])
            if row4col[j] == -1:
                sink = j
            else:
                i = int(row4col[j])
            visited_cols.append(j)
            num -= 1
            remaining[index] = remaining[num]
        u[cur] += min_val
        rows = np.asarray([i for i in visited_rows if i != cur], dtype=np.intp)
        if rows.size:
            u[rows] += min_val - spc[col4row[rows]]
        cols = np.asarray(visited_cols, dtype=np.intp)
        v[cols] -= min_val - spc[cols]
        j = sink
        while True:
            i = int(path[j])
            row4col[j] = i
            col4row[i], j = j, int(col4row[i])
            if i == cur:
                break
    result: list[int] = col4row.tolist()
    return result


def assignment_pairs(cost: list[list[float]]) -> list[tuple[int, int]]:
    """`linear_sum_assignment` on a matrix given as Python lists (rows of equal length), as
    (row, column) pairs in row order: the same result without numpy's per-call overhead, for
    the tiny problems a simulation tick usually has. NaN and -inf entries are not checked."""
    nr = len(cost)
    nc = len(cost[0]) if nr else 0
    if nr == 0 or nc == 0:
        return []
    if nc < nr:
        transposed = [list(column) for column in zip(*cost, strict=True)]
        col4row = _solve_lists(transposed, nc, nr)
        if col4row is None:
            raise ValueError("cost matrix is infeasible")
        return sorted((r, c) for c, r in enumerate(col4row))
    col4row = _solve_lists(cost, nr, nc)
    if col4row is None:
        raise ValueError("cost matrix is infeasible")
    return list(enumerate(col4row))


def sparse_assignment_pairs(
    n_rows: int, n_cols: int, fill: float, entries: list[tuple[int, int, float]]
) -> list[tuple[int, int]]:
    """`assignment_pairs` of the n_rows x n_cols matrix whose cells are `fill` (finite)
    except the (row, column, cost) `entries` (a cell given twice takes its last cost),
    without building it: the same pairs, ties included, at a cost that grows with the
    entries rather than the cells (see `sparse_col4row`)."""
    if n_rows == 0 or n_cols == 0:
        return []
    transpose = n_cols < n_rows
    rows: list[dict[int, float]] = [{} for _ in range(n_cols if transpose else n_rows)]
    if transpose:
        for i, j, c in entries:
            rows[j][i] = c
        return sorted((r, c) for c, r in enumerate(sparse_col4row(rows, n_rows, fill)))
    for i, j, c in entries:
        rows[i][j] = c
    return list(enumerate(sparse_col4row(rows, n_cols, fill)))


def sparse_col4row(rows: list[dict[int, float]], nc: int, fill: float) -> list[int]:
    """The column of each row that `_solve_lists` assigns on the len(rows) x nc matrix
    (len(rows) <= nc) whose row i is `fill` (finite) except at the columns of rows[i];
    ValueError when there is no complete assignment of the rows.

    Same algorithm and arithmetic; what changes is the first step of each row's search,
    where the loop would visit every column with `spc` still +inf. Its reduced cost of a
    column is ((0 + cost) - u_cur) - v_j. For the `fill` cells that is one value,
    b = (0 + fill) - u_cur, minus v_j, and v_j is exactly 0.0 (so the value is b) for every
    column whose dual no search has changed yet: only the row's own entries and the changed
    columns are computed one by one. Every reduced cost improves on +inf, so `spc` is that
    list and the path of every column is the row. The column the scan would pick
    (`_first_pick`) follows from the values alone, and when it is free the search ends there
    (its dual update changes only u_cur: v_j -= 0). Later steps (rare in the model's blocks:
    about 1 search in 70) run the scan of `_solve_lists` over rows filled in on demand.
    """
    nr = len(rows)
    u = [0.0] * nr
    v = [0.0] * nc
    path = [-1] * nc
    col4row = [-1] * nr
    row4col = [-1] * nc
    touched: list[int] = []  # the columns whose v is not 0.0
    is_touched = [False] * nc
    dense: dict[int, list[float]] = {}
    for cur in range(nr):
        min_val = 0.0
        ui = u[cur]
        base = min_val + fill - ui
        spc = [base] * nc
        for j in touched:
            spc[j] = base - v[j]
        for j, c in rows[cur].items():
            spc[j] = min_val + c - ui - v[j]
        lowest = min(spc)
        if lowest == _INF:
            raise ValueError("cost matrix is infeasible")
        j = _first_pick(spc, lowest, row4col)
        if row4col[j] == -1:  # a free column: the search ends at its first step
            u[cur] += lowest
            row4col[j] = cur
            col4row[cur] = j
            continue
        path[:] = [cur] * nc
        remaining = list(range(nc - 1, -1, -1))
        num = nc - 1
        remaining[nc - 1 - j] = remaining[num]  # the scan ran over the columns last to first
        visited_rows = [cur]
        visited_cols = [j]
        min_val = lowest
        sink = -1
        i = row4col[j]
        while sink == -1:
            visited_rows.append(i)
            index = -1
            lowest = _INF
            row = dense.get(i)
            if row is None:
                row = dense[i] = [fill] * nc
                for k, c in rows[i].items():
                    row[k] = c
            ui = u[i]
            for it in range(num):
                j = remaining[it]
                r = min_val + row[j] - ui - v[j]
                if r < spc[j]:
                    path[j] = i
                    spc[j] = r
                s = spc[j]
                if s < lowest or (s == lowest and row4col[j] == -1):
                    lowest = s
                    index = it
            min_val = lowest
            if min_val == _INF:
                raise ValueError("cost matrix is infeasible")
            j = remaining[index]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            visited_cols.append(j)
            num -= 1
            remaining[index] = remaining[num]
        # Dual update.
        u[cur] += min_val
        for i in visited_rows:
            if i != cur:
                u[i] += min_val - spc[col4row[i]]
        for j in visited_cols:
            v[j] -= min_val - spc[j]
            if not is_touched[j] and v[j] != 0.0:
                is_touched[j] = True
                touched.append(j)
        # Augment along the path.
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == cur:
                break
    return col4row


def _first_pick(spc: list[float], lowest: float, row4col: list[int]) -> int:
    """The column a search's first scan picks. The scan runs over the columns from the last
    to the first and keeps the first least `spc` unless a later equal one is free (then the
    last such): the lowest-numbered free column of least spc, else the highest-numbered
    column of least spc."""
    j = spc.index(lowest)
    last = j
    while row4col[j] != -1:
        try:
            j = spc.index(lowest, j + 1)
        except ValueError:
            return last
        last = j
    return j
