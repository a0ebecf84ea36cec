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

Fairness: `sweep run` is a whole command, so each peer is a whole command too (this script
started again with `--candidate NAME`: its interpreter, its imports, its pool's start-up, the
model imported in its workers, its results written to a file); each is timed from its launch
until it has exited and closed its output. The peers use their library's defaults (fork on
Linux for the two pools: their workers inherit the script's imports; loky for joblib) and hand
out one point per task, which is what a user of a plain pool would write.

CPU: each candidate's user + system CPU, its descendants included. This process makes itself a
child subreaper (Linux) and reaps whatever a candidate leaves behind (a fork server and its
workers, a resource tracker, exit after the command itself), so no candidate's CPU goes
unaccounted because a helper process outlived it. On a machine shared with other work the CPU
figures move less than the wall times: the load average is printed with them.

Rounds interleave the candidates (A B C D E, A B C D E, ...); the figures are medians over
rounds. Every round checks that each candidate produced the same metrics for every point as
`serial` (compute time and bookkeeping columns aside), so a fast wrong answer cannot win.

Prints `parallel: sweep run / best peer = R` (R < 1: sweep run is faster than the best pool)
and the parallel efficiency of each candidate: serial / (candidate x N), then where the wall
time of `sweep run` went (`sweep run --timings json`, medians over rounds).

`--compare-src DIR` adds `sweep@src`, interleaved with the others: the same `sweep run`
importing the package from another source tree (a checkout of main), for before/after figures.
`--compare-start-method spawn` adds `sweep:spawn`: this tree's `sweep run --start-method spawn`.

