"""Benchmark of the ride_hailing model on one core: ms per point across a size ladder.

Candidate: the model as installed. Baseline: the simulation as it is at a git ref, by default
the dense implementation before issue 13 (commit 833a1f1, full rider x driver matrices and
scipy's `linear_sum_assignment`); `--compare-src main` (or any ref) compares with that ref's
code instead, e.g. main's while working on a branch. The ref's own modules (sim.py and, where
it has them, grid.py, assignment.py, _seeding.py) are loaded from git into a private package,
so both run in this one process, each on its own grid and solver. Each round runs every size
for both, baseline first in even rounds and candidate first in odd ones (A B, B A, ...); the
figure of a size is the median over rounds, and `paired` the median of each round's own
candidate / baseline ratio (the two ran back to back, so a change of load between rounds
cancels out). Times are CPU time of this process (`time.process_time`): on a shared machine
other processes disturb them far less than wall-clock time (though they still share the
caches), and the model is single-threaded, so CPU time is what a point costs.

Printed per size: ms per point of both, candidate / baseline, whether both computed the same
rows (they differ only where a Hungarian batch has several optimal assignments of equal cost,
see `_hungarian` in the model), the growth exponent between neighbouring sizes
(log(ms ratio) / log(size ratio); 1 = linear), and the ratios issue 13 sets targets for:
32k x 6.4k against 500 x 100 (at most 70x) and 64k x 12.8k against 32k x 6.4k (at most 2.2x).
`--city` adds one 100k x 20k point, `--memory` the peak memory of one point per size (each in
a fresh subprocess: its peak RSS, VmHWM, after the point minus before it; Linux only),
`--handler` the child handler's overhead outside the model.

Usage: python bench/bench_model.py [--rounds R] [--sizes 500x100,2000x400] [--radius 4]
           [--compare-src REF | --no-baseline] [--baseline-max-riders N]
           [--city] [--memory] [--handler]
"""

from __future__ import annotations

import os

# One core, no hidden BLAS/OpenMP threads (set before numpy is imported).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from itertools import pairwise  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

from _candidates import StealMeter  # noqa: E402  (bench/, on sys.path as the script dir)

from serverless_sweep.core.seeding import point_seed_sequence  # noqa: E402
from serverless_sweep.models.ride_hailing.grid import berlin_grid  # noqa: E402
from serverless_sweep.models.ride_hailing.params import RideHailingParams  # noqa: E402
from serverless_sweep.models.ride_hailing.sim import simulate  # noqa: E402

SEED = 12345
REPO = Path(__file__).resolve().parents[1]
MODEL_DIR = "src/serverless_sweep/models/ride_hailing"
MODEL_MODULES = ("sim", "grid", "assignment", "_seeding")  # the simulation's own modules
_LOADED: list[ModuleType] = []
BASELINE_REF = "833a1f1"  # last commit with the dense implementation
LADDER = "500x100,2000x400,8000x1600,32000x6400,64000x12800"
TARGETS = (  # (numerator, denominator, target) from issue 13
    ((32000, 6400), (500, 100), 70.0),
    ((64000, 12800), (32000, 6400), 2.2),
)
CITY = (100_000, 20_000)

Simulate = Callable[[RideHailingParams, Any], Any]


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to cpu {cpu}"
    return "not pinned (no sched_setaffinity)"


