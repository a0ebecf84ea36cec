"""What issue 11's detail datasets cost: nothing when not asked, little when asked.

Two measurements, in one process:

1. **Not asked.** The simulation's only change is two `recorder is not None` tests (one per
   quote, one per drop-off). The bench counts them per point and times that many tests on a
   real `_Simulation` instance against an empty loop (interleaved, medians), then divides by
   the point's time: an upper bound of the overhead, immune to the machine's noise (an A/B of
   whole points on a shared 2-core machine moves by more than this bound).
2. **Asked.** Whole points with and without the recorder plus building the tables
   (`run_point_detailed` vs `run_point`), interleaved A B A B, medians over rounds; and the
   rows a point writes.

    .venv/bin/python bench/bench_detail_outputs.py            # 8,000 riders, 5 rounds
    .venv/bin/python bench/bench_detail_outputs.py --quick    # 500 riders, 2 rounds
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from serverless_sweep.core.seeding import point_seed_sequence
from serverless_sweep.models.base import PointContext
from serverless_sweep.models.ride_hailing import RideHailingModel, RideHailingParams
from serverless_sweep.models.ride_hailing import sim as sim_module
from serverless_sweep.models.ride_hailing.detail import DetailRecorder
from serverless_sweep.models.ride_hailing.grid import berlin_grid


class _Counter(DetailRecorder):
    """Counts the hook calls of one point."""

    calls = 0

    def quote(self, *args: Any) -> None:
        self.calls += 1

    def dropoff(self, *args: Any) -> None:
        self.calls += 1


def _tests(sim: Any, n: int) -> None:
    for _ in range(n):
        if sim.recorder is not None:
            pass


def _empty(sim: Any, n: int) -> None:
    for _ in range(n):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 riders, 2 rounds")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    riders = 500 if args.quick else 8000
    rounds = args.rounds or (2 if args.quick else 5)
    points = [
        {"num_riders": riders, "num_drivers": riders // 20, "match_radius": 8},
        {"num_riders": riders, "num_drivers": riders // 5, "surge_enabled": True},
    ]
    berlin_grid()
    model = RideHailingModel()
    print(f"{riders} riders per point, {rounds} round(s), load average {os.getloadavg()[0]:.1f}")
    for point in points:
        params = RideHailingParams.from_point(point)
        counter = _Counter()
        sim_module.simulate(params, point_seed_sequence(1, 0), counter)
        sim = sim_module._Simulation(params, point_seed_sequence(1, 0), berlin_grid())
        sim.recorder = None
        hooks: list[float] = []
        plain: list[float] = []
        detailed: list[float] = []
        rows = 0
        for r in range(rounds):
            t0 = time.perf_counter()
            _tests(sim, counter.calls)
            t1 = time.perf_counter()
            _empty(sim, counter.calls)
            t2 = time.perf_counter()
            hooks.append((t1 - t0) - (t2 - t1))
            context = PointContext(run_id="b", shard_id=0, seed=1, point_index=r)
            t0 = time.perf_counter()
            model.run_point(point, context)
            t1 = time.perf_counter()
            _, tables = model.run_point_detailed(point, context, {"trips", "snapshots"})
            t2 = time.perf_counter()
            plain.append(t1 - t0)
            detailed.append(t2 - t1)
            rows = sum(len(next(iter(t.values()))) for t in tables.values())
        hook, base, asked = (statistics.median(v) for v in (hooks, plain, detailed))
        print(
            f"{point}: not asked: {counter.calls} hook tests = {hook * 1000:.3f} ms of "
            f"{base * 1000:.0f} ms per point ({100 * max(hook, 0.0) / base:.3f}%); "
            f"asked: {asked * 1000:.0f} ms, ratio asked/plain = {asked / base:.3f}, "
            f"{rows} detail rows"
        )


if __name__ == "__main__":
    main()
