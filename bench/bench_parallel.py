"""Benchmark of the local runtime's parallel efficiency.

Runs the same sweep twice in this process:

(a) bare: a loop over the points calling the model directly on one core (no handlers, no
    Parquet, no worker processes) - the least the sweep can cost;
(b) through the local runtime, as `sweep run` does: the parent handler, N spawned worker
    processes running the child handler, Parquet and envelopes in a temporary store.

and prints parallel efficiency = bare time / (run time x workers): 1.0 would be perfect
scaling with zero overhead. The run time is end to end (worker start-up, imports, the grid
each worker builds, Parquet writing, the status scan), like a user sees it; the model time the
workers recorded (sum of compute_ms) shows how much of the gap is overhead and how much is a
slower model under parallel load (shared caches, turbo clocks).

Usage: python bench/bench_parallel.py [--request examples/ride_hailing_sweep.json] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from serverless_sweep.adapters.local.runtime import LocalRuntime, LocalSettings
from serverless_sweep.core.indexing import PointSpace
from serverless_sweep.core.validation import normalize_request
from serverless_sweep.models.base import PointContext
from serverless_sweep.models.registry import default_model_name, get_model

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REQUEST = REPO / "examples" / "ride_hailing_sweep.json"


def bare_seconds(request: dict[str, Any]) -> tuple[float, int]:
    """Every point through the model in a plain loop (after one warm-up point)."""
    normalized = normalize_request(request)
    model = get_model(normalized.get("model") or default_model_name())
    space = PointSpace.from_mapping(normalized["dimensions"])
    seed, run_id = normalized["seed"], normalized["run_id"]
    first = next(iter(space.iter_points(0, 1)))[1]
    model.run_point(first, PointContext(run_id, 0, seed, 0))  # one-time set-up (grid, caches)
    start = time.perf_counter()
    for index, point in space.iter_points(0, space.size):
        model.run_point(point, PointContext(run_id, 0, seed, index))
    return time.perf_counter() - start, space.size


def runtime_seconds(request: dict[str, Any], workers: int, root: Path) -> tuple[float, float]:
    """Wall time of the sweep through LocalRuntime, and the model time the workers recorded."""
    settings = LocalSettings(root=root, workers=workers, max_retries=0)
    start = time.perf_counter()
    with LocalRuntime(settings) as runtime:
        response = runtime.parent.handle(request)
        if response["statusCode"] != 202:
            raise SystemExit(f"the parent answered {response['statusCode']}: {response['body']}")
        runtime.wait()
    elapsed = time.perf_counter() - start
    record = runtime.status.handle(request["run_id"])
    status = json.loads(record["body"])
    if status["state"] != "succeeded":
        raise SystemExit(f"the run did not succeed: {status}")
    compute_ms = sum(
        sum(pq.read_table(path, columns=["compute_ms"]).column(0).to_pylist())
        for path in root.glob("dataset=shard_metrics/*/*/*/*.parquet")
    )
    return elapsed, compute_ms / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--request", type=Path, default=DEFAULT_REQUEST)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    request = json.loads(args.request.read_text())
    request["run_id"] = f"bench-parallel-{os.getpid()}"

    bare, points = bare_seconds(request)
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp:
        run, model_s = runtime_seconds(request, args.workers, Path(tmp))

    efficiency = bare / (run * args.workers)
    workers = f"{args.workers} worker{'s' if args.workers != 1 else ''}"
    print(f"sweep {args.request.name}: {points} points, {workers}")
    print(f"  bare loop, 1 core     {bare:7.2f} s  ({points / bare:.2f} points/s)")
    print(f"  local runtime         {run:7.2f} s  ({points / run:.2f} points/s, end to end)")
    print(f"  model time in workers {model_s:7.2f} s  ({model_s / bare:.2f}x the bare loop)")
    print(f"  speed-up              {bare / run:7.2f}x")
    print(f"  parallel efficiency   {efficiency:7.2f}  (bare / (runtime x workers))")
    busy = model_s / (run * args.workers)
    print(f"  workers busy in model {busy:7.2f}  (model time / (runtime x workers); the rest is")
    print("                                 start-up, Parquet, dispatch and idle tails)")


if __name__ == "__main__":
    main()
