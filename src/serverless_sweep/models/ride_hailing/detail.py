"""Issue 11's per-point detail datasets of ride_hailing: trip_data and snapshot_counts.

`DetailRecorder` rides along one simulation (`sim.simulate(..., recorder=...)`). The simulation
tells it two things it does not keep itself, each quote (time, surge multiplier, fare) and each
drop-off time; everything else is read from the simulation's per-rider state once the run is
over (acceptance, match and pickup times, assigned driver, final state, the patience that fixes
a cancellation time) and the drivers' online times from the simulation's sorted arrivals before
it starts. The recorder never draws a random number or pushes an event, so the metrics are bit
for bit those of a run without it, and a run without it pays one attribute test per quote and
drop-off.

Snapshot counts are derived from the riders' state intervals, not sampled during the run
(a sampling event would shift the queue's tie-breaking sequence numbers): the state at time t
is the one after every event at or before t, so a rider counts as waiting at t when
accept <= t < match, and a count is a difference of two sorted searches. Drivers en route
and on trip are the matched and on-board riders (one driver each); idle drivers are the
online ones minus both.

Rows are in rider order (request order) and snapshot order: deterministic, whatever the shard
layout, because a point's simulation depends only on its parameters and seed.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np
from numpy.typing import NDArray

from serverless_sweep.models.ride_hailing import sim as _sim

#: Simulated seconds between two snapshot_counts rows (t = 0, 60, ... up to the horizon).
SNAPSHOT_INTERVAL_S = 60.0

_FloatArray = NDArray[np.float64]


class DetailRecorder:
    """Collects one point's trips and snapshot counts (see the module docstring)."""

    def __init__(self) -> None:
        self.trip_columns: dict[str, list[Any]] = {}
        self.snapshot_columns: dict[str, list[Any]] = {}

    # -- during the run (called by the simulation) -----------------------------------------

    def start(self, sim: Any) -> None:
        n = sim.p.num_riders
        self.quotes = [0] * n
        self.request_t = [0.0] * n
        self.last_quote_t = [0.0] * n
        self.multiplier = [1.0] * n
        self.quote_fare = [0.0] * n
        self.dropoff_t = [0.0] * n
        self.online_t = sim.driver_online_t.tolist()  # sorted by the simulation

    def quote(self, rider: int, attempt: int, t: float, multiplier: float, fare: float) -> None:
        if attempt == 0:
            self.request_t[rider] = t
        self.quotes[rider] = attempt + 1
        self.last_quote_t[rider] = t
        self.multiplier[rider] = multiplier
        self.quote_fare[rider] = fare

    def dropoff(self, rider: int, t: float) -> None:
        self.dropoff_t[rider] = t

    # -- after the run -----------------------------------------------------------------------

    def finish(self, sim: Any) -> None:
        self._sim = sim

    def tables(self, outputs: Collection[str]) -> dict[str, dict[str, list[Any]]]:
        """dataset -> columns (name -> values, without the shard/point/attempt keys)."""
        sim = self._sim
        riders = _RiderStates(self, sim)
        tables: dict[str, dict[str, list[Any]]] = {}
        if "trips" in outputs:
            tables["trip_data"] = riders.trip_columns(sim)
        if "snapshots" in outputs:
            tables["snapshot_counts"] = riders.snapshot_columns(self.online_t, sim)
        return tables