def load_baseline(ref: str) -> tuple[ModuleType | None, str]:
    """The simulation as it was at git ref `ref`, as a private package, or None and why not.

    Its own modules (sim.py and, where the ref has them, grid.py, assignment.py and
    _seeding.py) are copied out of git into a temporary package whose imports of each other
    are rewritten to point inside it, so the baseline runs its own grid and solver, not the
    candidate's; the parameter class (params.py, not part of the simulation's speed) is shared.
    """
    folder = Path(tempfile.mkdtemp(prefix="bench-model-"))
    package = f"_baseline_ride_hailing_{len(_LOADED)}"
    (folder / package).mkdir()
    (folder / package / "__init__.py").write_text("")
    found = []
    for name in MODEL_MODULES:
        try:
            source = subprocess.run(
                ["git", "-C", str(REPO), "show", f"{ref}:{MODEL_DIR}/{name}.py"],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout
        except subprocess.CalledProcessError as error:
            if name == "sim":
                return None, f"git show {ref}:{MODEL_DIR}/sim.py failed ({error.stderr.strip()})"
            continue  # an older ref without this module: the baseline never imports it
        except (OSError, subprocess.SubprocessError) as error:
            return None, f"git show {ref}:{MODEL_DIR}/sim.py failed ({error})"
        found.append(name)
        (folder / package / f"{name}.py").write_text(source)
    own = re.compile(r"serverless_sweep\.models\.ride_hailing\.(" + "|".join(found) + r")\b")
    for name in found:
        path = folder / package / f"{name}.py"
        path.write_text(own.sub(package + r".\1", path.read_text()))
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(f"{package}.sim")
    except ImportError as error:  # the dense baseline needs scipy, a dev dependency
        return None, f"the baseline needs {error.name or error}"
    finally:
        sys.path.remove(str(folder))
    _LOADED.append(module)
    return module, f"{'+'.join(found)} at {ref}"


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        riders, drivers = item.lower().split("x")
        sizes.append((int(riders), int(drivers)))
    return sizes


def params_for(riders: int, drivers: int, radius: int) -> RideHailingParams:
    return RideHailingParams.from_point(
        {"num_riders": riders, "num_drivers": drivers, "match_radius": radius}
    )


def points_per_round(riders: int) -> int:
    """Small sizes run several points per round so that a round is not a few ms."""
    return max(1, min(8, round(4000 / max(riders, 1))))


def one_round(
    fn: Simulate, params: RideHailingParams, points: int, first_index: int
) -> tuple[float, list[dict[str, Any]]]:
    """CPU seconds per point over `points` points, and their metrics."""
    rows = []
    start = time.process_time()
    for i in range(points):
        rows.append(fn(params, point_seed_sequence(SEED, first_index + i)).as_dict())
    return (time.process_time() - start) / points, rows


def exponent(a: tuple[int, float], b: tuple[int, float]) -> float:
    return math.log(b[1] / a[1]) / math.log(b[0] / a[0])


def ladder(args: argparse.Namespace, baseline: ModuleType | None) -> None:
    sizes = parse_sizes(args.sizes)
    params = {size: params_for(*size, args.radius) for size in sizes}
    samples: dict[str, dict[tuple[int, int], list[float]]] = {"new": {}, "old": {}}
    equal: dict[tuple[int, int], list[bool]] = {size: [] for size in sizes}
    for r in range(args.rounds):
        for size in sizes:
            points = points_per_round(size[0])
            index = r * points
            old_rows = None
            with_baseline = baseline is not None and size[0] <= args.baseline_max_riders
            # A B in even rounds, B A in odd ones: neither side always runs first.
            for side in ("old", "new") if r % 2 == 0 else ("new", "old"):
                if side == "old" and with_baseline:
                    assert baseline is not None
                    s, old_rows = one_round(baseline.simulate, params[size], points, index)
                    samples["old"].setdefault(size, []).append(s)
                elif side == "new":
                    s, new_rows = one_round(simulate, params[size], points, index)
                    samples["new"].setdefault(size, []).append(s)
            if old_rows is not None:
                equal[size].extend(a == b for a, b in zip(old_rows, new_rows, strict=True))
        print(f"  round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)

    median = {
        name: {size: statistics.median(v) * 1e3 for size, v in runs.items()}
        for name, runs in samples.items()
    }
    print(
        f"\nms per point (CPU, median of {args.rounds} rounds), radius {args.radius}, "
        "riders x drivers:"
    )
    print(
        f"{'size':>13s} {'baseline':>10s} {'candidate':>10s} {'cand/base':>10s} "
        f"{'paired':>7s}  same rows"
    )
    for size in sizes:
        new = median["new"][size]
        old = median["old"].get(size)
        same = equal[size]
        line = f"{size[0]:>6d}x{size[1]:<6d} "
        if old is None:
            line += f"{'-':>10s} {new:10.1f} {'-':>10s} {'-':>7s}"
        else:
            # paired: the median of each round's own ratio (the two ran back to back there,
            # so a change of load between rounds cancels out).
            runs = zip(samples["new"][size], samples["old"][size], strict=True)
            paired = statistics.median(n / o for n, o in runs)
            line += (
                f"{old:10.1f} {new:10.1f} {new / old:9.2f}x {paired:6.2f}x  {sum(same)}/{len(same)}"
            )
        print(line)

    for name, label in (("new", "candidate"), ("old", "baseline")):
        points = [(size[0], median[name][size]) for size in sizes if size in median[name]]
        if len(points) < 2:
            continue
        steps = ", ".join(f"{a[0]}->{b[0]}: {exponent(a, b):.2f}" for a, b in pairwise(points))
        xs = [math.log(p[0]) for p in points]
        ys = [math.log(p[1]) for p in points]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mx) ** 2 for x in xs
        )
        print(f"growth exponent, {label}: {steps}; fit {slope:.2f}")

    for top, bottom, target in TARGETS:
        for name, label in (("new", "candidate"), ("old", "baseline")):
            runs = median[name]
            if top in runs and bottom in runs:
                ratio = runs[top] / runs[bottom]
                verdict = "met" if ratio <= target else "NOT met"
                suffix = f" (target <= {target:g}: {verdict})" if name == "new" else ""
                # Within each round the two sizes ran a few seconds apart, so the ratio of
                # that round's own times is less exposed to the load changing between rounds
                # than the ratio of two medians taken over different rounds.
                own = [
                    a / b for a, b in zip(samples[name][top], samples[name][bottom], strict=True)
                ]
                print(
                    f"ratio {label}: {top[0]}x{top[1]} / {bottom[0]}x{bottom[1]} "
                    f"= {ratio:.2f}x{suffix}; per round {statistics.median(own):.2f}x "
                    f"(median; {min(own):.2f}-{max(own):.2f})"
                )


