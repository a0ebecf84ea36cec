"""The discrete-event simulation of one point.

Time is in seconds from 0; events run in (time, insertion sequence) order, so ties resolve in a
fixed order (a calendar of time slots holds them, see `_push`). Batch ticks (multiples of
batch_interval_secs) are not queued: a tick runs only when something that can create a match
happened since the previous one (a rider started waiting, a driver became idle, an offer was
declined). Skipping the other ticks changes nothing: after a batch no waiting rider is within
match_radius of an idle driver (both batch matchers leave no feasible pair behind), and only
those events can create one.

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

Cost and memory (issue 13, issue 7). Nothing scans all riders or all drivers per event: idle
drivers and waiting riders are indexed per cell (see "spatial index" in `_Simulation`), a
quote's ETA check reads one count (each idle driver covers the cells it reaches within
ETA_LIMIT_S; with congestion, a search bounded by the fastest driver's reach), a match looks
at the rings within match_radius, and a batch builds a sparse problem (feasible pairs
only) that is solved per connected component; set-up is vectorised. A point therefore costs
about linear time in riders and drivers at a given density of the city. The size ladder of
bench/bench_model.py raises the density too (more riders and drivers on the same map), and
there the candidate pairs per match grow with it: at 64k x 12.8k a batch problem has about
2.9 times the feasible pairs of 32k x 6.4k, and its Hungarian blocks 5 times the cells, for
twice the events. What keeps the per-event part small (issue 13): the arrivals are not queued
(a merged sorted list), the events in flight wait in a calendar whose current slot is a heap
of a few dozen (`_push`; one heap of them all grew to 24,000 entries at 64k x 12.8k, most of
them moot cancellations, and its pops took a tenth of the time), a newly idle driver's
coverage disk waits for the batch (most are matched there, see `_cover_idle`; the pending
list holds a few times an interval's newly idle drivers, `_cover_pending_steps`), and the
per-rider state is compact (bytes, machine ints and doubles; shared int and float objects):
a 64k x 12.8k point grows the process by about 30 MB instead of 51 MB with lists of fresh
objects, which no longer fit the caches. What keeps the per-batch part small: the problem of
the cost-ranked matchers is built straight as edges (`_sparse_edges`), each new driver's k
is counted for the whole batch at once (`_idle_near`), a new driver's last ring ranks only
the first riders of each cell, and the Hungarian components are found on the drivers, the
stars (one driver and its riders) taking their least edge without a block; the blocks are
solved sparsely (`sparse_col4row`: the exact solver's steps, at a cost that grows with a
block's edges rather than its cells).
Memory of a point: the per-rider and per-driver state (measured: 100,000 riders and 20,000
drivers, the largest valid sizes, peak at about 100-115 MB RSS with the interpreter, numpy
and the grid, by bench/bench_model.py --city), plus one batch problem, bounded whatever
match_radius and batch_interval_secs are: at most MAX_PIECE_PAIRS feasible pairs at a time
(about 120 bytes each) and dense assignment blocks of at most MAX_DENSE_CELLS cells (about 24
bytes each), about 110 MB together. Hence
POINT_MEMORY_BOUND_MB, well inside the child function's 1,769 MB; a test runs issue 7's
request (100k x 20k, Hungarian, 3,600 s batches; 22.4 GB before) and checks it. A batch larger
than one piece is matched piece by piece (riders in acceptance order), which for cost_based and
hungarian is no longer the global optimum of that batch; such batches did not fit in memory
before, and every point the tests pin stays in one piece.

Results are the dense implementation's (commit 833a1f1), bit for bit, for the simple and
cost_based matchers and one-by-one mode. For hungarian they are the same whenever a batch has
one optimal assignment; where several assignments tie on total cost, the solver may return
another of them (see `_hungarian`), so the numbers move while the assignment's size and cost
stay the same (checked batch by batch against scipy on the dense problem while developing).
"""

from __future__ import annotations

import heapq
import math
from array import array
from dataclasses import dataclass, fields
from itertools import chain, count
from typing import Any

import numpy as np
from numpy.typing import NDArray