class _RiderStates:
    """Per requested rider (quoted at least once): state, times and the state intervals."""

    def __init__(self, rec: DetailRecorder, sim: Any) -> None:
        quotes = np.asarray(rec.quotes, dtype=np.int64)
        self.ids = ids = np.flatnonzero(quotes > 0)
        self.quotes = quotes[ids]
        state = np.asarray(sim.state, dtype=np.int64)[ids]
        self.state = state
        self.request_t = np.asarray(rec.request_t)[ids]
        self.last_quote_t = np.asarray(rec.last_quote_t)[ids]
        self.multiplier = np.asarray(rec.multiplier)[ids]
        self.fare = np.asarray(rec.quote_fare)[ids]
        self.accept_t = np.asarray(sim.accept_t)[ids]
        self.match_t = np.asarray(sim.match_t)[ids]
        self.pickup_t = np.asarray(sim.pickup_t)[ids]
        self.dropoff_t = np.asarray(rec.dropoff_t)[ids]
        self.driver = np.asarray(sim.r_driver, dtype=np.int64)[ids]
        self.reason = np.asarray(sim.reason, dtype=np.int64)[ids]
        patience = np.asarray(sim.patience)[ids]

        self.completed = state == _sim._COMPLETED
        self.cancelled = state == _sim._CANCELLED  # ran out of patience
        self.horizon = (state == _sim._WAITING) | (state == _sim._MATCHED)
        self.abandoned = state == _sim._ABANDONED
        self.quoting = state == _sim._QUOTING
        self.onboard = state == _sim._ONBOARD
        self.accepted = ~(self.abandoned | self.quoting)
        self.matched = self.driver >= 0
        self.picked = self.completed | self.onboard
        self.cancel_t = np.where(self.cancelled, self.accept_t + patience, np.inf)

    def trip_columns(self, sim: Any) -> dict[str, list[Any]]:
        n = self.ids.size
        outcome = np.full(n, "unresolved", dtype=object)
        outcome[self.completed] = "completed"
        outcome[self.cancelled | self.horizon] = "cancelled"
        outcome[self.abandoned] = "abandoned"
        why = np.full(n, None, dtype=object)
        why[self.cancelled] = "patience"
        why[self.horizon] = "horizon"
        why[self.quoting] = "quoting"
        why[self.onboard] = "on_board"
        names = {_sim._PRICE: "price", _sim._ETA: "eta", _sim._STOCHASTIC: "stochastic"}
        for code, name in names.items():
            why[self.abandoned & (self.reason == code)] = name
        end = np.full(n, np.nan)
        end[self.completed] = self.dropoff_t[self.completed]
        end[self.cancelled] = self.cancel_t[self.cancelled]
        end[self.horizon] = sim.end_s
        end[self.abandoned] = self.last_quote_t[self.abandoned]
        epoch_ms = int(sim.p.epoch_ms)
        rate = sim.p.commission_rate
        trip_km = np.asarray(sim.trip_km)[self.ids]
        return {
            "rider_id": self.ids.tolist(),
            "request_time_s": self.request_t.tolist(),
            "request_at": _timestamps(epoch_ms, self.request_t),
            "pickup_cell": np.asarray(sim.r_cell_list, dtype=np.int64)[self.ids].tolist(),
            "dropoff_cell": np.asarray(sim.r_drop_list, dtype=np.int64)[self.ids].tolist(),
            "trip_km": trip_km.tolist(),
            "quotes": self.quotes.tolist(),
            "outcome": outcome.tolist(),
            "outcome_reason": why.tolist(),
            "surge_multiplier": self.multiplier.tolist(),
            "fare": self.fare.tolist(),
            "accept_time_s": _masked(self.accept_t, self.accepted),
            "match_time_s": _masked(self.match_t, self.matched),
            "pickup_time_s": _masked(self.pickup_t, self.picked),
            "dropoff_time_s": _masked(self.dropoff_t, self.completed),
            "end_time_s": [None if math.isnan(v) else v for v in end.tolist()],
            "wait_for_match_s": _masked(self.match_t - self.accept_t, self.matched),
            "pickup_eta_s": _masked(self.pickup_t - self.match_t, self.picked),
            "trip_duration_s": _masked(self.dropoff_t - self.pickup_t, self.completed),
            "driver_id": [d if d >= 0 else None for d in self.driver.tolist()],
            # The same product as the shard's platform_revenue terms (fare * rate).
            "platform_revenue": [
                f * rate if done else None
                for f, done in zip(self.fare.tolist(), self.completed.tolist(), strict=True)
            ],
        }

    def snapshot_columns(self, online_t: list[float], sim: Any) -> dict[str, list[Any]]:
        steps = int(sim.end_s // SNAPSHOT_INTERVAL_S)
        times = np.arange(steps + 1, dtype=np.float64) * SNAPSHOT_INTERVAL_S
        inf = np.inf
        browsing_end = np.where(
            self.accepted, self.accept_t, np.where(self.abandoned, self.last_quote_t, inf)
        )
        waiting_end = np.where(
            self.matched, self.match_t, np.where(self.cancelled, self.cancel_t, inf)
        )
        awaiting_end = np.where(
            self.picked, self.pickup_t, np.where(self.cancelled, self.cancel_t, inf)
        )
        transit_end = np.where(self.completed, self.dropoff_t, inf)
        browsing = _open_at(times, self.request_t, browsing_end)
        waiting = _open_at(times, self.accept_t[self.accepted], waiting_end[self.accepted])
        awaiting = _open_at(times, self.match_t[self.matched], awaiting_end[self.matched])
        transit = _open_at(times, self.pickup_t[self.picked], transit_end[self.picked])
        online = _reached(times, np.asarray(online_t, dtype=np.float64))
        return {
            "snapshot_index": list(range(steps + 1)),
            "time_s": times.tolist(),
            "snapshot_at": _timestamps(int(sim.p.epoch_ms), times),
            "riders_browsing": browsing.tolist(),
            "riders_waiting": waiting.tolist(),
            "riders_awaiting_pickup": awaiting.tolist(),
            "riders_in_transit": transit.tolist(),
            "riders_completed": _reached(times, self.dropoff_t[self.completed]).tolist(),
            "riders_cancelled": _reached(times, self.cancel_t[self.cancelled]).tolist(),
            "riders_abandoned": _reached(times, self.last_quote_t[self.abandoned]).tolist(),
            "drivers_online": online.tolist(),
            "drivers_idle": (online - awaiting - transit).tolist(),
            "drivers_en_route": awaiting.tolist(),
            "drivers_on_trip": transit.tolist(),
        }


def _reached(times: _FloatArray, at: _FloatArray) -> NDArray[np.int64]:
    """How many of the moments `at` are at or before each time."""
    counts: NDArray[np.int64] = np.searchsorted(np.sort(at), times, side="right").astype(np.int64)
    return counts


def _open_at(times: _FloatArray, start: _FloatArray, end: _FloatArray) -> NDArray[np.int64]:
    """How many intervals [start, end) hold each time."""
    return _reached(times, start) - _reached(times, end)


def _masked(values: _FloatArray, keep: NDArray[np.bool_]) -> list[float | None]:
    return [v if k else None for v, k in zip(values.tolist(), keep.tolist(), strict=True)]


def _timestamps(epoch_ms: int, seconds: _FloatArray) -> list[int]:
    """Wall-clock milliseconds (UTC) of simulated times: epoch_ms + t, floored to the ms."""
    stamps: list[int] = (np.floor(seconds * 1000.0).astype(np.int64) + epoch_ms).tolist()
    return stamps
