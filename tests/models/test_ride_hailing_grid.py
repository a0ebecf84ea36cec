"""The Berlin H3 grid of the ride_hailing model."""

from __future__ import annotations

import h3
import numpy as np

from serverless_sweep.models.ride_hailing.grid import (
    KM_PER_CELL,
    LAT_MAX,
    LAT_MIN,
    LNG_MAX,
    LNG_MIN,
    RESOLUTION,
    berlin_grid,
    hex_offsets,
)

GRID = berlin_grid()


def test_cells_cover_the_box_at_the_documented_resolution() -> None:
    assert GRID.size == 18556
    assert berlin_grid() is GRID
    for cell in GRID.cells[::997]:
        assert h3.get_resolution(cell) == RESOLUTION
        lat, lng = h3.cell_to_latlng(cell)
        assert LAT_MIN <= lat <= LAT_MAX and LNG_MIN <= lng <= LNG_MAX


def test_distances_equal_h3_grid_distance() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, GRID.size, 400)
    b = rng.integers(0, GRID.size, 400)
    matrix = GRID.distance_matrix(a[:20], b[:20])
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        expected = h3.grid_distance(GRID.cells[x], GRID.cells[y])
        assert GRID.distance(x, y) == expected
        assert GRID.distances(x, np.array([y]))[0] == expected
    for i in range(20):
        for j in range(20):
            assert matrix[i, j] == h3.grid_distance(GRID.cells[a[i]], GRID.cells[b[j]])


def test_rings_and_disks_match_h3() -> None:
    inside = set(GRID.cells)
    for cell in (0, GRID.size // 2, GRID.size - 1, 9000):
        origin = GRID.cells[cell]
        for radius in (0, 1, 5, 60):
            ring = {GRID.cells[c] for c in GRID.ring(cell, radius).tolist()}
            assert ring == set(h3.grid_ring(origin, radius)) & inside
        disk = {GRID.cells[c] for c in GRID.disk(cell, 3).tolist()}
        assert disk == set(h3.grid_disk(origin, 3)) & inside


def test_hex_offsets_count() -> None:
    for radius in range(0, 12):
        assert len(hex_offsets(radius)[0]) == 3 * radius * (radius + 1) + 1
        assert len(hex_offsets(radius, True)[0]) == (6 * radius if radius else 1)


def test_km_per_cell_is_the_neighbour_spacing() -> None:
    spacing = []
    for cell in range(0, GRID.size, 101):
        for other in GRID.ring(cell, 1).tolist():
            spacing.append(
                h3.great_circle_distance(GRID.latlng[cell], GRID.latlng[other], unit="km")
            )
    assert abs(np.mean(spacing) - KM_PER_CELL) < 0.01


def test_spawn_weights_favour_the_centre() -> None:
    assert np.isclose(GRID.weights.sum(), 1.0)
    centre = int(np.argmax(GRID.weights))
    lat, lng = GRID.latlng[centre]
    assert abs(lat - 52.52) < 0.02 and abs(lng - 13.405) < 0.03
    assert GRID.weights.max() > 5 * GRID.weights.min()