from serverless_sweep.models.ride_hailing._seeding import child_sequence
from serverless_sweep.models.ride_hailing.assignment import (
    linear_sum_assignment,
    sparse_col4row,
)
from serverless_sweep.models.ride_hailing.grid import (
    KM_PER_CELL,
    PAD,
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

# Memory bounds of a batch (see "Cost and memory" above).
MAX_PIECE_PAIRS = 1 << 19
MAX_DENSE_CELLS = 1 << 21
# Peak memory (RSS, interpreter and libraries included) of any valid point, documented and
# checked by a test on the largest request (tests/models/test_ride_hailing_scaling.py).
POINT_MEMORY_BOUND_MB = 512
# The quote's ETA search: rings up to _ETA_NEAR_RADIUS in Python, the rest with one numpy
# gather.
_ETA_NEAR_RADIUS = 3
# Below these sizes plain Python beats numpy's per-call overhead: disks of match_radius
# (cells), batch problems (feasible pairs).
_PYTHON_MAX_DISK = 400
_PYTHON_MAX_PAIRS = 256
_PYTHON_MAX_BLOCK_PAIRS = 512
# `_match_edges` (hungarian, cost_based): up to this many edges its Python lists beat numpy
# (measured at 64k x 12.8k: 1.3 ms against 1.7 ms for 256-512 edges, and still ahead at 4,096).
_PYTHON_MAX_EDGES = 4096
# At most this many newly idle drivers (times the point's `_cover_pending_steps`) wait for the
# batch before their coverage disks are added.
_MAX_COVER_PENDING = 64
# Newly idle drivers expected per batch interval, times this, is what the pending list should
# hold without an early flush (peaks above the mean); at most _MAX_COVER_STEPS steps of
# _COVER_STEP drivers, else (long batch intervals) one step.
_COVER_PEAK_FACTOR = 3.0
_COVER_STEP = 64
_MAX_COVER_STEPS = 8
# With at most this many idle drivers, a new driver's k (see `_nearest_waiting`) is their count.
_FEW_IDLE = 16
# `_idle_near` gathers the disks of at most this many drivers at a time (bounded memory).
_IDLE_NEAR_CHUNK = 256

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
    params: RideHailingParams,
    rng_seed_sequence: np.random.SeedSequence,
    recorder: Any = None,
) -> RideHailingMetrics:
    """Run one point. Pure: the same params and seed sequence give the same metrics.

    Every random draw comes from children of `rng_seed_sequence` (derived without mutating it),
    normally `serverless_sweep.core.seeding.point_seed_sequence(seed, point_index)`.
    `recorder` (issue 11's detail datasets, `detail.DetailRecorder`): told of every quote and
    drop-off and shown the simulation before and after the run; it never changes a draw or an
    event, so the metrics are the same with or without it.
    """
    sim = _Simulation(params, rng_seed_sequence, berlin_grid())
    sim.recorder = recorder  # an instance attribute: its test is ~3x cheaper than the class's
    if recorder is None:
        return sim.run()
    recorder.start(sim)
    metrics = sim.run()
    recorder.finish(sim)
    return metrics


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
    recorder: Any = None  # see `simulate`; None costs one attribute test per quote and drop-off

    def __init__(
        self, params: RideHailingParams, seed_sequence: np.random.SeedSequence, grid: BerlinGrid
    ) -> None:
        self.p = params
        self.grid = grid
        self.flat = grid.flat_list
        self.km_table: NDArray[np.float64] = (
            np.arange(grid.max_distance + 1, dtype=np.float64) * KM_PER_CELL
        )
        self.km_table[0] = SAME_CELL_KM
        self.km_list: list[float] = self.km_table.tolist()
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
        r_drop = _dropoff_cells(grid, r_cell, trip_len, trip_u)
        self.r_cell = r_cell
        # Per-rider lists hold references to objects shared by all riders (one int per cell,
        # one float per trip length) rather than a fresh object per rider: at 64k riders the
        # per-rider state otherwise outgrows the caches, and every event pays for it.
        cell_id = grid.cell_ids
        self.r_cell_list: list[int] = list(map(cell_id.__getitem__, r_cell.tolist()))
        self.r_drop_list: list[int] = list(map(cell_id.__getitem__, r_drop.tolist()))
        trip_cells = np.maximum(
            np.maximum(
                np.abs(grid.ci[r_cell] - grid.ci[r_drop]), np.abs(grid.cj[r_cell] - grid.cj[r_drop])
            ),
            np.abs(grid.ck[r_cell] - grid.ck[r_drop]),
        )
        self.trip_km: list[float] = list(map(self.km_list.__getitem__, trip_cells.tolist()))
        # The quote decisions: bit a of quote_fair[rider] is whether the rider's uniform draw
        # for attempt a is below FAIR_QUOTE_ACCEPT_PROB (the same float comparison, done once
        # in numpy; small ints, no per-rider list of floats).
        quote_u = _rng(seed_sequence, _STREAM_QUOTES).random((n_r, MAX_QUOTES))
        fair = quote_u < FAIR_QUOTE_ACCEPT_PROB
        bits = fair.astype(np.int64) << np.arange(MAX_QUOTES, dtype=np.int64)
        self.quote_fair: list[int] = bits.sum(axis=1).tolist()
        lo, hi = PATIENCE_RANGE_S
        self.patience: list[float] = (
            _rng(seed_sequence, _STREAM_PATIENCE).uniform(lo, hi, n_r).tolist()
        )
        # Compact per-rider state (bytes, machine ints and doubles side by side instead of
        # lists of pointers to objects scattered over the heap): the same values, a fraction of
        # the memory, and an event touches a few cache lines instead of a dozen.
        self.state = bytearray(n_r)  # _QUOTING == 0
        self.reason = bytearray(n_r)  # _NONE == 0
        self.accept_t = array("d", bytes(8 * n_r))
        self.match_t = array("d", bytes(8 * n_r))
        self.pickup_t = array("d", bytes(8 * n_r))
        self.fare = array("d", bytes(8 * n_r))
        self.r_driver = array("l", [-1]) * n_r
        self.accept_seq = array("l", bytes(array("l").itemsize * n_r))  # acceptance order
        self.accepted = 0
        self.rider_of = array("l")  # acceptance number -> rider
        self.waiting: dict[int, None] = {}  # acceptance order
        self.r_new: set[int] = set()  # started waiting since the last batch

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
        self.speed_max = float(self.speed.max()) if n_d else 0.0
        self.idle = np.zeros(n_d, dtype=bool)
        self.n_idle = 0
        self.d_new: set[int] = set()  # became idle since the last batch
        self.online = 0
        self.decisions = _Uniforms(_rng(seed_sequence, _STREAM_DRIVER_DECISIONS))

        # Counts on the grid's padded raster (see grid.py): open requests (riders quoting or
        # waiting for a match), waiting riders and idle drivers per cell; online drivers within
        # CONGESTION_RADIUS of each cell (for congestion). With the members of each cell
        # (`idle_in`, `wait_in`: raster position -> members) they are the spatial index: a
        # search gathers the counts of a disk and looks only at the cells that have members.
        raster = grid.rows * grid.stride
        self.open_count = np.zeros(raster, dtype=np.int64)
        self.idle_count = np.zeros(raster, dtype=np.int64)
        self.wait_count = np.zeros(raster, dtype=np.int64)
        self.idle_in: dict[int, list[int]] = {}
        self.wait_in: dict[int, list[int]] = {}
        self.density = np.zeros(raster if self.congestion else 0, dtype=np.int64)
        self.density_offsets = grid.flat_offsets(CONGESTION_RADIUS)
        self.surge_offsets = grid.flat_offsets(params.surge_radius_k)
        self.match_offsets, self.match_dist = grid.disk_by_ring(self.radius)
        self.match_dist_list: list[int] = self.match_dist.tolist()
        self.match_small = self.match_offsets.size <= _PYTHON_MAX_DISK
        self.match_pairs: list[tuple[int, int]] = list(
            zip(self.match_offsets.tolist(), self.match_dist_list, strict=True)
        )
        self.match_rings: list[list[int]] = [
            grid.flat_offsets(d, ring_only=True).tolist() for d in range(self.radius + 1)
        ]
        near_offsets, near_dist = grid.disk_by_ring(_ETA_NEAR_RADIUS)
        self.eta_near: list[tuple[int, int]] = list(
            zip(near_offsets.tolist(), near_dist.tolist(), strict=True)
        )

        # Coverage counts for the quote's ETA check (see `_cover_radii`).
        self.cover: NDArray[np.int64] | None = None
        self.cover_factor = self._traffic(0.0)
        self.cover_reach: list[int] = []
        self.cover_radius: list[int] = []
        # After the last possible quote (the last arrival's last requote) nobody reads them.
        self.last_quote_t = (float(r_times[-1]) if n_r else 0.0) + MAX_QUOTES * REQUOTE_DELAY_S
        if not self.congestion:
            radii = self._cover_radii(self.cover_factor)
            if radii is not None:
                self.cover = np.zeros(raster, dtype=np.int64)
                self.cover_reach = radii
                self.cover_radius = [-1] * n_d
        self.cover2d = (self.cover if self.cover is not None else np.zeros(0, np.int64)).reshape(
            -1, grid.stride
        )
        self.disk_masks: dict[int, NDArray[np.int64]] = {}
        # Driver -> the bounds of its disk on the cube coordinates (see `_cover_idle`).
        self.cover_pending: dict[int, tuple[int, int, int, int, int, int]] = {}
        self.cover_limit = _MAX_COVER_PENDING * _cover_pending_steps(n_r, n_d, self.interval)
        self.ci = grid.ci_list
        self.cj = grid.cj_list
        self.ck = grid.ck_list

        # Events: the arrivals (every rider's first quote, every driver going online) are
        # known in advance and already sorted, so they are not queued: they wait in one merged
        # list, ordered by (time, rider before driver, index), the order their insertion
        # sequence numbers gave them in the heap before. The heap holds only the events the
        # simulation creates (sequence numbers after every arrival's), so a heap entry and an
        # arrival at the same time run arrival first, as they did. The heap stays the size of
        # the events in flight instead of every rider and driver of the point.
        self.driver_online_t: NDArray[np.float64] = d_times  # sorted; for observers (issue 11)
        times = np.concatenate((r_times, d_times))
        order = np.argsort(times, kind="stable")
        self.arrival_t: list[float] = times[order].tolist()
        self.arrival_id: list[int] = order.tolist()  # < n_r: a rider; else n_r + driver
        self.seq = count(n_r + n_d)
        # The events the simulation creates wait in a calendar (see `_push`): time slots of
        # slot_s seconds, the current one a small heap, the later ones unordered lists.
        self.slot_s = _slot_seconds(n_r, n_d)
        self.heap: list[tuple[float, int, int, int, int]] = []  # the loaded slots' events
        self.slots: dict[int, list[tuple[float, int, int, int, int]]] = {}
        self.slot_ids: list[int] = []  # heap of the keys of `slots`
        self.loaded = -1  # the slots up to this one are in `heap`
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
        return self._speed_at(driver, self.flat[cell], t)

    def _speed_at(self, driver: int, pos: int, t: float) -> float:
        """Effective km/h of a driver leaving raster position pos (its cell) at time t."""
        speed = self.speed_list[driver] * self._traffic(t)
        if self.congestion:
            others = int(self.density[pos]) - 1
            speed *= max(CONGESTION_FLOOR, 1.0 / (1.0 + CONGESTION_PER_VEHICLE * others))
        return speed

    # -- spatial index --------------------------------------------------------------------
    #
    # Idle drivers and waiting riders are kept per cell (`idle_in`, `wait_in`: raster position
    # -> members), with their counts on the raster (`idle_count`, `wait_count`). A search
    # within match_radius looks at the disk's cells: in plain Python for small disks (a dict
    # lookup per cell), else by gathering the disk's counts with numpy and visiting only the
    # cells that have members. Every answer is sorted into the order the dense version used
    # (drivers by index, riders by acceptance), so ties break as before.

    def _members_within(
        self, cell: int, members: dict[int, list[int]]
    ) -> tuple[list[int], list[int]]:
        """Members within match_radius of cell (unordered) and the grid distance of each."""
        found: list[int] = []
        dist: list[int] = []
        base = self.flat[cell]
        if self.match_small:
            for off, d in self.match_pairs:
                inside = members.get(base + off)
                if inside:
                    found.extend(inside)
                    dist.extend([d] * len(inside))
            return found, dist
        counts = self.idle_count if members is self.idle_in else self.wait_count
        pos = base + self.match_offsets
        hits = np.flatnonzero(counts[pos])
        match_dist = self.match_dist_list
        for h, p in zip(hits.tolist(), pos[hits].tolist(), strict=True):
            inside = members[p]
            found.extend(inside)
            dist.extend([match_dist[h]] * len(inside))
        return found, dist

    def _idle_within(self, cell: int) -> tuple[list[int], list[int]]:
        """Idle drivers within match_radius of cell in driver order, and their distances."""
        found, dist = self._members_within(cell, self.idle_in)
        if len(found) > 1:
            pairs = sorted(zip(found, dist, strict=True))
            return [p[0] for p in pairs], [p[1] for p in pairs]
        return found, dist

    def _any_idle_within(self, cell: int) -> bool:
        base = self.flat[cell]
        if self.match_small:
            idle_in = self.idle_in
            return any(base + off in idle_in for off, _ in self.match_pairs)
        return bool(self.idle_count[base + self.match_offsets].any())

    def _waiting_within(self, cell: int) -> tuple[list[int], list[int]]:
        """Waiting riders within match_radius of cell in acceptance order, and distances."""
        found, dist = self._members_within(cell, self.wait_in)
        if len(found) > 1:
            seq = self.accept_seq
            order = sorted(range(len(found)), key=lambda k: seq[found[k]])
            return [found[k] for k in order], [dist[k] for k in order]
        return found, dist

    def _index_add(
        self, members: dict[int, list[int]], counts: NDArray[np.int64], cell: int, item: int
    ) -> None:
        pos = self.flat[cell]
        inside = members.get(pos)
        if inside is None:
            members[pos] = [item]
        else:
            inside.append(item)
        counts[pos] += 1

    def _index_remove(
        self, members: dict[int, list[int]], counts: NDArray[np.int64], cell: int, item: int
    ) -> None:
        pos = self.flat[cell]
        inside = members[pos]
        inside.remove(item)
        if not inside:
            del members[pos]
        counts[pos] -= 1

    # -- event loop -----------------------------------------------------------------------

    def run(self) -> RideHailingMetrics:
        heap = self.heap
        slot_ids = self.slot_ids
        slot_s = self.slot_s
        end = self.end_s
        pop = heapq.heappop
        arrival_t = self.arrival_t
        arrival_id = self.arrival_id
        n_arrivals = len(arrival_t)
        n_r = self.p.num_riders
        k = 0
        next_arrival = arrival_t[0] if n_arrivals else _INF
        while True:
            # The calendar's next event, or, when no loaded slot has one left, a pseudo-event
            # at the next slot's start that loads it (it goes first on a tie: an event it
            # loads may be due at that very time).
            loading = not heap
            if loading:
                top = slot_ids[0] * slot_s if slot_ids else _INF
                is_arrival = next_arrival < top
            else:
                top = heap[0][0]
                is_arrival = next_arrival <= top  # on a tie the arrival has the lower seq
            nxt = next_arrival if is_arrival else top
            tick = self.pending_tick
            if tick is not None and tick < nxt:
                self.pending_tick = None
                if tick <= end:
                    self._batch(tick)
                continue
            if nxt > end:
                break
            if is_arrival:
                t = next_arrival
                a = arrival_id[k]
                b = 0
                if a < n_r:
                    kind = _QUOTE
                else:
                    kind = _DRIVER_ONLINE
                    a -= n_r
                k += 1
                next_arrival = arrival_t[k] if k < n_arrivals else _INF
            elif loading:
                self._load_slot()
                continue
            else:
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

    # The event queue is a calendar. One heap of every event in flight grew with the city
    # (at 32k x 6.4k about 11,700 entries, 85 % of them cancellations, most of them moot by
    # their time, as the rider was picked up long before) and every pop paid for its depth
    # and its cache misses. Instead, an event goes into the time slot of slot_s seconds it
    # falls in: the slots ahead are unordered lists (an append), and when the clock reaches
    # a slot's start its events, less the moot cancellations (rider no longer waiting or
    # matched), become the heap, which thus holds about a slot's worth of events (dozens).
    # Events keep their sequence numbers and leave in (time, sequence) order, and a moot
    # cancellation did nothing, so the simulation runs the same events in the same order.

    def _push(self, t: float, kind: int, a: int, b: int) -> None:
        entry = (t, next(self.seq), kind, a, b)
        slot_s = self.slot_s
        slot = int(t // slot_s)
        # Exact bounds (slot x slot_s is exact: slot_s is a power of two): the slot holds
        # [slot x slot_s, (slot + 1) x slot_s).
        if slot * slot_s > t:
            slot -= 1
        elif (slot + 1) * slot_s <= t:
            slot += 1
        if slot <= self.loaded:
            heapq.heappush(self.heap, entry)
            return
        waiting = self.slots.get(slot)
        if waiting is None:
            self.slots[slot] = [entry]
            heapq.heappush(self.slot_ids, slot)
        else:
            waiting.append(entry)

    def _load_slot(self) -> None:
        """The clock reached the next slot's start: its events (the heap is empty: every
        earlier one has run) become the heap, without the moot cancellations."""
        slot = heapq.heappop(self.slot_ids)
        self.loaded = slot
        events = self.slots.pop(slot)
        state = self.state
        heap = self.heap
        heap.extend([e for e in events if e[2] != _CANCEL or state[e[3]] <= _MATCHED])
        heapq.heapify(heap)

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
        if self.recorder is not None:
            self.recorder.quote(rider, attempt, t, multiplier, fare)
        if fare > PRICE_LIMIT:
            reason = _PRICE
        elif not self._eta_within_limit(cell, t):
            reason = _ETA
        elif self.quote_fair[rider] >> attempt & 1:
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

    def _eta_within_limit(self, cell: int, t: float) -> bool:
        """Whether the quoted ETA (the least pickup ETA of all idle drivers) is at most
        ETA_LIMIT_S.

        Without congestion: the coverage count of the cell (see `_cover_radii`). Otherwise
        (speeds then depend on the density around each driver) a search, bounded by the
        limit: no driver is faster than the fastest driver at this hour (congestion only slows
        down), so none beyond `reach` cells can make it. It scans the rings around the cell
        outwards (the first rings in Python, the rest with one numpy gather) and stops at the
        first driver within the limit. Per driver the ETA is computed as the dense version did
        (km / speed, then x 3600, compared with the limit): the least ETA is within the limit
        exactly when one driver's is, so the answer is the same.
        """
        if self.n_idle == 0:
            return False
        if self.cover is not None:
            factor = self._traffic(t)
            if factor != self.cover_factor:
                self._cover_rebuild(factor)
            if self.cover is not None:
                return bool(self.cover[self.flat[cell]]) or self._pending_covers(cell)
        vmax = self.speed_max * self._traffic(t)
        reach = int(ETA_LIMIT_S / 3600.0 * vmax / KM_PER_CELL * (1.0 + 1e-9)) + 1
        if reach > PAD:  # extreme base speeds: a ring search would cover most of the city
            drivers = np.flatnonzero(self.idle)
            km_all = self.km_table[self.grid.distances(cell, self.d_cell[drivers])]
            return float((km_all / self._speeds(drivers, t)).min()) * 3600.0 <= ETA_LIMIT_S
        reach = min(reach, self.grid.max_distance)
        base = self.flat[cell]
        idle_in = self.idle_in
        km_list = self.km_list
        speed_at = self._speed_at
        for off, d in self.eta_near[: 3 * reach * (reach + 1) + 1]:
            inside = idle_in.get(base + off)
            if inside:
                pos = base + off
                km = km_list[d]
                for driver in inside:
                    if km / speed_at(driver, pos, t) * 3600.0 <= ETA_LIMIT_S:
                        return True
        if reach <= _ETA_NEAR_RADIUS:
            return False
        offsets, dist = self.grid.disk_by_ring(reach)
        start = len(self.eta_near)
        pos_a = base + offsets[start:]
        hits = np.flatnonzero(self.idle_count[pos_a])  # in ring order
        for pos, d in zip(pos_a[hits].tolist(), dist[start:][hits].tolist(), strict=True):
            km = km_list[d]
            for driver in idle_in[pos]:
                if km / speed_at(driver, pos, t) * 3600.0 <= ETA_LIMIT_S:
                    return True
        return False

    # Without congestion a driver's ETA to a cell depends only on the distance and the hour's
    # traffic factor, so each idle driver covers the disk of cells it reaches within the limit
    # (radius `cover_reach[driver]`: the largest distance whose ETA, computed exactly as the
    # search computes it, is within ETA_LIMIT_S), and a quote only reads its cell's count.
    # The radii are recomputed, and the counts rebuilt, when the traffic factor changes.

    def _cover_radii(self, factor: float) -> list[int] | None:
        """Per driver the covered radius at this traffic factor (-1: not even its own cell);
        None when some radius exceeds the raster padding (then quotes search instead)."""
        if self.speed.size == 0:
            return []
        speeds = self.speed * factor
        eta = self.km_table[None, : PAD + 2] / speeds[:, None] * 3600.0
        radii = (eta <= ETA_LIMIT_S).sum(axis=1) - 1  # ETAs grow with distance: a prefix
        if int(radii.max()) > PAD:
            return None
        result: list[int] = radii.tolist()
        return result

    def _cover_rebuild(self, factor: float) -> None:
        radii = self._cover_radii(factor)
        self.cover_factor = factor
        if radii is None:
            self.cover = None
            return
        self.cover_reach = radii
        self.cover_radius = [-1] * len(radii)
        self.cover_pending.clear()  # every idle driver, pending or not, is added again below
        assert self.cover is not None
        self.cover.fill(0)
        for pos, drivers in self.idle_in.items():
            for driver in drivers:
                self._cover_add(driver, pos, 1)

    # Most drivers that become idle are matched at the very next batch tick (about 2 in 3 at
    # 32k x 6.4k), so adding their disk and taking it away again a few seconds later is wasted
    # work. In batch mode a newly idle driver is therefore only noted as pending (its cube
    # coordinates and covered radius); a quote whose cell has no coverage count checks the
    # pending drivers one by one, and the batch adds the disks of the pending drivers still
    # idle after it. The answer of every quote is the same as with the disks added at once.

    def _cover_idle(self, driver: int, cell: int) -> None:
        """A driver became idle in cell: its disk joins the coverage counts (or is pending)."""
        if not self.batch:
            self._cover_add(driver, self.flat[cell], 1)
            return
        pending = self.cover_pending
        r = self.cover_reach[driver]
        i, j, k = self.ci[cell], self.cj[cell], self.ck[cell]
        pending[driver] = (i - r, i + r, j - r, j + r, k - r, k + r)
        if len(pending) > self.cover_limit:  # long batch intervals: keep quotes cheap
            self._cover_flush()

    def _cover_flush(self) -> None:
        """Add the disks of the pending drivers (all still idle) to the coverage counts."""
        flat, d_cell = self.flat, self.d_cell
        for driver in self.cover_pending:
            self._cover_add(driver, flat[int(d_cell[driver])], 1)
        self.cover_pending.clear()

    def _pending_covers(self, cell: int) -> bool:
        """Whether a pending driver reaches cell within the ETA limit (see `_cover_idle`)."""
        if not self.cover_pending:
            return False
        i, j, k = self.ci[cell], self.cj[cell], self.ck[cell]
        # Grid distance <= radius: each cube coordinate within radius (bounds precomputed).
        for i0, i1, j0, j1, k0, k1 in self.cover_pending.values():
            if i0 <= i <= i1 and j0 <= j <= j1 and k0 <= k <= k1:
                return True
        return False

    def _disk_mask(self, radius: int) -> NDArray[np.int64]:
        """The 0/1 mask of a disk on the square of side 2 x radius + 1 around its centre."""
        mask = self.disk_masks.get(radius)
        if mask is None:
            span = np.arange(-radius, radius + 1)
            di, dj = span[:, None], span[None, :]
            dist = np.maximum(np.maximum(np.abs(di), np.abs(dj)), np.abs(di - dj))
            mask = self.disk_masks[radius] = (dist <= radius).astype(np.int64)
        return mask

    def _cover_add(self, driver: int, pos: int, sign: int) -> None:
        """Add (sign 1) or remove (-1) a driver's disk: one slice of the 2-d raster view plus or
        minus the disk's 0/1 mask, cheaper than scattering into the disk's cells."""
        if sign > 0:
            radius = self.cover_reach[driver]
            self.cover_radius[driver] = radius
        else:
            radius = self.cover_radius[driver]
        if radius < 0:
            return
        mask = self._disk_mask(radius)
        i, j = divmod(pos, self.grid.stride)
        block = self.cover2d[i - radius : i + radius + 1, j - radius : j + radius + 1]
        if sign > 0:
            block += mask
        else:
            block -= mask

    def _accept(self, rider: int, cell: int, fare: float, t: float) -> None:
        self.state[rider] = _WAITING
        self.accept_t[rider] = t
        self.fare[rider] = fare
        self.accept_seq[rider] = self.accepted
        self.accepted += 1
        self.rider_of.append(rider)
        self._push(t + self.patience[rider], _CANCEL, rider, 0)
        self.waiting[rider] = None
        self._index_add(self.wait_in, self.wait_count, cell, rider)
        if self.batch:
            self.r_new.add(rider)
            self._mark_dirty(t)
        else:
            self._match_rider(rider, cell, t)

    def _cancel(self, rider: int, t: float) -> None:
        state = self.state[rider]
        if state == _WAITING:
            cell = self.r_cell_list[rider]
            del self.waiting[rider]
            self._index_remove(self.wait_in, self.wait_count, cell, rider)
            self.open_count[self.flat[cell]] -= 1
            self.state[rider] = _CANCELLED
        elif state == _MATCHED:
            self.state[rider] = _CANCELLED
            driver = self.r_driver[rider]
            self._driver_idle(driver, int(self.d_cell[driver]), t)

    # -- drivers --------------------------------------------------------------------------

    def _driver_idle(self, driver: int, cell: int, t: float) -> None:
        self.idle[driver] = True
        self.n_idle += 1
        self._index_add(self.idle_in, self.idle_count, cell, driver)
        if self.cover is not None:
            if t > self.last_quote_t:  # no quote reads the counts any more: stop keeping them
                self.cover = None
            else:
                self._cover_idle(driver, cell)
        if self.batch:
            self.d_new.add(driver)
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
        if self.recorder is not None:
            self.recorder.dropoff(rider, t)
        cell = self.r_drop_list[rider]
        self._move(driver, cell)
        self._driver_idle(driver, cell, t)

    def _assign(self, rider: int, driver: int, km: float, t: float) -> None:
        cell = self.r_cell_list[rider]
        del self.waiting[rider]
        self._index_remove(self.wait_in, self.wait_count, cell, rider)
        self.open_count[self.flat[cell]] -= 1
        d_cell = int(self.d_cell[driver])
        self.idle[driver] = False
        self.n_idle -= 1
        self._index_remove(self.idle_in, self.idle_count, d_cell, driver)
        if self.cover is not None:
            if t > self.last_quote_t:
                self.cover = None
            elif self.cover_pending.pop(driver, None) is None:
                self._cover_add(driver, self.flat[d_cell], -1)
        self.state[rider] = _MATCHED
        self.match_t[rider] = t
        self.r_driver[rider] = driver
        leg_s = km / self._speed(driver, d_cell, t) * 3600.0
        self._push(t + leg_s, _PICKUP, driver, rider)

    # -- matching -------------------------------------------------------------------------

    def _match_rider(self, rider: int, cell: int, t: float) -> None:
        """One-by-one: offer the rider to eligible idle drivers, best first (ties: lowest
        driver index)."""
        drivers, d = self._idle_within(cell)
        if not drivers:
            return
        km_list = self.km_list
        km = [km_list[x] for x in d]
        if self.algorithm == "simple":
            order = sorted(range(len(drivers)), key=d.__getitem__)
        else:
            w = self.eta_weight
            d_cell = self.d_cell
            cost = [
                k + w * (k / self._speed(driver, int(d_cell[driver]), t) * 3600.0)
                for k, driver in zip(km, drivers, strict=True)
            ]
            order = sorted(range(len(drivers)), key=cost.__getitem__)
        for j in order:
            if self.decisions.next() < DRIVER_ACCEPT_PROB:
                self._assign(rider, drivers[j], km[j], t)
                return

    def _match_driver(self, driver: int, cell: int, t: float) -> None:
        """One-by-one: offer the newly idle driver the eligible waiting riders, nearest first.

        For a single driver the cost_based cost grows with distance, so both matchers rank
        riders by distance (ties: longest waiting first).
        """
        if not self.waiting:
            return
        riders, d = self._waiting_within(cell)
        for j in sorted(range(len(riders)), key=d.__getitem__):
            if self.decisions.next() < DRIVER_ACCEPT_PROB:
                self._assign(riders[j], driver, self.km_list[d[j]], t)
                return

    def _batch(self, t: float) -> None:
        self._batch_match(t)
        if self.cover_pending and self.cover is not None:
            self._cover_flush()

    def _batch_match(self, t: float) -> None:
        """Match the waiting riders against the idle drivers at tick t.

        Only pairs with a rider or a driver that is new since the last batch can be feasible:
        the previous batch left no feasible pair behind (every matcher takes a pair as long
        as one is left; a declined pair comes back flagged new), and only new riders and new
        idle drivers can form one. So the problem is found through the spatial index: the
        new riders with all the idle drivers in their reach, the other waiting riders with
        the new drivers in theirs. It is sparse (rows: riders in acceptance order; columns:
        drivers in index order; only feasible pairs), never a dense rider x driver matrix.

        Memory: when the waiting riders times the idle drivers exceed MAX_PIECE_PAIRS, the
        riders are cut into consecutive pieces of at most that many feasible pairs, each
        matched against the drivers the earlier pieces left (`_hungarian` also bounds its
        dense blocks). A point whose batch problem fits in one piece, which covers every
        point the tests run, is matched exactly as before.
        """
        if not self.waiting or self.n_idle == 0:
            return
        new_riders = [r for r in self.r_new if self.state[r] == _WAITING]
        new_drivers = list(self.d_new)
        self.r_new.clear()
        self.d_new.clear()
        r_cell = self.r_cell_list
        seq = self.accept_seq
        pairs: list[tuple[int, int, float]] = []
        flat = None
        if self.algorithm != "simple":
            flat = self._sparse_edges(new_riders, new_drivers, t)
            problem = None  # (flat None: too large for one piece, in either form)
        else:
            problem = self._sparse_problem(new_riders, new_drivers, t)
        if flat is not None:
            if not flat:
                return
            pairs = self._match_edges(flat)
        elif problem is not None:
            if not problem[0]:
                return
            pairs = self._match_piece(*problem, t)
        else:
            candidates: set[int] = set()
            has_idle: dict[int, bool] = {}
            for rider in new_riders:
                cell = r_cell[rider]
                ok = has_idle.get(cell)
                if ok is None:
                    ok = has_idle[cell] = self._any_idle_within(cell)
                if ok:
                    candidates.add(rider)
            candidates.update(self._riders_near(new_drivers))
            if not candidates:
                return
            taken: set[int] = set()
            for piece in self._pieces(sorted(candidates, key=seq.__getitem__)):
                edges: list[tuple[list[int], list[int]]] = []
                local: dict[int, tuple[list[int], list[int]]] = {}
                for rider in piece:
                    cell = r_cell[rider]
                    found = local.get(cell)
                    if found is None:
                        drivers, dist = self._idle_within(cell)
                        if taken:
                            keep = [k for k, x in enumerate(drivers) if x not in taken]
                            drivers = [drivers[k] for k in keep]
                            dist = [dist[k] for k in keep]
                        found = local[cell] = (drivers, dist)
                    edges.append(found)
                matched = self._match_piece(piece, edges, t)
                taken.update(driver for _, driver, _ in matched)
                pairs.extend(matched)
        declined = False
        for rider, driver, km in pairs:
            if self.decisions.next() < DRIVER_ACCEPT_PROB:
                self._assign(rider, driver, km, t)
            else:  # both go back to the pools, for the next tick
                declined = True
                self.r_new.add(rider)
                self.d_new.add(driver)
        if declined:
            self._mark_dirty(t + self.interval)

    def _sparse_edges(
        self, new_riders: list[int], new_drivers: list[int], t: float
    ) -> list[tuple[float, int, int, int]] | None:
        """The batch problem of the cost-ranked matchers (hungarian, cost_based) in one piece,
        as its edges (cost, acceptance number, driver, distance), unordered; None when it
        would exceed MAX_PIECE_PAIRS pairs (then `_sparse_problem` and the pieces take over).

        The same pairs as `_sparse_problem`, built straight into the form the matchers read:
        a row is the rider's acceptance number (which orders rows as the positions in
        acceptance order did), so there is no per-rider list of drivers to gather and sort,
        and each cost is computed once, with the float operations of `_match_lists`. At high
        density a batch has several edges per new driver, and this per-edge work is most of
        the batch.
        """
        r_cell = self.r_cell_list
        seq = self.accept_seq
        km_list = self.km_list
        w = self.eta_weight
        d_cell = self.d_cell
        speed: dict[int, float] = {}
        # Per cell of a new rider: (cost, driver, distance) of the idle drivers in its reach,
        # computed once for all the batch's new riders there (at high density a cell often
        # has several).
        reach: dict[int, list[tuple[float, int, int]]] = {}
        flat: list[tuple[float, int, int, int]] = []
        for rider in new_riders:
            cell = r_cell[rider]
            found = reach.get(cell)
            if found is None:
                # Unordered: every matcher here ranks the edges by their full keys.
                drivers, dist = self._members_within(cell, self.idle_in)
                found = reach[cell] = []
                for driver, d in zip(drivers, dist, strict=True):
                    v = speed.get(driver)
                    if v is None:
                        v = speed[driver] = self._speed(driver, int(d_cell[driver]), t)
                    km = km_list[d]
                    found.append((km + w * (km / v * 3600.0), driver, d))
            if not found:
                continue
            row = seq[rider]
            flat.extend([(c, row, driver, d) for c, driver, d in found])
            if len(flat) > MAX_PIECE_PAIRS:
                return None
        if not new_drivers:
            return flat
        budget = MAX_PIECE_PAIRS - len(flat)
        is_new = set(new_riders)  # they already have all their idle drivers
        if len(new_drivers) > len(self.waiting):  # searched from the riders' side
            near = self._near_new_drivers(new_drivers, True, t, budget)
            if near is None:
                return None
            for rider, driver, d in near:
                if rider in is_new:
                    continue
                v = speed.get(driver)
                if v is None:
                    v = speed[driver] = self._speed(driver, int(d_cell[driver]), t)
                km = km_list[d]
                flat.append((km + w * (km / v * 3600.0), seq[rider], driver, d))
            return flat
        # What `_near_new_drivers` does from the drivers' side, each driver's pairs turned
        # into edges at once: its speed looked up once, a cost once per distance.
        ks = self._idle_near(new_drivers)
        pairs = 0
        for n, driver in enumerate(new_drivers):
            cell = int(d_cell[driver])
            near = self._nearest_waiting(driver, cell, t, ks[n])
            pairs += len(near)
            if pairs > budget:
                return None
            v = speed.get(driver)
            if v is None:
                v = speed[driver] = self._speed(driver, cell, t)
            last_d = -1
            cost = 0.0
            for rider, _, d in near:
                if rider in is_new:
                    continue
                if d != last_d:
                    km = km_list[d]
                    cost = km + w * (km / v * 3600.0)
                    last_d = d
                flat.append((cost, seq[rider], driver, d))
        return flat

    def _match_edges(self, flat: list[tuple[float, int, int, int]]) -> list[tuple[int, int, float]]:
        """Matched (rider, driver, km) of a `_sparse_edges` problem, in acceptance order: the
        pairs `_match_piece` gives for the same problem (Python lists for the usual sizes,
        numpy arrays for large ones)."""
        if len(flat) > _PYTHON_MAX_EDGES:
            cost = np.fromiter((e[0] for e in flat), np.float64, len(flat))
            rows = np.fromiter((e[1] for e in flat), np.intp, len(flat))
            driver = np.fromiter((e[2] for e in flat), np.intp, len(flat))
            dist = np.fromiter((e[3] for e in flat), np.intp, len(flat))
            numbers, row = np.unique(rows, return_inverse=True)  # positions in acceptance order
            if self.algorithm == "hungarian":
                chosen = _hungarian(row, driver, cost)
            else:
                chosen = _cheapest_first(row, driver, cost)
            picked: list[tuple[int, int, int]] = list(
                zip(
                    numbers[row[chosen]].tolist(),
                    driver[chosen].tolist(),
                    dist[chosen].tolist(),
                    strict=True,
                )
            )
        elif self.algorithm == "hungarian":
            picked = _hungarian_edges(flat)
        else:
            picked = _cheapest_first_lists(flat)
        km_list = self.km_list
        rider_of = self.rider_of
        return [(rider_of[number], driver, km_list[d]) for number, driver, d in picked]

    def _sparse_problem(
        self, new_riders: list[int], new_drivers: list[int], t: float
    ) -> tuple[list[int], list[tuple[list[int], list[int]]]] | None:
        """The batch problem in one piece: candidate riders in acceptance order and, for each,
        the drivers it can be matched with and their distances; None when it would exceed
        MAX_PIECE_PAIRS pairs (it is abandoned as soon as it does, so building it never holds
        much more than that)."""
        r_cell = self.r_cell_list
        reach: dict[int, tuple[list[int], list[int]]] = {}
        edges_of: dict[int, tuple[list[int], list[int]]] = {}
        size = 0
        for rider in new_riders:
            cell = r_cell[rider]
            found = reach.get(cell)
            if found is None:
                found = reach[cell] = self._idle_within(cell)
            if found[0]:
                edges_of[rider] = found
                size += len(found[0])
                if size > MAX_PIECE_PAIRS:
                    return None
        if new_drivers:
            is_new = set(new_riders)
            prune = self.algorithm != "simple"
            near = self._near_new_drivers(new_drivers, prune, t, MAX_PIECE_PAIRS - size)
            if near is None:
                return None
            for rider, driver, d in near:
                if rider in is_new:  # already has all its idle drivers
                    continue
                entry = edges_of.get(rider)
                if entry is None:
                    edges_of[rider] = ([driver], [d])
                else:
                    entry[0].append(driver)
                    entry[1].append(d)
        riders = sorted(edges_of, key=self.accept_seq.__getitem__)
        return riders, [edges_of[r] for r in riders]

    def _near_new_drivers(
        self, new_drivers: list[int], prune: bool, t: float, budget: int
    ) -> list[tuple[int, int, int]] | None:
        """(waiting rider, new driver, distance) of the pairs within match_radius.

        Searched from the smaller side: around each new driver when they are fewer than the
        waiting riders, else around each waiting rider's cell for a new driver. With `prune`,
        a new driver keeps only its nearest waiting riders (`_nearest_waiting`). None as soon
        as there are more than `budget` pairs.
        """
        flat = self.flat
        d_cell = self.d_cell
        out: list[tuple[int, int, int]] = []
        if len(new_drivers) <= len(self.waiting):
            ks = self._idle_near(new_drivers) if prune else []
            for n, driver in enumerate(new_drivers):
                cell = int(d_cell[driver])
                if prune:
                    out.extend(self._nearest_waiting(driver, cell, t, ks[n]))
                else:
                    riders, dist = self._members_within(cell, self.wait_in)
                    out.extend((r, driver, d) for r, d in zip(riders, dist, strict=True))
                if len(out) > budget:
                    return None
            return out
        at: dict[int, list[int]] = {}
        for driver, cell in zip(new_drivers, d_cell[new_drivers].tolist(), strict=True):
            at.setdefault(flat[cell], []).append(driver)
        pairs = (
            self.match_pairs
            if self.match_small
            else list(zip(self.match_offsets.tolist(), self.match_dist_list, strict=True))
        )
        for pos, waiting_here in self.wait_in.items():
            for off, d in pairs:
                there = at.get(pos + off)
                if there:
                    out.extend((r, driver, d) for r in waiting_here for driver in there)
            if len(out) > budget:
                return None
        return out

    def _riders_near(self, new_drivers: list[int]) -> list[int]:
        """Waiting riders within match_radius of any of these drivers, without listing the
        pairs (their number is not bounded): the drivers' cells are marked on the raster and
        each waiting cell's disk is checked for a mark."""
        if not new_drivers:
            return []
        marked = np.zeros(self.idle_count.size, dtype=bool)
        marked[self.grid.flat[self.d_cell[new_drivers]]] = True
        offsets = self.match_offsets
        near: list[int] = []
        for pos, riders in self.wait_in.items():
            if marked[pos + offsets].any():
                near.extend(riders)
        return near

    def _idle_near(self, drivers: list[int]) -> list[int]:
        """Per driver, the k of `_nearest_waiting`: the idle drivers within 2 x match_radius
        of it, or all idle drivers when few (a bound too; counting pays only when many are
        idle). Counted for all the batch's new drivers at once, by one gather of the disks'
        counts from the raster per chunk of drivers: the counts do not change while the batch
        problem is built, and one numpy call per driver cost more than its ring search."""
        k = self.n_idle
        double = 2 * self.radius
        if double > PAD or k <= _FEW_IDLE:
            return [k] * len(drivers)
        offsets = self.grid.flat_offsets(double)
        pos = self.grid.flat[self.d_cell[drivers]]
        out: list[int] = []
        for a in range(0, len(drivers), _IDLE_NEAR_CHUNK):
            near = self.idle_count[pos[a : a + _IDLE_NEAR_CHUNK, None] + offsets[None, :]]
            out.extend(near.sum(axis=1).tolist())
        return out

    def _nearest_waiting(
        self, driver: int, cell: int, t: float, k: int
    ) -> list[tuple[int, int, int]]:
        """(rider, driver, distance) for the waiting riders a new driver needs to be offered.

        Exact pruning for the hungarian and cost_based matchers. Let k (from `_idle_near`) be
        the number of idle drivers within 2 x match_radius of this driver (or of all idle
        drivers, when few): every driver that shares a candidate rider with it is among them.
        Rank the driver's riders by (cost, row); for one driver the cost grows with distance.
        If an optimal
        assignment (or the greedy) gave the driver a rider beyond its first k, one of those
        first k would be unmatched (the other k - 1 drivers cannot hold all of them) and at
        most as costly, so an equally good solution uses only the first k, and the greedy
        reaches the driver's pair among them before any later one. So the riders are taken
        ring by ring outwards (a ring is one cost; a further ring of exactly the same cost
        counts as the same cost) until there are k, those of the last cost in acceptance (row)
        order. The pairs left out cannot change the optimum's size or cost, but where
        assignments tie they can change which one the solver returns (see `_hungarian`).
        """
        base = self.flat[cell]
        wait_in = self.wait_in
        if k >= len(self.waiting):
            riders, dist = self._members_within(cell, wait_in)
            return [(r, driver, d) for r, d in zip(riders, dist, strict=True)]
        w = self.eta_weight
        v = self._speed(driver, cell, t)
        km_list = self.km_list
        kept: list[tuple[int, int, int]] = []  # earlier costs: all their riders
        # The current cost's cells: (their waiting riders, distance), and how many riders.
        group: list[tuple[list[int], int]] = []
        in_group = 0
        last_cost = -1.0
        for d, ring in enumerate(self.match_rings):
            km = km_list[d]
            cost = km + w * (km / v * 3600.0)
            if cost != last_cost:
                if len(kept) + in_group >= k:
                    break
                for inside, at in group:
                    kept.extend([(r, driver, at) for r in inside])
                group, in_group = [], 0
            last_cost = cost
            for off in ring:
                here = wait_in.get(base + off)
                if here:
                    group.append((here, d))
                    in_group += len(here)
        need = k - len(kept)
        if in_group > need:  # of the last cost, the earliest accepted (lowest rows) suffice
            # A cell's riders are in acceptance order (appended on acceptance, never moved),
            # so the `need` earliest of the group are among the first `need` of each cell:
            # at high density a cell holds dozens of waiting riders, and only those few are
            # ranked. (acceptance number, rider, distance); acceptance numbers are unique,
            # so the tuples compare on them alone, without a Python key function per rider.
            seq = self.accept_seq
            if len(group) == 1:
                inside, at = group[0]
                kept.extend([(r, driver, at) for r in inside[:need]])
                return kept
            keyed = [(seq[r], r, at) for inside, at in group for r in inside[:need]]
            chosen = [min(keyed)] if need == 1 else sorted(keyed)[:need]
            kept.extend([(c[1], driver, c[2]) for c in chosen])
            return kept
        for inside, at in group:
            kept.extend([(r, driver, at) for r in inside])
        return kept

    def _pieces(self, riders: list[int]) -> list[list[int]]:
        """Riders (acceptance order) cut into consecutive pieces of at most MAX_PIECE_PAIRS
        feasible pairs each (a rider with more pairs than that is a piece of its own)."""
        per_cell: dict[int, int] = {}
        r_cell = self.r_cell_list
        pieces: list[list[int]] = [[]]
        size = 0
        for rider in riders:
            cell = r_cell[rider]
            n = per_cell.get(cell)
            if n is None:
                pos = self.flat[cell] + self.match_offsets
                n = per_cell[cell] = int(self.idle_count[pos].sum())
            if size + n > MAX_PIECE_PAIRS and pieces[-1]:
                pieces.append([])
                size = 0
            pieces[-1].append(rider)
            size += n
        return pieces

    def _match_piece(
        self, riders: list[int], edges: list[tuple[list[int], list[int]]], t: float
    ) -> list[tuple[int, int, float]]:
        """Matched (rider, driver, km) among riders (rows) and the (drivers, distances) each
        can reach, in rider order.

        The same rules run on Python lists for the usual small problems and on numpy arrays
        for large ones; both compute each cost with the same float operations and break ties
        the same way, so they give the same pairs.
        """
        n_edges = sum(len(drivers) for drivers, _ in edges)
        if not n_edges:
            return []
        if n_edges <= _PYTHON_MAX_PAIRS:
            chosen = self._match_lists(edges, t)
        else:
            chosen = self._match_arrays(edges, n_edges, t)
        km_list = self.km_list
        return [(riders[position], driver, km_list[d]) for position, driver, d in chosen]

    def _match_lists(
        self, edges: list[tuple[list[int], list[int]]], t: float
    ) -> list[tuple[int, int, int]]:
        """(row, driver, distance) of the matched pairs, in row order (Python lists)."""
        if self.algorithm == "simple":
            used: set[int] = set()
            out = []
            for position, (drivers, dist) in enumerate(edges):
                for d, driver in sorted(zip(dist, drivers, strict=True)):
                    if driver not in used:
                        used.add(driver)
                        out.append((position, driver, d))
                        break
            return out
        km_list = self.km_list
        w = self.eta_weight
        speed: dict[int, float] = {}
        flat: list[tuple[float, int, int, int]] = []  # cost, row, driver, distance
        for position, (drivers, dist) in enumerate(edges):
            for driver, d in zip(drivers, dist, strict=True):
                v = speed.get(driver)
                if v is None:
                    v = speed[driver] = self._speed(driver, int(self.d_cell[driver]), t)
                km = km_list[d]
                flat.append((km + w * (km / v * 3600.0), position, driver, d))
        if self.algorithm == "cost_based":
            return _cheapest_first_lists(flat)
        return _hungarian_lists(flat, [drivers for drivers, _ in edges])

    def _match_arrays(
        self, edges: list[tuple[list[int], list[int]]], n_edges: int, t: float
    ) -> list[tuple[int, int, int]]:
        """(row, driver, distance) of the matched pairs, in row order (numpy arrays)."""
        counts = np.fromiter((len(drivers) for drivers, _ in edges), np.intp, len(edges))
        row = np.repeat(np.arange(len(edges), dtype=np.intp), counts)
        driver = np.fromiter(chain.from_iterable(e[0] for e in edges), np.intp, n_edges)
        dist = np.fromiter(chain.from_iterable(e[1] for e in edges), np.intp, n_edges)
        if self.algorithm == "simple":
            cost = dist.astype(np.float64)
        else:
            km = self.km_table[dist]
            cols, col_of = np.unique(driver, return_inverse=True)
            eta_s = km / self._speeds(cols, t)[col_of] * 3600.0
            cost = km + self.eta_weight * eta_s
        if self.algorithm == "hungarian":
            chosen = _hungarian(row, driver, cost)
        elif self.algorithm == "cost_based":
            chosen = _cheapest_first(row, driver, cost)
        else:
            chosen = _first_come(row, driver, cost)
        return list(
            zip(row[chosen].tolist(), driver[chosen].tolist(), dist[chosen].tolist(), strict=True)
        )

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


def _slot_seconds(n_riders: int, n_drivers: int) -> float:
    """The calendar's slot width (see `_push`): a power of two of seconds (exact slot
    bounds) near 64 events per slot at the point's mean event rate (about three per rider
    and one per driver over the request window), between 1/4 s and 128 s."""
    rate = (3 * n_riders + n_drivers) / (REQUEST_WINDOW_HOURS * 3600.0)
    target = 64.0 / rate if rate > 0 else 128.0
    return float(2.0 ** max(-2, min(7, round(math.log2(target)))))


def _cover_pending_steps(n_riders: int, n_drivers: int, interval_s: float) -> int:
    """How many steps of _MAX_COVER_PENDING newly idle drivers may wait for the batch (see
    `_cover_idle`) before their disks are added at once.

    A flush adds every pending disk, and the drivers the batch then matches (most of them)
    have theirs taken away again: two disk updates each, for nothing. With a fixed limit,
    that began to happen as soon as a batch interval saw more newly idle drivers than the
    limit: at 64k x 12.8k about 107 per 5 s interval on average (a drop-off per rider and
    each driver going online, over the request window), so 130 early flushes and 6 times the
    disk updates of 32k x 6.4k, for twice the riders. The limit therefore covers a few times
    the interval's expected count; a quote scans the pending drivers only when its cell has
    no coverage count (a tuple test each), which stays cheaper than the updates it saves.
    Long intervals, whose count would make that scan long, keep one step.
    """
    per_interval = (n_riders + n_drivers) * interval_s / (REQUEST_WINDOW_HOURS * 3600.0)
    steps = math.ceil(_COVER_PEAK_FACTOR * per_interval / _COVER_STEP)
    return steps if 1 <= steps <= _MAX_COVER_STEPS else 1


def _first_come(
    row: NDArray[np.intp], driver: NDArray[np.intp], cost: NDArray[np.float64]
) -> NDArray[np.intp]:
    """Riders in acceptance order each take their cheapest still-free feasible driver (ties:
    lowest driver index). Edge indices of the pairs, in row order."""
    order = np.lexsort((driver, cost, row))
    chosen: list[int] = []
    taken: set[int] = set()
    last_row = -1
    for e, r, d in zip(order.tolist(), row[order].tolist(), driver[order].tolist(), strict=True):
        if r == last_row or d in taken:
            continue
        chosen.append(e)
        taken.add(d)
        last_row = r
    return np.asarray(chosen, dtype=np.intp)


def _cheapest_first(
    row: NDArray[np.intp], driver: NDArray[np.intp], cost: NDArray[np.float64]
) -> NDArray[np.intp]:
    """Greedy: the cheapest feasible pair of still-free rider and driver, repeatedly (ties: row,
    then driver, as the dense row-major scan had it). Edge indices, in row order."""
    order = np.lexsort((driver, row, cost))
    rows_taken: set[int] = set()
    cols_taken: set[int] = set()
    chosen: list[tuple[int, int]] = []
    for e, r, d in zip(order.tolist(), row[order].tolist(), driver[order].tolist(), strict=True):
        if r in rows_taken or d in cols_taken:
            continue
        chosen.append((r, e))
        rows_taken.add(r)
        cols_taken.add(d)
    chosen.sort()
    return np.asarray([e for _, e in chosen], dtype=np.intp)


def _hungarian(
    row: NDArray[np.intp], driver: NDArray[np.intp], cost: NDArray[np.float64]
) -> NDArray[np.intp]:
    """Least total cost among the assignments with the most feasible pairs. Edge indices, in
    row order.

    The feasibility graph falls apart into connected components (riders and drivers linked
    by feasible pairs) whose optimal assignments are independent, so each component is solved
    on its own, as a dense block (rows in acceptance order, columns in driver order, a
    prohibitive cost `big` for infeasible cells) with the exact assignment solver. A
    component larger than MAX_DENSE_CELLS is split (its riders in acceptance order, halves
    solved one after the other, the second against the drivers the first left), so no block
    exceeds that size.

    Why results can differ from the old single dense matrix: when several assignments tie on
    total cost (interchangeable riders in one cell, a fixed base speed), the solver's
    tie-breaking depends on the matrix it is given, and a component's block is not the whole
    matrix. With distinct costs the optimum is unique and both agree; the golden corpus in
    tests/models pins the new numbers.
    """
    n_rows = int(row.max()) + 1
    cols, col_of = np.unique(driver, return_inverse=True)
    label = _component_labels(row, col_of, n_rows, cols.size)
    # Per component: its edges, how many distinct rows and columns it has.
    by_row = np.lexsort((col_of, row, label))
    lab = label[by_row]
    start = np.flatnonzero(np.concatenate(([True], lab[1:] != lab[:-1])))
    r_s = row[by_row]
    new_row = np.concatenate(([True], (r_s[1:] != r_s[:-1]) | (lab[1:] != lab[:-1])))
    n_r = np.add.reduceat(new_row.astype(np.intp), start)
    by_col = np.lexsort((row, col_of, label))
    c_s = col_of[by_col]
    new_col = np.concatenate(([True], (c_s[1:] != c_s[:-1]) | (lab[1:] != lab[:-1])))
    n_c = np.add.reduceat(new_col.astype(np.intp), start)
    # One rider or one driver: the least cost, the lowest index among equal ones, which is
    # what the assignment solver picks for a single row or column.
    by_cost = np.lexsort((col_of, row, cost, label))
    simple = (n_r == 1) | (n_c == 1)
    found = [by_cost[start[simple]]]
    stop = np.concatenate((start[1:], [lab.size]))
    for a, b in zip(start[~simple].tolist(), stop[~simple].tolist(), strict=True):
        edges = by_row[a:b]
        if b - a <= _PYTHON_MAX_BLOCK_PAIRS:  # same block and solver on lists, less overhead
            block = list(
                zip(
                    cost[edges].tolist(),
                    row[edges].tolist(),
                    driver[edges].tolist(),
                    edges.tolist(),
                    strict=True,
                )
            )
            picked = [e for _, _, e in _solve_block_lists(block)]
            found.append(np.asarray(picked, dtype=np.intp))
        else:
            found.append(_solve_block(row, col_of, cost, edges))
    chosen = np.concatenate(found)
    ordered: NDArray[np.intp] = chosen[np.argsort(row[chosen], kind="stable")]
    return ordered


def _cheapest_first_lists(
    edges: list[tuple[float, int, int, int]],
) -> list[tuple[int, int, int]]:
    """`_cheapest_first` on Python lists: edges (cost, row, driver, distance), matched
    (row, driver, distance) in row order."""
    edges.sort()
    rows_taken: set[int] = set()
    cols_taken: set[int] = set()
    out = []
    for _, row, driver, d in edges:
        if row in rows_taken or driver in cols_taken:
            continue
        rows_taken.add(row)
        cols_taken.add(driver)
        out.append((row, driver, d))
    out.sort()
    return out


def _hungarian_edges(edges: list[tuple[float, int, int, int]]) -> list[tuple[int, int, int]]:
    """`_hungarian_lists` for unordered edges (cost, row, driver, distance): the drivers
    that share a row are joined as they are read, and each driver's edges are gathered, so
    a star takes the least of its own list. Same components and solver, same pairs."""
    parent: dict[int, int] = {}
    joined: set[int] = set()
    first_of: dict[int, int] = {}  # row -> its first driver
    by_driver: dict[int, list[tuple[float, int, int, int]]] = {}
    for edge in edges:
        row, driver = edge[1], edge[2]
        mine = by_driver.get(driver)
        if mine is None:
            by_driver[driver] = [edge]
        else:
            mine.append(edge)
        first = first_of.setdefault(row, driver)
        if first != driver:
            joined.add(first)
            joined.add(driver)
            while first in parent:
                first = parent[first]
            other = driver
            while other in parent:
                other = parent[other]
            if other != first:
                parent[other] = first
    out: list[tuple[int, int, int]] = []
    groups: dict[int, list[tuple[float, int, int, int]]] = {}
    for driver, mine in by_driver.items():
        if driver in joined:
            while driver in parent:
                driver = parent[driver]
            group = groups.get(driver)
            if group is None:
                groups[driver] = mine
            else:
                group.extend(mine)
        else:
            best = mine[0] if len(mine) == 1 else min(mine)
            out.append((best[1], best[2], best[3]))
    for group in groups.values():
        out.extend(_solve_block_lists(group))
    out.sort()
    return out


def _component_labels(
    row: NDArray[np.intp], col_of: NDArray[np.intp], n_rows: int, n_cols: int
) -> NDArray[np.intp]:
    """Per edge, the smallest row of its connected component (min-label propagation through
    the columns, with pointer jumping, until nothing changes)."""
    lab = np.arange(n_rows, dtype=np.intp)
    while True:
        lab_c = np.full(n_cols, n_rows, dtype=np.intp)
        np.minimum.at(lab_c, col_of, lab[row])
        new = lab.copy()
        np.minimum.at(new, row, lab_c[col_of])
        new = new[new]
        if np.array_equal(new, lab):
            break
        lab = new
    labels: NDArray[np.intp] = lab[row]
    return labels


def _hungarian_lists(
    edges: list[tuple[float, int, int, int]], row_drivers: list[list[int]]
) -> list[tuple[int, int, int]]:
    """`_hungarian` on Python lists: edges (cost, row, driver, distance), matched
    (row, driver, distance) in row order; `row_drivers` are the drivers of each row. Same
    components, blocks, splits and solver, so the same pairs as the numpy version.

    The components are found on the drivers alone (the drivers of one row belong together),
    since in a batch most rows have a single driver: such rows join nothing, and a driver
    that shares no row with another is a star (its riders and nobody else), whose optimum
    is its least (cost, row) edge, what `_solve_block_lists` returns for one column. Only
    the other components are solved as blocks. Components are independent, so the order in
    which they are found changes nothing.
    """
    parent: dict[int, int] = {}
    joined: set[int] = set()
    for drivers in row_drivers:
        if len(drivers) > 1:
            joined.update(drivers)
            root = drivers[0]
            while root in parent:
                root = parent[root]
            for other in drivers[1:]:
                while other in parent:
                    other = parent[other]
                if other != root:
                    parent[other] = root
    star: dict[int, tuple[float, int, int, int]] = {}
    groups: dict[int, list[tuple[float, int, int, int]]] = {}
    for edge in edges:
        driver = edge[2]
        if driver in joined:
            while driver in parent:
                driver = parent[driver]
            group = groups.get(driver)
            if group is None:
                groups[driver] = [edge]
            else:
                group.append(edge)
        else:
            best = star.get(driver)
            if best is None or edge < best:
                star[driver] = edge
    out = [(e[1], e[2], e[3]) for e in star.values()]
    for group in groups.values():
        out.extend(_solve_block_lists(group))
    out.sort()
    return out


def _solve_block_lists(edges: list[tuple[float, int, int, int]]) -> list[tuple[int, int, int]]:
    if len(edges) == 1:
        _, r, driver, d = edges[0]
        return [(r, driver, d)]
    rows = sorted({e[1] for e in edges})
    cols = sorted({e[2] for e in edges})
    if len(rows) == 1 or len(cols) == 1:  # as in `_hungarian`: least cost, lowest index
        _, r, driver, d = min(edges)
        return [(r, driver, d)]
    if len(rows) * len(cols) > MAX_DENSE_CELLS and len(rows) > 1:
        half = rows[len(rows) // 2]
        first = _solve_block_lists([e for e in edges if e[1] < half])
        used = {driver for _, driver, _ in first}
        rest = [e for e in edges if e[1] >= half and e[2] not in used]
        return first + (_solve_block_lists(rest) if rest else [])
    top = max(edges)[0]  # the greatest cost (tuples compare on it first)
    n_r, n_c = len(rows), len(cols)
    short = min(n_r, n_c)
    big = (top + 1.0) * (short + 1)
    clamp = not math.isfinite(big) or big > 1e15  # absurd eta_weight: keep the arithmetic sane
    if clamp:
        big = 1e12 * (short + 1)
    # The block is `big` except at its edges, and the solver reads it sparsely: the pairs of
    # `assignment_pairs` on the dense matrix (which solves the transpose when there are fewer
    # drivers than riders, as there usually are), at a cost that grows with the edges rather
    # than the cells. At 64k x 12.8k a block is typically 3-9 drivers against 15-40 riders,
    # and dense its cells took 5 times the time of 32k x 6.4k's blocks, for twice the riders.
    if clamp:
        edges = [(min(c, 1e12), r, driver, d) for c, r, driver, d in edges]
    row_at = {r: k for k, r in enumerate(rows)}
    col_at = {c: k for k, c in enumerate(cols)}
    transpose = n_c < n_r
    solve: list[dict[int, float]] = [{} for _ in range(n_c if transpose else n_r)]
    dist: list[dict[int, int]] = [{} for _ in range(n_c if transpose else n_r)]
    if transpose:  # solve and dist by driver, then rider
        for c, r, driver, d in edges:
            k, i = col_at[driver], row_at[r]
            solve[k][i] = c
            dist[k][i] = d
    else:
        for c, r, driver, d in edges:
            i, k = row_at[r], col_at[driver]
            solve[i][k] = c
            dist[i][k] = d
    col4row = sparse_col4row(solve, n_r if transpose else n_c, big)
    out: list[tuple[int, int, int]] = []
    for i, k in enumerate(col4row):
        at = dist[i].get(k)
        if at is not None:  # not a `big` cell
            out.append((rows[k], cols[i], at) if transpose else (rows[i], cols[k], at))
    out.sort()  # row order (each row is matched at most once)
    return out


def _solve_block(
    row: NDArray[np.intp],
    col_of: NDArray[np.intp],
    cost: NDArray[np.float64],
    edges: NDArray[np.intp],
) -> NDArray[np.intp]:
    """Optimal edges among `edges` (one component or part of one), split when too large."""
    rows, r_at = np.unique(row[edges], return_inverse=True)
    cols, c_at = np.unique(col_of[edges], return_inverse=True)
    if rows.size * cols.size > MAX_DENSE_CELLS and rows.size > 1:
        half = rows[rows.size // 2]
        first = _solve_block(row, col_of, cost, edges[row[edges] < half])
        used = np.zeros(int(col_of.max()) + 1, dtype=bool)
        used[col_of[first]] = True
        rest = edges[(row[edges] >= half) & ~used[col_of[edges]]]
        second = _solve_block(row, col_of, cost, rest) if rest.size else rest
        return np.concatenate([first, second])
    if edges.size == 1:
        return edges
    block_cost = cost[edges]
    top = float(block_cost.max())
    big = (top + 1.0) * (min(rows.size, cols.size) + 1)
    if not math.isfinite(big) or big > 1e15:  # absurd eta_weight: keep the arithmetic sane
        block_cost = np.minimum(block_cost, 1e12)
        big = 1e12 * (min(rows.size, cols.size) + 1)
    matrix = np.full((rows.size, cols.size), big)
    matrix[r_at, c_at] = block_cost
    edge_at = np.full((rows.size, cols.size), -1, dtype=np.intp)
    edge_at[r_at, c_at] = edges
    sel_r, sel_c = linear_sum_assignment(matrix)
    picked: NDArray[np.intp] = edge_at[sel_r, sel_c]
    return picked[picked >= 0]


def _dropoff_cells(
    grid: BerlinGrid,
    r_cell: NDArray[np.intp],
    trip_len: NDArray[np.int64],
    trip_u: NDArray[np.float64],
) -> NDArray[np.intp]:
    """Drop-off of each rider: among the cells exactly trip_len away (the largest reachable
    distance below it when the box has none), drawn by the spatial weights with trip_u.

    Vectorised per trip length: the ring's raster cells outside the box get weight 0, so the
    running sums at the cells inside are the very floats a per-rider cumulative sum over the
    inside cells gives, and "first cell whose running sum exceeds u x total" picks the same
    cell (the last inside cell when rounding leaves none above).
    """
    out = np.empty(r_cell.size, dtype=np.intp)
    want = trip_len.astype(np.intp)
    base = grid.flat[r_cell]
    pending = np.arange(r_cell.size)
    while pending.size:
        retry: list[NDArray[np.intp]] = []
        # (bincount, not np.unique: want >= 0, and np.unique imports numpy.ma, 10-50 ms of a
        # cold start, to check for a masked array; issue 8)
        for d in np.flatnonzero(np.bincount(want[pending])).tolist():
            idx = pending[want[pending] == d]
            offsets = grid.flat_offsets(d, ring_only=True)
            # Weights on the raster: 0 outside the box, and every cell inside weighs > 0, so a
            # ring with no cell inside is one whose total is 0.
            cum = np.cumsum(grid.raster_weight[base[idx][:, None] + offsets[None, :]], axis=1)
            total = cum[:, -1]
            empty = total == 0.0
            if empty.any():
                want[idx[empty]] -= 1
                retry.append(idx[empty])
                idx, cum, total = idx[~empty], cum[~empty], total[~empty]
            if idx.size == 0:
                continue
            target = trip_u[idx] * total
            k = (cum <= target[:, None]).sum(axis=1)
            over = np.flatnonzero(k >= offsets.size)
            if over.size:  # rounding left no running sum above the target: the last cell inside
                inside = grid.raster_cell[base[idx[over]][:, None] + offsets[None, :]] >= 0
                k[over] = offsets.size - 1 - np.argmax(inside[:, ::-1], axis=1)
            out[idx] = grid.raster_cell[base[idx] + offsets[k]]
        pending = np.concatenate(retry) if retry else np.zeros(0, dtype=np.intp)
    return out