MEMORY_PROBE = """
import json, sys, time
from serverless_sweep.core.seeding import point_seed_sequence
from serverless_sweep.models.ride_hailing.grid import berlin_grid
from serverless_sweep.models.ride_hailing.params import RideHailingParams
from serverless_sweep.models.ride_hailing.sim import simulate

def peak_kb():  # VmHWM: this process's peak RSS (ru_maxrss would include the parent's)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

berlin_grid()
simulate(RideHailingParams(num_riders=50, num_drivers=10), point_seed_sequence(1, 0))
before = peak_kb()
params = RideHailingParams.from_point(json.loads(sys.argv[1]))
start = time.process_time()
simulate(params, point_seed_sequence(SEED, 0))
seconds = time.process_time() - start
after = peak_kb()
print(json.dumps({"before_kb": before, "after_kb": after, "cpu_s": seconds}))
""".replace("SEED", str(SEED))


def probe(point: dict[str, Any]) -> dict[str, float]:
    """One point in a fresh interpreter: peak RSS before and after, CPU seconds."""
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, json.dumps(point)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(proc.stdout)
    return result


def memory(args: argparse.Namespace) -> None:
    print("\nmemory per point (fresh process; peak RSS growth over an idle model):")
    for riders, drivers in parse_sizes(args.sizes):
        point = {"num_riders": riders, "num_drivers": drivers, "match_radius": args.radius}
        r = probe(point)
        print(
            f"{riders:>6d}x{drivers:<6d} +{(r['after_kb'] - r['before_kb']) / 1024:7.1f} MB "
            f"(peak {r['after_kb'] / 1024:.0f} MB)"
        )


def city(args: argparse.Namespace) -> None:
    riders, drivers = CITY
    print(f"\ncity point, {riders} x {drivers} (candidate only, fresh process, one point):")
    cases = (
        ("radius 4, hungarian every 5 s", {"match_radius": args.radius}),
        ("issue 7's request: hungarian every 3,600 s", {"batch_interval_secs": 3600}),
    )
    for label, extra in cases:
        r = probe({"num_riders": riders, "num_drivers": drivers} | extra)
        print(
            f"  {label}: {r['cpu_s'] * 1e3:,.0f} ms, peak RSS {r['after_kb'] / 1024:.0f} MB "
            f"(+{(r['after_kb'] - r['before_kb']) / 1024:.0f} MB for the point)"
        )


def handler_overhead(points: int, rounds: int) -> None:
    """Share of a child invocation spent outside the model (payload checks, Parquet, store)."""
    import pyarrow.parquet as pq

    from serverless_sweep.adapters.local.store import LocalObjectStore
    from serverless_sweep.handlers.child import ChildConfig, ChildHandler

    print()
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
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median is shown)")
    parser.add_argument("--sizes", default=LADDER, help="riders x drivers, comma separated")
    parser.add_argument("--radius", type=int, default=4, help="match_radius of every size")
    parser.add_argument(
        "--baseline-ref",
        "--compare-src",
        dest="baseline_ref",
        default=BASELINE_REF,
        help="git ref whose simulation is the baseline (default: the dense one; "
        "--compare-src main compares with main's code)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="candidate only")
    parser.add_argument(
        "--baseline-max-riders",
        type=int,
        default=10**9,
        help="skip the baseline above this many riders (it is quadratic)",
    )
    parser.add_argument("--city", action="store_true", help="also one 100k x 20k point")
    parser.add_argument("--memory", action="store_true", help="also memory per point")
    parser.add_argument("--handler", action="store_true", help="also the child handler overhead")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin to one CPU (off by default: on a shared machine "
        "every pinned run would land on the same CPU; CPU time needs no pinning)",
    )
    args = parser.parse_args()

    pinned = pin_to_one_core() if args.pin else "not pinned"
    print(f"ride_hailing model benchmark, {pinned}, CPU time per point")
    start = time.perf_counter()
    berlin_grid()
    print(f"grid build (once per process): {(time.perf_counter() - start) * 1e3:.0f} ms")
    baseline: ModuleType | None = None
    if args.no_baseline:
        print("baseline: none (--no-baseline)")
    else:
        baseline, why = load_baseline(args.baseline_ref)
        print(f"baseline: {why}" if baseline else f"baseline: unavailable, {why}")
    warm = RideHailingParams(num_riders=20, num_drivers=5)
    simulate(warm, point_seed_sequence(SEED, 0))  # warm caches and imports
    if baseline is not None:
        baseline.simulate(warm, point_seed_sequence(SEED, 0))

    print(f"load average at start: {load_text()}")
    steal = StealMeter()
    ladder(args, baseline)
    if args.memory:
        memory(args)
    if args.city:
        city(args)
    if args.handler:
        handler_overhead(10, args.rounds)
    print(f"\nload average at end: {load_text()}; during the bench: {steal.text()}")


def load_text() -> str:
    """The 1, 5 and 15 minute load averages: on a shared machine they say how far to trust
    the figures (CPU time is less disturbed than wall time, but the caches are shared)."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


if __name__ == "__main__":
    main()
