"""The Berlin H3 grid, built once per process.

Resolution 8: hexagons of about 0.74 km², whose neighbouring centres are ~0.87 km apart in
Berlin. The bounding box lat 52.34–52.68, lng 13.08–13.76 holds 2,651 such cells (every cell
whose centre lies inside the box), all on one icosahedron face, so H3 local IJ coordinates
against one anchor are exact. In those coordinates the grid distance of two cells is
max(|Δi|, |Δj|, |Δi − Δj|); the cell-by-cell distance matrix is precomputed as int8 (~7 MB) and
equals `h3.grid_distance` for every pair (checked in the tests on a sample).

Distances in km: a route of d ≥ 1 cells is driven as d steps of `KM_PER_CELL` (the mean
distance between neighbouring centres: a zig-zag path, standing in for the road detour); a
pickup inside the same cell is `SAME_CELL_KM` (the mean distance of two random points in a
hexagon of this size).

Where people are: pickups and driver start cells follow a fixed spatial weight per cell, 70 %
a Gaussian around Berlin-Mitte (σ = 5 km) and 30 % uniform over the box.
"""

from __future__ import annotations

import math
from functools import cache

import h3
import numpy as np
from numpy.typing import NDArray

RESOLUTION = 8
LAT_MIN, LAT_MAX = 52.34, 52.68
LNG_MIN, LNG_MAX = 13.08, 13.76
KM_PER_CELL = 0.872
SAME_CELL_KM = 0.44
HOTSPOT_LATLNG = (52.5200, 13.4050)
HOTSPOT_SIGMA_KM = 5.0
HOTSPOT_SHARE = 0.7
_ANCHOR_LATLNG = (52.51, 13.42)
_KM_PER_DEG_LAT = 111.2


class BerlinGrid:
    """Cells of the box, their distance matrix and spawn weights (read-only after build)."""

    def __init__(self) -> None:
        box = h3.LatLngPoly(
            [(LAT_MIN, LNG_MIN), (LAT_MIN, LNG_MAX), (LAT_MAX, LNG_MAX), (LAT_MAX, LNG_MIN)]
        )
        cells = sorted(h3.h3shape_to_cells(box, RESOLUTION))
        self.cells: tuple[str, ...] = tuple(cells)
        self.size = len(cells)
        self.index: dict[str, int] = {c: i for i, c in enumerate(cells)}

        anchor = h3.latlng_to_cell(*_ANCHOR_LATLNG, RESOLUTION)
        ij = np.array([h3.cell_to_local_ij(anchor, c) for c in cells], dtype=np.int16)
        i = ij[:, 0] - ij[:, 0].min()
        j = ij[:, 1] - ij[:, 1].min()
        k = i - j
        dist = np.abs(np.subtract.outer(i, i))
        np.maximum(dist, np.abs(np.subtract.outer(j, j)), out=dist)
        np.maximum(dist, np.abs(np.subtract.outer(k, k)), out=dist)
        if int(dist.max()) > 127:  # pragma: no cover - a fact of this box, checked once
            raise RuntimeError("grid distances do not fit int8")
        self.dist: NDArray[np.int8] = dist.astype(np.int8)
        self.dist.setflags(write=False)
        self.max_distance = int(dist.max())

        latlng = np.array([h3.cell_to_latlng(c) for c in cells], dtype=np.float64)
        self.latlng: NDArray[np.float64] = latlng
        dy = (latlng[:, 0] - HOTSPOT_LATLNG[0]) * _KM_PER_DEG_LAT
        dx = (
            (latlng[:, 1] - HOTSPOT_LATLNG[1])
            * _KM_PER_DEG_LAT
            * math.cos(math.radians(HOTSPOT_LATLNG[0]))
        )
        gauss = np.exp(-(dx * dx + dy * dy) / (2.0 * HOTSPOT_SIGMA_KM**2))
        weights = HOTSPOT_SHARE * gauss / gauss.sum() + (1.0 - HOTSPOT_SHARE) / self.size
        self.weights: NDArray[np.float64] = weights / weights.sum()
        self.cum_weights: NDArray[np.float64] = np.cumsum(self.weights)

        # Disk-1 neighbourhood of each cell (itself + up to 6 neighbours inside the box),
        # padded with the sentinel index `size` (per-cell count arrays carry a 0 there).
        nb = np.full((self.size, 7), self.size, dtype=np.intp)
        for c in range(self.size):
            row = np.flatnonzero(self.dist[c] <= 1)
            nb[c, : row.size] = row
        self.neighbours: NDArray[np.intp] = nb

        self._disks: dict[tuple[int, int], NDArray[np.intp]] = {}
        self._rings: dict[int, tuple[NDArray[np.intp], NDArray[np.intp]]] = {}

    def disk(self, cell: int, k: int) -> NDArray[np.intp]:
        """Indices of the cells within grid distance k of cell (cached)."""
        key = (cell, k)
        found = self._disks.get(key)
        if found is None:
            found = np.flatnonzero(self.dist[cell] <= k)
            self._disks[key] = found
        return found

    def rings(self, cell: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Cells ordered by distance from cell, and where each distance starts (cached).

        `order[starts[d]:starts[d + 1]]` are the cells at distance exactly d.
        """
        found = self._rings.get(cell)
        if found is None:
            row = self.dist[cell]
            order = np.argsort(row, kind="stable").astype(np.intp)
            starts = np.searchsorted(row[order], np.arange(self.max_distance + 2), side="left")
            found = (order, starts.astype(np.intp))
            self._rings[cell] = found
        return found


@cache
def berlin_grid() -> BerlinGrid:
    """The process-wide grid (built on first use, ~0.1 s)."""
    return BerlinGrid()
