"""What decoding one shard of a sampled or excluded space costs (issue 14), next to the grid.

Each case decodes the last `--shard` points of a 200,000-point space (the contract's largest)
in a fresh SweepSpace, as a child does for its shard: the grid (baseline, the v1 decode) and the
candidates are measured interleaved A B A B, CPU time, medians over rounds, and printed with
their ratio to the grid. Latin hypercube is shown twice: the first shard of a process (draws
the count-long permutations) and a later shard of the same worker (cached). `parent count`
is what the parent pays to count the kept points of an excluded grid before dispatch.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from serverless_sweep.core import sampling
from serverless_sweep.core.space import SweepSpace

POINTS = 200_000
RANGES = {
    "a": {"min": 0.0, "max": 1.0, "log": False, "integer": False},
    "b": {"min": 1.0, "max": 100.0, "log": True, "integer": False},
    "c": {"min": 1, "max": 5000, "log": False, "integer": True},
}
GRID = {"d0": list(range(20)), "d1": list(range(100)), "d2": list(range(100))}
EXCLUDE = [{"d0": i, "d1": (7 * i) % 100} for i in range(20)] + [{"d2": 13}]


def decode(space_factory: Callable[[], SweepSpace], shard: int) -> Callable[[], int]:
    def run() -> int:
        space = space_factory()
        return sum(1 for _ in space.iter_points(space.size - shard, space.size))

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--shard", type=int, default=100, help="points per shard (default 100)")
    args = parser.parse_args(argv)

    def sampled(method: str) -> Callable[[], SweepSpace]:
        return lambda: SweepSpace({}, {"method": method, "count": POINTS, "seed": 1}, RANGES)

    def lhs_cold() -> SweepSpace:
        sampling._latin_hypercube.cache_clear()
        return sampled("latin_hypercube")()

    cases: dict[str, Callable[[], int]] = {
        "grid (v1 decode)": decode(lambda: SweepSpace(GRID), args.shard),
        "grid + exclude": decode(lambda: SweepSpace(GRID, exclude=EXCLUDE), args.shard),
        "sobol": decode(sampled("sobol"), args.shard),
        "random": decode(sampled("random"), args.shard),
        "latin_hypercube, first shard": decode(lhs_cold, args.shard),
        "latin_hypercube, cached": decode(sampled("latin_hypercube"), args.shard),
        "parent count (grid + exclude)": lambda: SweepSpace(GRID, exclude=EXCLUDE).size,
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(max(1, args.rounds)):
        for name, case in cases.items():  # interleaved: every case once per round
            start = time.process_time()
            case()
            times[name].append(time.process_time() - start)
    base = statistics.median(times["grid (v1 decode)"])
    print(f"decode of a {args.shard}-point shard of a {POINTS}-point space, CPU ms, "
          f"median of {args.rounds} (ratio to the grid decode)")  # fmt: skip
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:<32} {median * 1000:9.2f} ms  {median / base:8.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
