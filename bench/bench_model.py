"""Benchmark of the ride_hailing model on one core.

Prints ms per point and points per second for the default scenario (500 riders, 100 drivers,
hungarian batch matching every 5 s, 3 h) and the large one (2,000 riders, 400 drivers), each
also as a ratio against baselines measured in this same process (machines are noisy; ratios
travel better than absolute times):

* `x ref`: against a fixed pure-Python reference loop (a heapq event loop doing the kind of
  work the simulation does), so "default = 2.0x ref" means a point costs two reference loops;
* the large scenario also against the default one.

Usage: python bench/bench_model.py [--points N] [--rounds R]
"""

from __future__ import annotations

import os

# One core, no hidden BLAS/OpenMP threads (set before numpy is imported).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import heapq  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Mapping  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pyarrow.parquet as pq  # noqa: E402

from serverless_sweep.adapters.local.store import LocalObjectStore  # noqa: E402
from serverless_sweep.handlers.child import ChildConfig, ChildHandler  # noqa: E402
from serverless_sweep.models.base import PointContext  # noqa: E402
from serverless_sweep.models.ride_hailing import RideHailingModel  # noqa: E402
from serverless_sweep.models.ride_hailing.grid import berlin_grid  # noqa: E402

SEED = 12345
SCENARIOS: dict[str, dict[str, Any]] = {
    "default": {},  # 500 riders, 100 drivers, hungarian, batch every 5 s, 3 h
    "large": {"num_riders": 2000, "num_drivers": 400},
}


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to cpu {cpu}"
    return "not pinned (no sched_setaffinity)"


def reference_loop(events: int = 100_000) -> float:
    """Fixed pure-Python work: a heapq event loop with float arithmetic."""
    heap = [(float((i * 7919) % 1000), i) for i in range(1000)]
    heapq.heapify(heap)
    acc = 0.0
    for _ in range(events):
        t, i = heapq.heappop(heap)
        acc += t * 0.5
        heapq.heappush(heap, (t + (i % 13) + 1.0, i))
    return acc


def seconds_per_call(fn: Callable[[], object], calls: int, rounds: int) -> float:
    """Median over rounds of the mean time of `calls` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def seconds_per_point(
    model: RideHailingModel, point: Mapping[str, Any], points: int, rounds: int
) -> float:
    samples = []
    for r in range(rounds):
        start = time.perf_counter()
        for i in range(points):
            model.run_point(point, PointContext("bench", 0, SEED, r * points + i))
        samples.append((time.perf_counter() - start) / points)
    return statistics.median(samples)


def child_handler_overhead(points: int, rounds: int) -> None:
    """Share of a child invocation spent outside the model (payload checks, Parquet, store).

    A whole shard goes through the real child handler into a real local store (a temp folder):
    the time inside the model is the sum of the shard's own `compute_ms` column, the rest is the
    handler's overhead. Shown for the default ride_hailing point and for legacy_hash, whose
    points cost microseconds, so there the overhead is nearly everything.
    """
    for model, dimensions in (
        ("ride_hailing", {"commission_rate": [i / 100 for i in range(points)]}),
        ("legacy_hash", {"a": list(range(points * 100))}),
    ):
        size = len(next(iter(dimensions.values())))
        totals, inside = [], []
        with tempfile.TemporaryDirectory() as root:
            store = LocalObjectStore(Path(root))
            handler = ChildHandler(store=store, config=ChildConfig(results_prefix=""))
            for r in range(rounds):
                payload = {
                    "run_id": f"bench-{model}-{r}",
                    "dimensions": dimensions,
                    "total_points": size,
                    "shard_id": 0,
                    "start_index": 0,
                    "end_index": size,
                    "seed": SEED,
                    "failure_injection_shards": [],
                    "model": model,
                    "run_date": "2026-11-27",
                }
                start = time.perf_counter()
                result = handler.handle(payload)
                totals.append(time.perf_counter() - start)
                table = pq.read_table(store.path_for(result["metrics_key"]))
                inside.append(sum(table.column("compute_ms").to_pylist()) / 1e3)
        total, model_s = statistics.median(totals), statistics.median(inside)
        print(
            f"child handler, {model:12s} shard of {size:5d} points: "
            f"{total / size * 1e3:7.3f} ms/point end to end, "
            f"{1 - model_s / total:5.1%} of the time outside the model"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10, help="points per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (the median is shown)")
    args = parser.parse_args()

    print(f"ride_hailing model benchmark, {pin_to_one_core()}")
    start = time.perf_counter()
    berlin_grid()
    print(f"grid build (once per process): {(time.perf_counter() - start) * 1e3:.0f} ms")

    model = RideHailingModel()
    model.run_point({}, PointContext("bench", 0, SEED, 0))  # warm caches and imports

    ref_s = seconds_per_call(reference_loop, calls=3, rounds=args.rounds)
    print(f"reference loop (baseline): {ref_s * 1e3:.1f} ms")

    results: dict[str, float] = {}
    for name, point in SCENARIOS.items():
        per_point = seconds_per_point(model, point, args.points, args.rounds)
        results[name] = per_point
        line = (
            f"{name:8s} {per_point * 1e3:8.1f} ms/point {1 / per_point:8.1f} points/s"
            f"  = {per_point / ref_s:5.2f}x ref"
        )
        if name != "default":
            line += f"  = {per_point / results['default']:5.2f}x default"
        print(line)

    child_handler_overhead(args.points, args.rounds)


if __name__ == "__main__":
    main()
