"""The scaling pieces of the simulation that must not change a result (issue 13, item 1).

- The event calendar (`_push`, `_load_slot`): whatever its slot width, the events run in the
  same (time, sequence) order, so the golden corpus comes out the same; one slot holding
  everything is a plain heap, the reference.
- The batch matchers on bare edges (`_hungarian_edges`, `_cheapest_first_lists`) pick what
  the row-list and numpy versions pick, ties included.
- `_idle_near` counts exactly the idle drivers within 2 x match_radius (the k of
  `_nearest_waiting`, which decides which pairs a batch keeps).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from serverless_sweep.core.seeding import point_seed_sequence
from serverless_sweep.models.base import PointContext
from serverless_sweep.models.ride_hailing import PARAMETERS, RideHailingModel
from serverless_sweep.models.ride_hailing import sim as sim_module
from serverless_sweep.models.ride_hailing.grid import berlin_grid
from serverless_sweep.models.ride_hailing.params import RideHailingParams

GOLDEN = json.loads(
    (Path(__file__).parent / "data" / "ride_hailing_golden.json").read_text(encoding="utf-8")
)["cases"]
MODEL = RideHailingModel()


def metrics(case: dict[str, Any]) -> dict[str, Any]:
    row = MODEL.run_point(case["point"], PointContext("golden", 0, case["seed"], case["index"]))
    return {k: v for k, v in row.items() if k not in PARAMETERS}


@pytest.mark.parametrize("slot_s", [0.25, 3.0, 128.0, 1e9])
def test_the_calendar_slot_width_changes_no_result(
    monkeypatch: pytest.MonkeyPatch, slot_s: float
) -> None:
    """Tiny slots (many loads, events pushed into the loaded slot), a width that is not a
    power of two (inexact bounds, the fix-ups in `_push`), long slots, and one slot for the
    whole run (the plain heap)."""
    monkeypatch.setattr(sim_module, "_slot_seconds", lambda n_riders, n_drivers: slot_s)
    cases = [c for c in GOLDEN if c["point"].get("num_riders", 500) <= 600][::3]
    wrong = [json.dumps(c["point"]) for c in cases if metrics(c) != c["metrics"]]
    assert len(cases) > 10 and wrong == []


def test_moot_cancellations_are_dropped_when_their_slot_loads() -> None:
    """Riders picked up long before their patience ran out leave no event behind: the slots
    load fewer events than were pushed, and the metrics still count every rider."""
    params = RideHailingParams(num_riders=400, num_drivers=200, match_radius=4)
    sim = sim_module._Simulation(params, point_seed_sequence(3, 0), berlin_grid())
    loaded = 0
    original = sim._load_slot

    def counting() -> None:
        nonlocal loaded
        before = len(sim.heap)
        original()
        loaded += len(sim.heap) - before

    sim._load_slot = counting  # type: ignore[method-assign]
    m = sim.run()
    pushed = next(sim.seq) - params.num_riders - params.num_drivers
    assert m.completed_riders > 0
    assert 0 < loaded < pushed  # completed riders' cancellations never reached the heap
    assert m.total_riders == m.completed_riders + m.cancelled_riders + m.abandoned_quote_riders


def random_problem(rng: random.Random) -> list[tuple[float, int, int, int]]:
    """Sparse batch edges (cost, row, driver, distance) with many ties: few distinct costs,
    stars, rows with several drivers, chains that join components."""
    rows = rng.randint(1, 40)
    drivers = list(range(rng.randint(1, 25)))
    edges = []
    for row in range(rows):
        for driver in rng.sample(drivers, rng.randint(1, min(4, len(drivers)))):
            d = rng.randint(0, 4)
            cost = rng.choice([0.16, 0.33, 0.66]) * (1 + d) + rng.choice([0.0, 0.0, 0.5])
            edges.append((cost, row * 3 + 7, driver * 5 + 1, d))  # sparse row and driver ids
    rng.shuffle(edges)
    return edges


def test_edge_matchers_pick_what_the_row_list_and_numpy_versions_pick() -> None:
    rng = random.Random(20261201)
    for _ in range(300):
        edges = random_problem(rng)
        # The row-list form: rows as positions 0.. in row order, each row's driver list.
        numbers = sorted({e[1] for e in edges})
        position = {n: k for k, n in enumerate(numbers)}
        by_position = [(c, position[r], driver, d) for c, r, driver, d in edges]
        row_drivers: list[list[int]] = [[] for _ in numbers]
        for _, k, driver, _ in sorted(by_position, key=lambda e: (e[1], e[2])):
            row_drivers[k].append(driver)
        want = [
            (numbers[k], driver, d)
            for k, driver, d in sim_module._hungarian_lists(list(by_position), row_drivers)
        ]
        assert sim_module._hungarian_edges(list(edges)) == want
        row = np.asarray([e[1] for e in by_position], dtype=np.intp)
        driver = np.asarray([e[2] for e in by_position], dtype=np.intp)
        cost = np.asarray([e[0] for e in by_position], dtype=np.float64)
        dist = [e[3] for e in by_position]
        chosen = sim_module._hungarian(row, driver, cost).tolist()
        assert [(numbers[row[e]], int(driver[e]), dist[e]) for e in chosen] == want
        greedy = sim_module._cheapest_first(row, driver, cost).tolist()
        assert sim_module._cheapest_first_lists(list(edges)) == [
            (numbers[row[e]], int(driver[e]), dist[e]) for e in greedy
        ]


@pytest.mark.parametrize("radius", [1, 4, 9])
def test_idle_near_counts_the_idle_drivers_within_twice_the_radius(radius: int) -> None:
    grid = berlin_grid()
    params = RideHailingParams(num_riders=10, num_drivers=400, match_radius=radius)
    sim = sim_module._Simulation(params, point_seed_sequence(5, 0), grid)
    rng = np.random.default_rng(radius)
    # Idle drivers clustered in one part of the city, so the disks hold several of them.
    centre = int(sim.d_cell[0])
    near = np.flatnonzero(grid.distances(centre, np.arange(grid.size)) <= 3 * radius + 2)
    cells = rng.choice(near, size=params.num_drivers)
    for driver, cell in enumerate(cells.tolist()):
        sim.d_cell[driver] = cell
        if driver % 3:  # a third stays busy
            sim.idle[driver] = True
            sim.n_idle += 1
            sim._index_add(sim.idle_in, sim.idle_count, cell, driver)
    assert sim.n_idle > sim_module._FEW_IDLE
    asked = list(range(0, params.num_drivers, 7))
    idle = np.flatnonzero(sim.idle)
    want = [int((grid.distances(int(cells[d]), cells[idle]) <= 2 * radius).sum()) for d in asked]
    assert sim._idle_near(asked) == want
    assert max(want) > 1


def test_the_pending_coverage_limit_follows_the_batch_interval() -> None:
    steps = sim_module._cover_pending_steps
    # A few times the newly idle drivers an interval expects (about one per rider and driver
    # over the request window), in steps of _MAX_COVER_PENDING.
    assert steps(500, 100, 5) == 1
    assert 1 < steps(32_000, 6_400, 5) < steps(64_000, 12_800, 5) <= sim_module._MAX_COVER_STEPS
    per_interval = (64_000 + 12_800) * 5 / 3600
    assert steps(64_000, 12_800, 5) * sim_module._COVER_STEP >= 2.5 * per_interval
    # Long intervals (issue 7's 3,600 s batches) and empty points keep one step.
    assert steps(100_000, 20_000, 3600) == 1
    assert steps(0, 0, 5) == 1


def test_a_longer_pending_list_saves_disk_updates_and_changes_no_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dense enough that a 60 s interval sees more newly idle drivers than one step holds:
    with one step they are flushed early (their disks added, then taken away again when the
    batch matches them), with the scaled limit they wait; the metrics are the same."""
    params = RideHailingParams(
        num_riders=5_000, num_drivers=1_000, batch_interval_secs=60, match_radius=4
    )
    assert sim_module._cover_pending_steps(5_000, 1_000, 60.0) > 1

    def run() -> tuple[dict[str, Any], int]:
        sim = sim_module._Simulation(params, point_seed_sequence(11, 0), berlin_grid())
        updates = 0
        original = sim._cover_add

        def counting(driver: int, pos: int, sign: int) -> None:
            nonlocal updates
            updates += 1
            original(driver, pos, sign)

        sim._cover_add = counting  # type: ignore[method-assign]
        return sim.run().as_dict(), updates

    scaled, scaled_updates = run()
    monkeypatch.setattr(sim_module, "_cover_pending_steps", lambda n_r, n_d, interval: 1)
    fixed, fixed_updates = run()
    assert scaled == fixed
    assert scaled["completed_riders"] > 0
    assert scaled_updates < fixed_updates
