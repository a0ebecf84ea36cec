"""ride_hailing's detail tables (issue 11): the recorder changes no metric, and the trips and
snapshots agree with the simulation's own state."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest

from serverless_sweep.core.seeding import point_seed_sequence
from serverless_sweep.models.base import PointContext
from serverless_sweep.models.ride_hailing import RideHailingModel, RideHailingParams
from serverless_sweep.models.ride_hailing import sim as sim_module
from serverless_sweep.models.ride_hailing.detail import SNAPSHOT_INTERVAL_S, DetailRecorder
from serverless_sweep.models.ride_hailing.sim import simulate

POINTS: list[dict[str, Any]] = [
    {"num_riders": 300, "num_drivers": 40},
    {"num_riders": 300, "num_drivers": 25, "surge_enabled": True, "commission_rate": 0.2},
    {
        "num_riders": 250,
        "num_drivers": 30,
        "batch_matching_enabled": True,
        "matching_algorithm_type": "hungarian",
        "batch_interval_secs": 30,
    },
    {
        "num_riders": 250,
        "num_drivers": 30,
        "matching_algorithm_type": "cost_based",
        "dynamic_congestion_enabled": True,
        "traffic_profile": "berlin",
        "epoch_ms": 1_700_000_000_000,
    },
    # the horizon ends while riders still wait and ride: horizon cancellations, unresolved ones
    {"num_riders": 400, "num_drivers": 10, "simulation_duration_hours": 1},
]


@pytest.mark.parametrize("point", POINTS)
def test_the_recorder_changes_no_metric(point: dict[str, Any]) -> None:
    model = RideHailingModel()
    context = PointContext(run_id="r", shard_id=0, seed=5, point_index=3)
    values, tables = model.run_point_detailed(point, context, {"trips", "snapshots"})
    assert values == model.run_point(point, context)
    assert set(tables) == {"trip_data", "snapshot_counts"}
    only_trips = model.run_point_detailed(point, context, {"trips"})[1]
    assert set(only_trips) == {"trip_data"} and only_trips["trip_data"] == tables["trip_data"]


class _Keeper(DetailRecorder):
    """Keeps the finished simulation, to compare the tables with its final state."""

    def finish(self, sim: Any) -> None:
        super().finish(sim)
        self.final = sim


@pytest.mark.parametrize("point", POINTS)
def test_trips_and_snapshots_agree_with_the_simulation(point: dict[str, Any]) -> None:
    params = RideHailingParams.from_point(point)
    recorder = _Keeper()
    metrics = simulate(params, point_seed_sequence(5, 3), recorder)
    tables = recorder.tables({"trips", "snapshots"})
    trips, snaps = tables["trip_data"], tables["snapshot_counts"]
    outcome = Counter(trips["outcome"])
    assert outcome["completed"] == metrics.completed_riders
    assert outcome["cancelled"] == metrics.cancelled_riders
    assert outcome["abandoned"] == metrics.abandoned_quote_riders
    assert len(trips["rider_id"]) - outcome["unresolved"] == metrics.total_riders
    reasons = Counter(
        r
        for o, r in zip(trips["outcome"], trips["outcome_reason"], strict=True)
        if o == "abandoned"
    )
    assert reasons["price"] == metrics.riders_abandoned_price
    assert reasons["eta"] == metrics.riders_abandoned_eta
    assert reasons["stochastic"] == metrics.riders_abandoned_stochastic
    revenue = math.fsum(v for v in trips["platform_revenue"] if v is not None)
    assert revenue == pytest.approx(metrics.platform_revenue, rel=1e-12, abs=1e-9)
    assert trips["rider_id"] == sorted(trips["rider_id"])
    waits = [w for w in trips["wait_for_match_s"] if w is not None]
    assert all(w >= 0 for w in waits)
    if metrics.completed_riders:
        mean_ms = (
            1000
            * math.fsum(
                w
                for w, o in zip(trips["wait_for_match_s"], trips["outcome"], strict=True)
                if o == "completed"
            )
            / metrics.completed_riders
        )
        assert mean_ms == pytest.approx(metrics.avg_time_to_match_ms, rel=1e-9)

    sim = recorder.final
    steps = int(sim.end_s // SNAPSHOT_INTERVAL_S)
    assert snaps["snapshot_index"] == list(range(steps + 1))
    assert snaps["snapshot_at"][0] == params.epoch_ms
    # the last snapshot is at the horizon (a multiple of 60 s): the final state of the run
    assert snaps["time_s"][-1] == sim.end_s
    state = Counter(sim.state)
    assert snaps["drivers_idle"][-1] == sim.n_idle
    assert snaps["drivers_online"][-1] == sim.online == metrics.total_drivers
    assert snaps["riders_waiting"][-1] == state[sim_module._WAITING]
    assert snaps["riders_awaiting_pickup"][-1] == state[sim_module._MATCHED]
    assert snaps["riders_in_transit"][-1] == state[sim_module._ONBOARD]
    assert snaps["riders_completed"][-1] == metrics.completed_riders
    assert snaps["riders_abandoned"][-1] == metrics.abandoned_quote_riders
    for name, values in snaps.items():
        if name.startswith(("riders_", "drivers_")):
            assert min(values) >= 0, name