Usage: python bench/bench_parallel.py [--request FILE] [--workers N] [--rounds R] [--quick]
           [--compare-src DIR] [--compare-start-method M]
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


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(
    argv: list[str], env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run a candidate: (its completed process, wall s until it exited and closed its output,
    CPU s of it and every descendant)."""
    cpu0 = _children_cpu_s()
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    reap_orphans()
    return proc, wall, _children_cpu_s() - cpu0


def _run_sweep(
    request_file: Path,
    run_id: str,
    workers: int,
    tmp: Path,
    src: Path | None = None,
    extra: tuple[str, ...] = (),
) -> tuple[Metrics, float, float, dict[str, Any] | None]:
    """One `sweep run`: (metrics, wall s, CPU s, its --timings document when asked)."""
    store = tmp / f"store-{run_id}"
    code = "from serverless_sweep.cli import main; raise SystemExit(main())"
    argv = [sys.executable, "-c", code, "run", str(request_file), "--run-id", run_id]
    argv += ["--store", str(store), "--workers", str(workers), "--no-progress", "--json", *extra]
    proc, wall, cpu = _timed(argv, candidate_env(src))
    if proc.returncode != 0:
        raise SystemExit(f"sweep run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    timings = None
    if "--timings" in extra:
        timings = json.loads([line for line in proc.stderr.splitlines() if line[:1] == "{"][-1])
    return _sweep_metrics(store), wall, cpu, timings


def _run_peer(
    name: str, request: dict[str, Any], workers: int, tmp: Path
) -> tuple[Metrics, float, float]:
    """One peer, a whole command like `sweep run`: (metrics, wall s, CPU s)."""
    out = tmp / f"{name}.json"
    env = candidate_env(BENCH_PARALLEL_REQUEST=json.dumps(request))
    argv = [sys.executable, __file__, "--candidate", name, "--workers", str(workers)]
    argv += ["--out", str(out)]
    proc, wall, cpu = _timed(argv, env)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    answer = json.loads(out.read_text())
    metrics = {int(k): {c: x for c, x in v.items() if x is not None} for k, v in answer.items()}
    return metrics, wall, cpu


#: (label, where in the --timings document) of the `sweep run` timeline the bench prints.
TIMELINE_MARKS = (
    ("fork server started", "fork server started (preloading the workers' code)"),
    ("main entered", "sweep main entered (interpreter and CLI imported)"),
    ("args parsed", "arguments parsed (command modules imported)"),
    ("pool launched", "worker pool launched"),
    ("submitted", "request submitted (validated, planned, recorded)"),
    ("every shard invoked", "dispatch job done (every shard invoked)"),
    ("all shards finished", "every dispatched shard finished (wait returned)"),
    ("ranked", "best configurations ranked"),
    ("workers stopped", "workers stopped"),
)


def _timeline_figures(doc: dict[str, Any], wall: float) -> dict[str, float]:
    """The moments of one `sweep run` (s since its process started) and its exit, from the
    `--timings json` document and the wall time measured here."""
    marks = {m["what"]: m["at_s"] for m in doc["marks"]}
    figures = {label: marks[what] for label, what in TIMELINE_MARKS if what in marks}
    ready = [w["ready_s"] for w in doc["workers"] if w.get("ready_s") is not None]
    if ready:
        figures["workers ready (first)"] = min(ready)
        figures["workers ready (last)"] = max(ready)
    shards = doc.get("shards") or {}
    for key, label in (("first_start_s", "first shard start"), ("last_end_s", "last shard end")):
        if shards.get(key) is not None:
            figures[label] = shards[key]
    figures["exited (measured outside)"] = wall
    if shards.get("tail_idle_s") is not None:
        figures["tail: worker idle s after its last shard, summed"] = shards["tail_idle_s"]
    figures["cpu s of the sweep process itself"] = doc["cpu_s"]["this_process"]
    return figures


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
    parser.add_argument(
        "--compare-start-method",
        choices=("spawn", "forkserver"),
        help="also run this tree's sweep run with --start-method M, interleaved",
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
    if args.compare_start_method is not None:
        names.insert(1, "sweep:" + args.compare_start_method)
    try:
        import joblib  # noqa: F401
    except ImportError as exc:
        names.remove("joblib")
        print(
            f"joblib: skipped, it cannot be imported here ({exc}); it is the `bench` extra: "
            "pip install -e '.[bench]'"
        )
    subreaper = become_subreaper()
    print(
        "cpu: each candidate's own and its descendants' user + system CPU"
        + ("" if subreaper else " (helpers that outlive a candidate are not counted here)")
    )
    compile_sources(other)
    print("bytecode: caching on for every candidate, sources compiled before the first round")
    times: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    timelines: list[dict[str, float]] = []
    steal = StealMeter()
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp_name:
        tmp = Path(tmp_name)
        request_file = tmp / "request.json"
        request_file.write_text(json.dumps(request))
        points = 0
        for r in range(rounds):
            round_steal = StealMeter()
            answers: dict[str, Metrics] = {}
            for name in names:
                run_id = f"bench-{os.getpid()}-{r}-{name.replace('@', '-').replace(':', '-')}"
                if name == "sweep":
                    metrics, wall, cpu, doc = _run_sweep(
                        request_file, run_id, args.workers, tmp, extra=("--timings", "json")
                    )
                    assert doc is not None
                    timelines.append(_timeline_figures(doc, wall))
                elif name == "sweep@src":
                    metrics, wall, cpu, _ = _run_sweep(
                        request_file, run_id, args.workers, tmp, other
                    )
                elif name.startswith("sweep:"):
                    method = ("--start-method", name.split(":", 1)[1])
                    metrics, wall, cpu, _ = _run_sweep(
                        request_file, run_id, args.workers, tmp, extra=method
                    )
                else:
                    metrics, wall, cpu = _run_peer(name, request, args.workers, tmp)
                answers[name] = metrics
                times[name].append(wall)
                cpus[name].append(cpu)
            points = len(answers["serial"])
            for name, metrics in answers.items():
                problem = _same(answers["serial"], metrics)
                if problem:
                    raise SystemExit(f"{name} disagrees with the serial loop: {problem}")
            line = "  ".join(f"{n} {times[n][-1]:.2f}s" for n in names)
            print(
                f"round {r + 1}/{rounds}: {line}  (load {os.getloadavg()[0]:.2f}, "
                f"{round_steal.text()})",
                flush=True,
            )

    median = {name: statistics.median(values) for name, values in times.items()}
    cpu_median = {name: statistics.median(values) for name, values in cpus.items()}
    w = args.workers
    print(
        f"{points} points, {w} worker{'s' if w != 1 else ''}, {rounds} round(s), "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {steal.text()}; "
        "every candidate's metrics equal the serial loop's for every point"
    )
    print(
        "candidate    median s   points/s   parallel efficiency (serial / (t x workers))"
        "   cpu s (median)"
    )
    for name in names:
        eff = median["serial"] / (median[name] * w)
        print(
            f"{name:<10} {median[name]:9.2f} {points / median[name]:10.2f}   {eff:.3f}"
            f"{cpu_median[name]:>58.2f}"
        )
    peers = [n for n in names if n in PEERS]
    best = min(peers, key=lambda n: median[n])
    print(f"parallel: sweep run / best peer = {median['sweep'] / median[best]:.3f} ({best})")
    print(f"parallel efficiency: sweep run {median['serial'] / (median['sweep'] * w):.3f}")
    print(
        f"cpu: sweep run / best peer = {cpu_median['sweep'] / cpu_median[best]:.3f} ({best}); "
        f"sweep run / serial = {cpu_median['sweep'] / cpu_median['serial']:.3f}"
    )
    if other is not None:
        base = median["sweep@src"]
        print(f"compare: sweep@src is sweep run from {other}")
        print(f"parallel: sweep@src / best peer = {base / median[best]:.3f}")
        print(f"parallel efficiency: sweep@src {median['serial'] / (base * w):.3f}")
        print(f"ratio: sweep run / sweep@src = {median['sweep'] / base:.3f} (time)")
        base_cpu = cpu_median["sweep@src"]
        print(f"ratio: sweep run / sweep@src = {cpu_median['sweep'] / base_cpu:.3f} (cpu)")
    for name in names:
        if name.startswith("sweep:"):
            print(f"ratio: sweep run / {name} = {median['sweep'] / median[name]:.3f} (time)")
            print(f"ratio: sweep run / {name} = {cpu_median['sweep'] / cpu_median[name]:.3f} (cpu)")
    print("sweep run timeline (s since its process started, median over rounds):")
    for label in timelines[0]:
        values = [t[label] for t in timelines if label in t]
        print(f"  {statistics.median(values):8.3f}  {label}")


if __name__ == "__main__":
    main()
