"""Benchmark: shards per second of `sweep run` on one-point legacy_hash shards (issue 13).

The candidate is `sweep run examples/legacy_hash_load.json` (10,000 points in 10,000 shards,
microseconds of model time each), the real CLI in a fresh process with its own temporary store:
every shard is a validated payload, an invocation through the local invoker, a child handler
in a worker process, a Parquet file and an outcome envelope. The baseline is the least a
plain pool can do with the same points: `ProcessPoolExecutor(N).map` of the model over the
10,000 points, one task per point, in a fresh process. Both are timed from outside (interpreter
start to exit) and interleaved (A B A B ...); the figures are medians over rounds.

Prints `load: sweep run N shards/s (median over R rounds)` and the ratio to the baseline, and
checks that the run stored one success per shard. Also prints each candidate's CPU time per
shard (user + system, of the candidate's process and every process it waited for: the CLI,
its workers), which neighbours on a loaded machine disturb far less than the wall time.
`--compare-src DIR` adds a third candidate, interleaved with the others: the same `sweep run`
importing the package from another source tree (say a checkout of main), so a change is
measured against its baseline in the same run.
`--shards N` runs the first N points only (one-point shards), for a loaded machine.

Usage: python bench/bench_local_load.py [--rounds R] [--workers N] [--quick] [--shards N]
           [--compare-src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _candidates import (  # bench/, on sys.path as the script dir
    StealMeter,
    become_subreaper,
    candidate_env,
    compile_sources,
    reap_orphans,
)

REPO = Path(__file__).resolve().parents[1]
LOAD_REQUEST = REPO / "examples" / "legacy_hash_load.json"
QUICK_SHARDS = 300

_POINTS: list[tuple[int, dict[str, Any]]] = []


def _request(shards: int | None) -> dict[str, Any]:
    """The load example, or its first `shards` points as one-point shards (--quick)."""
    request: dict[str, Any] = json.loads(LOAD_REQUEST.read_text())
    if shards is not None:
        request["dimensions"] = {"commission_rate": list(range(shards))}
        request["shard_count"] = request["max_shards"] = shards
    return request


def _point(position: int) -> dict[str, Any]:
    from serverless_sweep.models.base import PointContext
    from serverless_sweep.models.registry import get_model

    if not _POINTS:
        _load(json.loads(os.environ["BENCH_LOAD_REQUEST"]))
    index, point = _POINTS[position]
    return get_model("legacy_hash").run_point(point, PointContext("bench", index, 42, index))


def _load(request: dict[str, Any]) -> None:
    from serverless_sweep.core.indexing import PointSpace

    space = PointSpace.from_mapping(request["dimensions"])
    _POINTS[:] = list(space.iter_points(0, space.size))


def _baseline(request: dict[str, Any], workers: int) -> None:
    from concurrent.futures import ProcessPoolExecutor

    _load(request)
    with ProcessPoolExecutor(workers) as pool:
        done = sum(1 for _ in pool.map(_point, range(len(_POINTS))))
    if done != len(_POINTS):
        raise SystemExit(f"baseline computed {done} of {len(_POINTS)} points")


def _run_sweep(
    request_file: Path, run_id: str, workers: int, tmp: Path, src: Path | None = None
) -> int:
    store = tmp / f"store-{run_id}"
    code = "from serverless_sweep.cli import main; raise SystemExit(main())"
    argv = [sys.executable, "-c", code, "run", str(request_file), "--run-id", run_id]
    argv += ["--store", str(store), "--workers", str(workers), "--no-progress", "--json"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=candidate_env(src), check=False)
    if proc.returncode != 0:
        raise SystemExit(f"sweep run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return sum(1 for _ in store.glob("dataset=shard_outcomes/**/status=success/*.json"))


class CpuTimer:
    """CPU seconds (user + system) of the child processes waited for during a block."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> CpuTimer:
        self._start = _children_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        reap_orphans()  # a fork server and its workers may outlive the command for a moment
        self.seconds = _children_cpu() - self._start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SHARDS} shards, 1 round")
    parser.add_argument("--shards", type=int, help="the first N points as N one-point shards")
    parser.add_argument(
        "--compare-src",
        type=Path,
        metavar="DIR",
        help="also run sweep run importing the package from DIR (a checkout's src), interleaved",
    )
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        _baseline(json.loads(os.environ["BENCH_LOAD_REQUEST"]), args.workers)
        return

    request = _request(QUICK_SHARDS if args.quick else args.shards)
    rounds = 1 if args.quick else args.rounds
    shards = int(request["shard_count"])
    sweep_s: list[float] = []
    pool_s: list[float] = []
    other_s: list[float] = []
    sweep_cpu: list[float] = []
    pool_cpu: list[float] = []
    other_cpu: list[float] = []
    other = None if args.compare_src is None else args.compare_src.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp_name:
        tmp = Path(tmp_name)
        request_file = tmp / "request.json"
        request_file.write_text(json.dumps(request))
        env = candidate_env(BENCH_LOAD_REQUEST=json.dumps(request))
        steal = StealMeter()
        subreaper = become_subreaper()
        print(
            "cpu: each candidate's own and its descendants' user + system CPU"
            + ("" if subreaper else " (helpers that outlive a candidate are not counted here)")
        )
        compile_sources(other)
        print("bytecode: caching on for every candidate, sources compiled before the first round")
        for r in range(rounds):
            round_steal = StealMeter()
            start = time.perf_counter()
            with CpuTimer() as cpu:
                stored = _run_sweep(
                    request_file, f"bench-load-{os.getpid()}-{r}", args.workers, tmp
                )
            sweep_s.append(time.perf_counter() - start)
            sweep_cpu.append(cpu.seconds)
            if stored != shards:
                raise SystemExit(f"sweep run stored {stored} successes for {shards} shards")
            start = time.perf_counter()
            argv = [sys.executable, __file__, "--baseline", "--workers", str(args.workers)]
            with CpuTimer() as cpu:
                subprocess.run(argv, env=env, check=True)
            pool_s.append(time.perf_counter() - start)
            pool_cpu.append(cpu.seconds)
            extra = ""
            if other is not None:
                start = time.perf_counter()
                run_id = f"bench-load-{os.getpid()}-{r}-other"
                with CpuTimer() as cpu:
                    stored = _run_sweep(request_file, run_id, args.workers, tmp, other)
                other_s.append(time.perf_counter() - start)
                other_cpu.append(cpu.seconds)
                if stored != shards:
                    raise SystemExit(f"sweep run ({other}) stored {stored} of {shards} successes")
                extra = f", sweep run from {other} {other_s[-1]:.2f} s ({other_cpu[-1]:.1f} s CPU)"
            print(
                f"round {r + 1}/{rounds}: sweep run {sweep_s[-1]:.2f} s ({sweep_cpu[-1]:.1f} s "
                f"CPU), pool {pool_s[-1]:.2f} s ({pool_cpu[-1]:.1f} s CPU)"
                + extra
                + f" ({round_steal.text()})",
                flush=True,
            )
    sweep, pool = statistics.median(sweep_s), statistics.median(pool_s)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{shards} one-point legacy_hash shards, {args.workers} workers, {rounds} round(s), "
        f"load average {load}, {steal.text()}"
    )
    print(f"load: sweep run {shards / sweep:.0f} shards/s ({sweep:.2f} s, median)")
    print(f"baseline: ProcessPoolExecutor.map {shards / pool:.0f} points/s ({pool:.2f} s, median)")
    print(f"ratio: sweep run / plain pool time = {sweep / pool:.2f}")
    per_shard_ms = 1000.0 * statistics.median(sweep_cpu) / shards
    print(
        f"cpu: sweep run {per_shard_ms:.2f} ms per shard, plain pool "
        f"{1000.0 * statistics.median(pool_cpu) / shards:.2f} ms per point (median, user + system)"
    )
    if other_s:
        base = statistics.median(other_s)
        other_ms = 1000.0 * statistics.median(other_cpu) / shards
        print(f"compare: sweep run from {other} {shards / base:.0f} shards/s ({base:.2f} s)")
        print(f"ratio: sweep run / sweep run from {other} = {sweep / base:.2f} (time)")
        print(f"cpu: sweep run from {other} {other_ms:.2f} ms per shard")
        print(f"ratio: sweep run / sweep run from {other} = {per_shard_ms / other_ms:.2f} (CPU)")


if __name__ == "__main__":
    main()
