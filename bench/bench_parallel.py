"""Benchmark: `sweep run` against plain process pools on the same points (issue 13).

Every candidate runs in a fresh Python process of its own, timed from outside (interpreter
start, imports, worker start-up, the work, the results), so each pays the same fixed costs a
user pays:

* `sweep`      - `sweep run REQUEST --workers N` (the real CLI: parent handler, worker
                 processes running the child handler, Parquet and envelopes in a temp store);
* `executor`   - `concurrent.futures.ProcessPoolExecutor(N)` mapping the model over the points;
* `mp_pool`    - `multiprocessing.Pool(N).map` over the points;
* `joblib`     - `joblib.Parallel(n_jobs=N)` (the `bench` extra; skipped, saying so, if absent);
* `serial`     - one process, a plain loop: the reference of the parallel efficiency.

Rounds interleave the candidates (A B C D E, A B C D E, ...); the figures are medians over
rounds. Every round checks that each candidate produced the same metrics for every point as
`serial` (compute time and bookkeeping columns aside), so a fast wrong answer cannot win.

Prints `parallel: sweep run / best peer = R` (R < 1: sweep run is faster than the best pool)
and the parallel efficiency of each candidate: serial / (candidate x N).

`--compare-src DIR` adds `sweep@DIR`, interleaved with the others: the same `sweep run`
importing the package from another source tree (a checkout of main), for before/after figures.

Usage: python bench/bench_parallel.py [--request FILE] [--workers N] [--rounds R] [--quick]
           [--compare-src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _candidates import candidate_env, compile_sources  # bench/, on sys.path as the script dir

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REQUEST = REPO / "examples" / "ride_hailing_sweep.json"
PEERS = ("executor", "mp_pool", "joblib")
#: Columns of a shard_metrics row that are not the model's answer for the point.
BOOKKEEPING = {"shard_id", "point_index", "point_seed", "model", "attempt", "compute_ms"}
QUICK_REQUEST: dict[str, Any] = {
    "run_id": "bench-parallel-quick",
    "model": "ride_hailing",
    "dimensions": {
        "num_riders": [40],
        "num_drivers": [6, 12],
        "commission_rate": [0.1, 0.3],
        "match_radius": [4],
    },
    "shard_count": 2,
    "seed": 11,
}

Metrics = dict[int, dict[str, Any]]


# -- inside a candidate process ------------------------------------------------------------------

_POINTS: list[tuple[int, dict[str, Any]]] = []
_SPEC: dict[str, Any] = {}


def _load(request: dict[str, Any]) -> None:
    from serverless_sweep.core.indexing import PointSpace
    from serverless_sweep.core.validation import normalize_request

    normalized = normalize_request(request)
    space = PointSpace.from_mapping(normalized["dimensions"])
    _POINTS[:] = list(space.iter_points(0, space.size))
    _SPEC.update(model=normalized.get("model"), seed=normalized["seed"], run_id=request["run_id"])


def _point(position: int) -> tuple[int, dict[str, Any]]:
    """One point through the model (a worker of a peer pool, or the serial loop)."""
    from serverless_sweep.models.base import PointContext
    from serverless_sweep.models.registry import default_model_name, get_model

    if not _POINTS:  # a spawned worker (joblib's loky, spawn contexts): load the request again
        _load(json.loads(os.environ["BENCH_PARALLEL_REQUEST"]))
    index, point = _POINTS[position]
    model = get_model(_SPEC["model"] or default_model_name())
    context = PointContext(_SPEC["run_id"], 0, _SPEC["seed"], index)
    return index, model.run_point(point, context)


def _candidate(name: str, request: dict[str, Any], workers: int, out: Path) -> None:
    _load(request)
    positions = range(len(_POINTS))
    results: list[tuple[int, dict[str, Any]]]
    if name == "serial":
        results = [_point(p) for p in positions]
    elif name == "executor":
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_point, positions))
    elif name == "mp_pool":
        import multiprocessing

        with multiprocessing.Pool(workers) as mp_pool:
            results = mp_pool.map(_point, positions, chunksize=1)
    elif name == "joblib":
        import joblib

        results = joblib.Parallel(n_jobs=workers)(joblib.delayed(_point)(p) for p in positions)
    else:
        raise SystemExit(f"unknown candidate {name!r}")
    out.write_text(json.dumps({str(i): m for i, m in results}))


# -- the driver ----------------------------------------------------------------------------------


def _sweep_metrics(store: Path) -> Metrics:
    import pyarrow.parquet as pq

    metrics: Metrics = {}
    for path in store.glob("dataset=shard_metrics/**/*.parquet"):
        for row in pq.read_table(path).to_pylist():
            metrics[int(row["point_index"])] = {
                k: v for k, v in row.items() if k not in BOOKKEEPING and v is not None
            }
    return metrics


def _run_sweep(
    request_file: Path, run_id: str, workers: int, tmp: Path, src: Path | None = None
) -> Metrics:
    store = tmp / f"store-{run_id}"
    code = "from serverless_sweep.cli import main; raise SystemExit(main())"
    argv = [sys.executable, "-c", code, "run", str(request_file), "--run-id", run_id]
    argv += ["--store", str(store), "--workers", str(workers), "--no-progress", "--json"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=candidate_env(src), check=False)
    if proc.returncode != 0:
        raise SystemExit(f"sweep run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return _sweep_metrics(store)


def _run_peer(name: str, request: dict[str, Any], workers: int, tmp: Path) -> Metrics:
    out = tmp / f"{name}.json"
    env = candidate_env(BENCH_PARALLEL_REQUEST=json.dumps(request))
    argv = [sys.executable, __file__, "--candidate", name, "--workers", str(workers)]
    argv += ["--out", str(out)]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    answer = json.loads(out.read_text())
    return {int(k): {c: x for c, x in v.items() if x is not None} for k, v in answer.items()}


def _same(a: Metrics, b: Metrics) -> str | None:
    """None when both hold the same metrics for every point, else what differs."""
    if a.keys() != b.keys():
        return f"points differ: {sorted(a.keys() ^ b.keys())[:5]}"
    for index in sorted(a):
        if a[index] != b[index]:
            return f"point {index}: {a[index]} != {b[index]}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--request", type=Path, default=DEFAULT_REQUEST)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="4 tiny points, 1 round (smoke)")
    parser.add_argument(
        "--compare-src",
        type=Path,
        metavar="DIR",
        help="also run sweep run importing the package from DIR (a checkout's src), interleaved",
    )
    parser.add_argument("--candidate", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.candidate:
        request = json.loads(os.environ["BENCH_PARALLEL_REQUEST"])
        _candidate(args.candidate, request, args.workers, args.out)
        return

    if args.quick:
        request, rounds = dict(QUICK_REQUEST), 1
    else:
        request, rounds = json.loads(args.request.read_text()), args.rounds
    request.setdefault("run_id", "bench-parallel")
    names = ["sweep", "serial", "executor", "mp_pool", "joblib"]
    other = None if args.compare_src is None else args.compare_src.resolve()
    if other is not None:
        names.insert(1, "sweep@src")
    try:
        import joblib  # noqa: F401
    except ImportError:
        names.remove("joblib")
        print("joblib: skipped (not installed: pip install -e '.[bench]')")
    compile_sources(other)
    print("bytecode: caching on for every candidate, sources compiled before the first round")
    times: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp_name:
        tmp = Path(tmp_name)
        request_file = tmp / "request.json"
        request_file.write_text(json.dumps(request))
        points = 0
        for r in range(rounds):
            answers: dict[str, Metrics] = {}
            for name in names:
                start = time.perf_counter()
                if name == "sweep":
                    run_id = f"bench-{os.getpid()}-{r}"
                    answers[name] = _run_sweep(request_file, run_id, args.workers, tmp)
                elif name == "sweep@src":
                    run_id = f"bench-{os.getpid()}-{r}-src"
                    answers[name] = _run_sweep(request_file, run_id, args.workers, tmp, other)
                else:
                    answers[name] = _run_peer(name, request, args.workers, tmp)
                times[name].append(time.perf_counter() - start)
            points = len(answers["serial"])
            for name, metrics in answers.items():
                problem = _same(answers["serial"], metrics)
                if problem:
                    raise SystemExit(f"{name} disagrees with the serial loop: {problem}")
            line = "  ".join(f"{n} {times[n][-1]:.2f}s" for n in names)
            print(f"round {r + 1}/{rounds}: {line}", flush=True)

    median = {name: statistics.median(values) for name, values in times.items()}
    w = args.workers
    print(
        f"{points} points, {w} worker{'s' if w != 1 else ''}, {rounds} round(s), "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        "every candidate's metrics equal the serial loop's for every point"
    )
    print("candidate    median s   points/s   parallel efficiency (serial / (t x workers))")
    for name in names:
        eff = median["serial"] / (median[name] * w)
        print(f"{name:<10} {median[name]:9.2f} {points / median[name]:10.2f}   {eff:.3f}")
    peers = [n for n in names if n in PEERS]
    best = min(peers, key=lambda n: median[n])
    print(f"parallel: sweep run / best peer = {median['sweep'] / median[best]:.3f} ({best})")
    print(f"parallel efficiency: sweep run {median['serial'] / (median['sweep'] * w):.3f}")
    if other is not None:
        base = median["sweep@src"]
        print(f"compare: sweep@src is sweep run from {other}")
        print(f"parallel: sweep@src / best peer = {base / median[best]:.3f}")
        print(f"ratio: sweep run / sweep@src = {median['sweep'] / base:.3f} (time)")


if __name__ == "__main__":
    main()
