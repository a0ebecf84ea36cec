"""The discrete-event simulation of one point.

Time is in seconds from 0; events sit in a heapq ordered by (time, insertion sequence), so ties
resolve in a fixed order. Batch ticks (multiples of batch_interval_secs) are not queued: a
tick runs only when something that can create a match happened since the previous one (a rider
started waiting, a driver became idle, an offer was declined). Skipping the other ticks changes
nothing: after a batch no waiting rider is within match_radius of an idle driver (both
batch matchers leave no feasible pair behind), and only those events can create one.

Rules (constants below):

* Riders arrive uniformly over the 1 h request window (a Poisson process conditioned on
  num_riders), pickup cell from the grid's spatial weights, trip length d uniform in 5..60 cells
  and the drop-off drawn (by the same weights) among the cells exactly d away (the largest
  reachable distance below d when the box has none).
* Quote: fare = (base_fare + per_km_rate × trip km) × surge, where surge (when enabled) is
  open requests (riders in the quote loop or waiting for a match, this one included) in the
  surge disk / max(idle drivers in the disk, 1), clipped to [1, surge_max_multiplier]; the
  ETA is the smallest pickup ETA among all idle drivers (inf when none). The rider rejects
  for price when fare > 100, else for ETA when ETA > 10 min, else accepts with probability
  0.8 (rejects "stochastic" otherwise). After a rejection the rider asks again 10 s later;
  the third rejection is an abandonment, classified by its reason.
* Patience: each rider draws 120–2400 s; the clock starts at acceptance and covers the wait for
  a match and for the pickup. A rider still waiting then cancels; a driver already on its way is
  released, idle in the cell it started from.
* Matching (only pairs within match_radius grid cells): `simple` takes the nearest idle driver
  (ties: lowest driver index), `cost_based` the least cost = km + eta_weight × ETA seconds,
  `hungarian` the assignment of least total cost that matches as many riders as possible. In a
  batch, `simple` serves riders first come first served, `cost_based` takes the cheapest
  remaining pair again and again. A driver accepts an offer with
  probability 0.9; in batch mode a declined pair goes back to the pools for the next tick, in
  one-by-one mode the next candidate is offered at once.
* Travel: leg seconds = km / (speed × hourly traffic factor × congestion factor) × 3600, fixed
  at departure. The traffic hour is the UTC hour of epoch_ms + t. Congestion (when enabled) is
  1 / (1 + 0.1 × other online drivers within 5 cells (~1.7 km) of the leg's start cell),
  at least 0.25. A driver's position changes when it arrives.
* End: events after simulation_duration_hours are not processed. Riders still waiting for a
  match or a pickup then count as cancelled (the horizon ended their wait); riders still in the
  quote loop or on board are unresolved and left out of total_riders, so that
  total_riders = completed + cancelled + abandoned_quote always holds.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, fields
from itertools import count
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from serverless_sweep.models.ride_hailing._seeding import child_sequence
from serverless_sweep.models.ride_hailing.grid import (
    KM_PER_CELL,
    SAME_CELL_KM,
    BerlinGrid,
    berlin_grid,
)
from serverless_sweep.models.ride_hailing.params import (
    DRIVER_SPREAD_HOURS,
    REQUEST_WINDOW_HOURS,
    RideHailingParams,
)

MAX_QUOTES = 3
REQUOTE_DELAY_S = 10.0
PRICE_LIMIT = 100.0
ETA_LIMIT_S = 600.0
FAIR_QUOTE_ACCEPT_PROB = 0.8
DRIVER_ACCEPT_PROB = 0.9
PATIENCE_RANGE_S = (120.0, 2400.0)
SPEED_RANGE_KMH = (20.0, 60.0)
TRIP_CELLS_RANGE = (5, 60)
CONGESTION_RADIUS = 5
CONGESTION_PER_VEHICLE = 0.1
CONGESTION_FLOOR = 0.25

# Speed factor per UTC hour of day. "berlin": rush hours 7–9 and 16–19 slowest.
# fmt: off
TRAFFIC_PROFILES: dict[str, tuple[float, ...]] = {
    "none": (1.0,) * 24,
    "berlin": (
        1.0, 1.0, 1.0, 1.0, 1.0, 1.0,  # 00–06
        0.85, 0.6, 0.6, 0.8,  # 06–10: morning rush 7–9
        0.85, 0.85, 0.85, 0.85, 0.85, 0.8,  # 10–16
        0.65, 0.65, 0.65, 0.8,  # 16–20: evening rush 16–19
        0.9, 0.95, 1.0, 1.0,  # 20–24
    ),
}
# fmt: on

# Independent random streams (children of the point's SeedSequence), one per purpose, so that
# changing one parameter does not reshuffle unrelated draws.
_STREAM_RIDER_TIMES = 0
_STREAM_RIDER_CELLS = 1
_STREAM_TRIPS = 2
_STREAM_QUOTES = 3
_STREAM_PATIENCE = 4
_STREAM_DRIVER_TIMES = 5
_STREAM_DRIVER_CELLS = 6
_STREAM_SPEEDS = 7
_STREAM_DRIVER_DECISIONS = 8

# Event kinds.
_QUOTE, _DRIVER_ONLINE, _CANCEL, _PICKUP, _DROPOFF = range(5)
# Rider states.
_QUOTING, _WAITING, _MATCHED, _ONBOARD, _COMPLETED, _CANCELLED, _ABANDONED = range(7)
# Rejection reasons.
_NONE, _PRICE, _ETA, _STOCHASTIC = range(4)

_INF = math.inf


@dataclass(frozen=True, slots=True)
class RideHailingMetrics:
    """The metrics of one point, in column order."""

    total_riders: int
    completed_riders: int
    abandoned_quote_riders: int
    cancelled_riders: int
    conversion_rate: float
    platform_revenue: float
    driver_payouts: float
    total_fares_collected: float
    avg_time_to_match_ms: float
    median_time_to_match_ms: float
    p90_time_to_match_ms: float
    avg_time_to_pickup_ms: float
    median_time_to_pickup_ms: float
    p90_time_to_pickup_ms: float
    completed_trips: int
    riders_abandoned_price: int
    riders_abandoned_eta: int
    riders_abandoned_stochastic: int
    total_drivers: int

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def simulate(
    params: RideHailingParams, rng_seed_sequence: np.random.SeedSequence
) -> RideHailingMetrics:
    """Run one point. Pure: the same params and seed sequence give the same metrics.

    Every random draw comes from children of `rng_seed_sequence` (derived without mutating it),
    normally `serverless_sweep.core.seeding.point_seed_sequence(seed, point_index)`.
    """
    return _Simulation(params, rng_seed_sequence, berlin_grid()).run()


def _rng(seed_sequence: np.random.SeedSequence, stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(child_sequence(seed_sequence, stream)))


class _Uniforms:
    """Uniform [0, 1) draws one at a time, generated in chunks."""

    __slots__ = ("_buffer", "_pos", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buffer: list[float] = []
        self._pos = 0

    def next(self) -> float:
        if self._pos == len(self._buffer):
            self._buffer = self._rng.random(256).tolist()
            self._pos = 0
        value = self._buffer[self._pos]
        self._pos += 1
        return value


def _timing_stats(values_s: list[float]) -> tuple[float, float, float]:
    if not values_s:
        return 0.0, 0.0, 0.0
    ms = np.asarray(values_s, dtype=np.float64) * 1000.0
    return float(ms.mean()), float(np.median(ms)), float(np.percentile(ms, 90))


class _Simulation:
    def __init__(
        self, params: RideHailingParams, seed_sequence: np.random.SeedSequence, grid: BerlinGrid
    ) -> None:
        self.p = params
        self.grid = grid
        self.flat: list[int] = grid.flat.tolist()
        self.km_table: NDArray[np.float64] = (
            np.arange(grid.max_distance + 1, dtype=np.float64) * KM_PER_CELL
        )
        self.km_table[0] = SAME_CELL_KM
        self.end_s = float(params.simulation_duration_hours) * 3600.0
        self.batch = params.batch_matching_enabled
        self.interval = float(params.batch_interval_secs)
        self.radius = params.match_radius
        self.algorithm = params.matching_algorithm_type
        self.eta_weight = params.eta_weight
        self.surge = params.surge_enabled
        self.congestion = params.dynamic_congestion_enabled
        self.hourly = TRAFFIC_PROFILES[params.traffic_profile]
        self.flat_traffic = params.traffic_profile == "none"
        self.epoch_s = (params.epoch_ms % 86_400_000) / 1000.0

        n_r, n_d = params.num_riders, params.num_drivers
        window_s = REQUEST_WINDOW_HOURS * 3600.0
        spread_s = DRIVER_SPREAD_HOURS * 3600.0

        # Riders.
        r_times = np.sort(_rng(seed_sequence, _STREAM_RIDER_TIMES).random(n_r) * window_s)
        cum = grid.cum_weights
        r_cell = np.minimum(
            np.searchsorted(
                cum, _rng(seed_sequence, _STREAM_RIDER_CELLS).random(n_r) * cum[-1], "right"
            ),
            grid.size - 1,
        ).astype(np.intp)
        trip_rng = _rng(seed_sequence, _STREAM_TRIPS)
        trip_len = trip_rng.integers(TRIP_CELLS_RANGE[0], TRIP_CELLS_RANGE[1] + 1, n_r)
        trip_u = trip_rng.random(n_r)
        r_drop = np.empty(n_r, dtype=np.intp)
        weights = grid.weights
        for i in range(n_r):
            cell = int(r_cell[i])
            d = int(trip_len[i])
            cand = grid.ring(cell, d)
            while cand.size == 0:  # no cell exactly d away inside the box
                d -= 1
                cand = grid.ring(cell, d)
            w = np.cumsum(weights[cand])
            r_drop[i] = cand[
                min(int(np.searchsorted(w, trip_u[i] * w[-1], "right")), cand.size - 1)
            ]
        self.r_cell = r_cell
        self.r_cell_list: list[int] = r_cell.tolist()
        self.r_drop_list: list[int] = r_drop.tolist()
        trip_cells = np.maximum(
            np.maximum(
                np.abs(grid.ci[r_cell] - grid.ci[r_drop]), np.abs(grid.cj[r_cell] - grid.cj[r_drop])
            ),
            np.abs(grid.ck[r_cell] - grid.ck[r_drop]),
        )
        self.trip_km: list[float] = self.km_table[trip_cells].tolist()
        self.quote_u: list[list[float]] = (
            _rng(seed_sequence, _STREAM_QUOTES).random((n_r, MAX_QUOTES)).tolist()
        )
        lo, hi = PATIENCE_RANGE_S
        self.patience: list[float] = (
            _rng(seed_sequence, _STREAM_PATIENCE).uniform(lo, hi, n_r).tolist()
        )
        self.state = [_QUOTING] * n_r
        self.reason = [_NONE] * n_r
        self.accept_t = [0.0] * n_r
        self.match_t = [0.0] * n_r
        self.pickup_t = [0.0] * n_r
        self.fare = [0.0] * n_r
        self.r_driver = [-1] * n_r
        self.waiting: dict[int, None] = {}  # acceptance order
        self.r_new = np.zeros(n_r, dtype=bool)  # started waiting since the last batch

        # Drivers.
        d_times = np.sort(_rng(seed_sequence, _STREAM_DRIVER_TIMES).random(n_d) * spread_s)
        self.d_cell = np.minimum(
            np.searchsorted(
                cum, _rng(seed_sequence, _STREAM_DRIVER_CELLS).random(n_d) * cum[-1], "right"
            ),
            grid.size - 1,
        ).astype(np.intp)
        if params.base_speed_kmh is None:
            lo, hi = SPEED_RANGE_KMH
            self.speed = _rng(seed_sequence, _STREAM_SPEEDS).uniform(lo, hi, n_d)
        else:
            self.speed = np.full(n_d, params.base_speed_kmh, dtype=np.float64)
        self.speed_list: list[float] = self.speed.tolist()
        self.idle = np.zeros(n_d, dtype=bool)
        self.d_new = np.zeros(n_d, dtype=bool)  # became idle since the last batch
        self.online = 0
        self.decisions = _Uniforms(_rng(seed_sequence, _STREAM_DRIVER_DECISIONS))

        # Counts on the grid's padded raster (see grid.py): open requests (riders quoting or
        # waiting for a match) and idle drivers per cell (for surge); online drivers within
        # CONGESTION_RADIUS of each cell (for congestion).
        raster = grid.rows * grid.stride
        self.open_count = np.zeros(raster, dtype=np.int64)
        self.idle_count = np.zeros(raster, dtype=np.int64)
        self.density = np.zeros(raster if self.congestion else 0, dtype=np.int64)
        self.density_offsets = grid.flat_offsets(CONGESTION_RADIUS)
        self.surge_offsets = grid.flat_offsets(params.surge_radius_k)

        self.seq = count()
        heap: list[tuple[float, int, int, int, int]] = []
        seq = self.seq
        for i, t in enumerate(r_times.tolist()):
            heap.append((t, next(seq), _QUOTE, i, 0))
        for j, t in enumerate(d_times.tolist()):
            heap.append((t, next(seq), _DRIVER_ONLINE, j, 0))
        heapq.heapify(heap)
        self.heap = heap
        self.pending_tick: float | None = None

    # -- speeds ---------------------------------------------------------------------------

    def _traffic(self, t: float) -> float:
        if self.flat_traffic:
            return 1.0
        return self.hourly[int((self.epoch_s + t) // 3600.0) % 24]

    def _speeds(self, drivers: NDArray[np.intp], t: float) -> NDArray[np.float64]:
        """Effective km/h of these drivers leaving their current cells at time t."""
        speeds = self.speed[drivers] * self._traffic(t)
        if self.congestion:
            others = self.density[self.grid.flat[self.d_cell[drivers]]] - 1
            speeds *= np.maximum(CONGESTION_FLOOR, 1.0 / (1.0 + CONGESTION_PER_VEHICLE * others))
        return speeds

    def _speed(self, driver: int, cell: int, t: float) -> float:
        speed = self.speed_list[driver] * self._traffic(t)
        if self.congestion:
            others = int(self.density[self.flat[cell]]) - 1
            speed *= max(CONGESTION_FLOOR, 1.0 / (1.0 + CONGESTION_PER_VEHICLE * others))
        return speed

    # -- event loop -----------------------------------------------------------------------

    def run(self) -> RideHailingMetrics:
        heap = self.heap
        end = self.end_s
        pop = heapq.heappop
        while True:
            nxt = heap[0][0] if heap else _INF
            tick = self.pending_tick
            if tick is not None and tick < nxt:
                self.pending_tick = None
                if tick <= end:
                    self._batch(tick)
                continue
            if nxt > end:
                break
            t, _, kind, a, b = pop(heap)
            if kind == _QUOTE:
                self._quote(a, b, t)
            elif kind == _DRIVER_ONLINE:
                cell = int(self.d_cell[a])
                if self.congestion:
                    self.density[self.flat[cell] + self.density_offsets] += 1
                self.online += 1
                self._driver_idle(a, cell, t)
            elif kind == _CANCEL:
                self._cancel(a, t)
            elif kind == _PICKUP:
                self._pickup(a, b, t)
            else:
                self._dropoff(a, b, t)
        return self._metrics()

    def _push(self, t: float, kind: int, a: int, b: int) -> None:
        heapq.heappush(self.heap, (t, next(self.seq), kind, a, b))

    def _mark_dirty(self, t: float) -> None:
        """Ask for a batch at the first tick at or after t (no-op when one is pending)."""
        if self.pending_tick is None:
            k = math.ceil(t / self.interval)
            if k * self.interval < t:
                k += 1
            self.pending_tick = k * self.interval

    # -- riders ---------------------------------------------------------------------------

    def _quote(self, rider: int, attempt: int, t: float) -> None:
        p = self.p
        cell = self.r_cell_list[rider]
        if attempt == 0:
            self.open_count[self.flat[cell]] += 1
        multiplier = 1.0
        if self.surge:
            disk = self.flat[cell] + self.surge_offsets
            demand = int(self.open_count[disk].sum())
            supply = max(int(self.idle_count[disk].sum()), 1)
            multiplier = min(p.surge_max_multiplier, max(1.0, demand / supply))
        fare = (p.base_fare + p.per_km_rate * self.trip_km[rider]) * multiplier
        if fare > PRICE_LIMIT:
            reason = _PRICE
        elif self._quote_eta(cell, t) > ETA_LIMIT_S:
            reason = _ETA
        elif self.quote_u[rider][attempt] < FAIR_QUOTE_ACCEPT_PROB:
            self._accept(rider, cell, fare, t)
            return
        else:
            reason = _STOCHASTIC
        if attempt + 1 >= MAX_QUOTES:
            self.state[rider] = _ABANDONED
            self.open_count[self.flat[cell]] -= 1
            self.reason[rider] = reason
        else:
            self._push(t + REQUOTE_DELAY_S, _QUOTE, rider, attempt + 1)

    def _quote_eta(self, cell: int, t: float) -> float:
        drivers = np.flatnonzero(self.idle)
        if drivers.size == 0:
            return _INF
        km = self.km_table[self.grid.distances(cell, self.d_cell[drivers])]
        return float((km / self._speeds(drivers, t)).min()) * 3600.0

    def _accept(self, rider: int, cell: int, fare: float, t: float) -> None:
        self.state[rider] = _WAITING
        self.accept_t[rider] = t
        self.fare[rider] = fare
        self._push(t + self.patience[rider], _CANCEL, rider, 0)
        self.waiting[rider] = None
        if self.batch:
            self.r_new[rider] = True
            self._mark_dirty(t)
        else:
            self._match_rider(rider, cell, t)

    def _cancel(self, rider: int, t: float) -> None:
        state = self.state[rider]
        if state == _WAITING:
            del self.waiting[rider]
            self.open_count[self.flat[self.r_cell_list[rider]]] -= 1
            self.state[rider] = _CANCELLED
        elif state == _MATCHED:
            self.state[rider] = _CANCELLED
            driver = self.r_driver[rider]
            self._driver_idle(driver, int(self.d_cell[driver]), t)

    # -- drivers --------------------------------------------------------------------------

    def _driver_idle(self, driver: int, cell: int, t: float) -> None:
        self.idle[driver] = True
        self.idle_count[self.flat[cell]] += 1
        if self.batch:
            self.d_new[driver] = True
            self._mark_dirty(t)
        else:
            self._match_driver(driver, cell, t)

    def _move(self, driver: int, cell: int) -> None:
        if self.congestion:
            self.density[self.flat[int(self.d_cell[driver])] + self.density_offsets] -= 1
            self.density[self.flat[cell] + self.density_offsets] += 1
        self.d_cell[driver] = cell

    def _pickup(self, driver: int, rider: int, t: float) -> None:
        if self.state[rider] != _MATCHED or self.r_driver[rider] != driver:
            return  # the rider cancelled; the driver was released then
        self.state[rider] = _ONBOARD
        self.pickup_t[rider] = t
        cell = self.r_cell_list[rider]
        self._move(driver, cell)
        leg_s = self.trip_km[rider] / self._speed(driver, cell, t) * 3600.0
        self._push(t + leg_s, _DROPOFF, driver, rider)

    def _dropoff(self, driver: int, rider: int, t: float) -> None:
        self.state[rider] = _COMPLETED
        cell = self.r_drop_list[rider]
        self._move(driver, cell)
        self._driver_idle(driver, cell, t)

    def _assign(self, rider: int, driver: int, km: float, t: float) -> None:
        cell = self.r_cell_list[rider]
        del self.waiting[rider]
        self.open_count[self.flat[cell]] -= 1
        d_cell = int(self.d_cell[driver])
        self.idle[driver] = False
        self.idle_count[self.flat[d_cell]] -= 1
        self.state[rider] = _MATCHED
        self.match_t[rider] = t
        self.r_driver[rider] = driver
        leg_s = km / self._speed(driver, d_cell, t) * 3600.0
        self._push(t + leg_s, _PICKUP, driver, rider)

    # -- matching -------------------------------------------------------------------------

    def _match_rider(self, rider: int, cell: int, t: float) -> None:
        """One-by-one: offer the rider to eligible idle drivers, best first."""
        drivers = np.flatnonzero(self.idle)
        if drivers.size == 0:
            return
        d = self.grid.distances(cell, self.d_cell[drivers])
        ok = d <= self.radius
        if not ok.any():
            return
        drivers = drivers[ok]
        km = self.km_table[d[ok]]
        if self.algorithm == "simple":
            order = np.argsort(d[ok], kind="stable")
        else:
            cost = km + self.eta_weight * (km / self._speeds(drivers, t) * 3600.0)
            order = np.argsort(cost, kind="stable")
        for j in order.tolist():
            if self.decisions.next() < DRIVER_ACCEPT_PROB:
                self._assign(rider, int(drivers[j]), float(km[j]), t)
                return

    def _match_driver(self, driver: int, cell: int, t: float) -> None:
        """One-by-one: offer the newly idle driver the eligible waiting riders, nearest first.

        For a single driver the cost_based cost grows with distance, so both matchers rank
        riders by distance (ties: longest waiting first).
        """
        if not self.waiting:
            return
        riders = np.fromiter(self.waiting, dtype=np.intp, count=len(self.waiting))
        d = self.grid.distances(cell, self.r_cell[riders])
        ok = d <= self.radius
        if not ok.any():
            return
        riders = riders[ok]
        d = d[ok]
        for j in np.argsort(d, kind="stable").tolist():
            if self.decisions.next() < DRIVER_ACCEPT_PROB:
                self._assign(int(riders[j]), driver, float(self.km_table[d[j]]), t)
                return

    def _batch(self, t: float) -> None:
        """Match all waiting riders against all idle drivers at tick t."""
        if not self.waiting:
            return
        drivers = np.flatnonzero(self.idle)
        if drivers.size == 0:
            return
        riders = np.fromiter(self.waiting, dtype=np.intp, count=len(self.waiting))
        # Only pairs with a rider or driver that is new since the last batch can be feasible
        # (the previous batch left no feasible pair behind), so find the candidate riders
        # through the new ones instead of testing every waiting rider against every driver.
        new_riders = self.r_new[riders]
        new_drivers = self.d_new[drivers]
        self.r_new[riders] = False
        self.d_new[drivers] = False
        candidate = np.zeros(riders.size, dtype=bool)
        if new_riders.any():
            candidate[new_riders] = self._feasible(riders[new_riders], drivers).any(axis=1)
        if new_drivers.any():
            candidate |= self._feasible(riders, drivers[new_drivers]).any(axis=1)
        riders = riders[candidate]
        if riders.size == 0:
            return
        feasible = self._feasible(riders, drivers)
        cols = np.flatnonzero(feasible.any(axis=0))
        drivers = drivers[cols]
        ok = feasible[:, cols]
        dist = self.grid.distance_matrix(self.r_cell[riders], self.d_cell[drivers])
        km = self.km_table[dist]
        if self.algorithm == "simple":
            cost = dist.astype(np.float64)
        else:
            eta_s = km / self._speeds(drivers, t)[None, :] * 3600.0
            cost = km + self.eta_weight * eta_s
        if self.algorithm == "hungarian":
            pairs = self._hungarian(cost, ok)
        elif self.algorithm == "cost_based":
            pairs = self._cheapest_first(cost, ok)
        else:
            pairs = self._first_come(cost, ok)
        declined = False
        for r, c in pairs:
            rider, driver = int(riders[r]), int(drivers[c])
            if self.decisions.next() < DRIVER_ACCEPT_PROB:
                self._assign(rider, driver, float(km[r, c]), t)
            else:  # both go back to the pools, for the next tick
                declined = True
                self.r_new[rider] = True
                self.d_new[driver] = True
        if declined:
            self._mark_dirty(t + self.interval)

    def _feasible(self, riders: NDArray[np.intp], drivers: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Which rider-driver pairs are within match_radius (rows: riders)."""
        r_cells = self.r_cell[riders]
        d_cells = self.d_cell[drivers]
        if self.radius == 0:
            same: NDArray[np.bool_] = r_cells[:, None] == d_cells[None, :]
            return same
        near: NDArray[np.bool_] = self.grid.distance_matrix(r_cells, d_cells) <= self.radius
        return near

    @staticmethod
    def _cheapest_first(cost: NDArray[np.float64], ok: NDArray[np.bool_]) -> list[tuple[int, int]]:
        """Greedy: the cheapest feasible pair of still-free rider and driver, repeatedly."""
        n_cols = cost.shape[1]
        flat = np.flatnonzero(ok)
        order = flat[np.argsort(cost.ravel()[flat], kind="stable")]
        rows_taken: set[int] = set()
        cols_taken: set[int] = set()
        pairs = []
        limit = min(cost.shape)
        for index in order.tolist():
            r, c = divmod(index, n_cols)
            if r in rows_taken or c in cols_taken:
                continue
            pairs.append((r, c))
            rows_taken.add(r)
            cols_taken.add(c)
            if len(pairs) == limit:
                break
        pairs.sort()
        return pairs

    @staticmethod
    def _first_come(cost: NDArray[np.float64], ok: NDArray[np.bool_]) -> list[tuple[int, int]]:
        """Riders in acceptance order each take their cheapest still-free feasible driver."""
        cost = np.where(ok, cost, _INF)
        pairs = []
        for r in range(cost.shape[0]):
            c = int(np.argmin(cost[r]))
            if cost[r, c] < _INF:
                pairs.append((r, c))
                cost[:, c] = _INF
        return pairs

    @staticmethod
    def _hungarian(cost: NDArray[np.float64], ok: NDArray[np.bool_]) -> list[tuple[int, int]]:
        """Least total cost among the assignments with the most feasible pairs."""
        top = float(cost[ok].max())
        big = (top + 1.0) * (min(cost.shape) + 1)
        if not math.isfinite(big) or big > 1e15:  # absurd eta_weight: keep the arithmetic sane
            cost = np.minimum(cost, 1e12)
            big = 1e12 * (min(cost.shape) + 1)
        rows, cols = linear_sum_assignment(np.where(ok, cost, big))
        return [(r, c) for r, c in zip(rows.tolist(), cols.tolist(), strict=True) if ok[r, c]]

    # -- metrics --------------------------------------------------------------------------

    def _metrics(self) -> RideHailingMetrics:
        completed = cancelled = 0
        abandoned = [0, 0, 0, 0]
        fares: list[float] = []
        to_match: list[float] = []
        to_pickup: list[float] = []
        for rider, state in enumerate(self.state):
            if state == _COMPLETED:
                completed += 1
                fares.append(self.fare[rider])
                to_match.append(self.match_t[rider] - self.accept_t[rider])
                to_pickup.append(self.pickup_t[rider] - self.match_t[rider])
            elif state in (_CANCELLED, _WAITING, _MATCHED):
                cancelled += 1
            elif state == _ABANDONED:
                abandoned[self.reason[rider]] += 1
        abandoned_total = sum(abandoned)
        total = completed + cancelled + abandoned_total
        rate = self.p.commission_rate
        total_fares = math.fsum(fares)
        revenue = math.fsum(f * rate for f in fares)
        payouts = math.fsum(f - f * rate for f in fares)
        avg_m, med_m, p90_m = _timing_stats(to_match)
        avg_p, med_p, p90_p = _timing_stats(to_pickup)
        return RideHailingMetrics(
            total_riders=total,
            completed_riders=completed,
            abandoned_quote_riders=abandoned_total,
            cancelled_riders=cancelled,
            conversion_rate=completed / total if total else 0.0,
            platform_revenue=revenue,
            driver_payouts=payouts,
            total_fares_collected=total_fares,
            avg_time_to_match_ms=avg_m,
            median_time_to_match_ms=med_m,
            p90_time_to_match_ms=p90_m,
            avg_time_to_pickup_ms=avg_p,
            median_time_to_pickup_ms=med_p,
            p90_time_to_pickup_ms=p90_p,
            completed_trips=completed,
            riders_abandoned_price=abandoned[_PRICE],
            riders_abandoned_eta=abandoned[_ETA],
            riders_abandoned_stochastic=abandoned[_STOCHASTIC],
            total_drivers=self.online,
        )
