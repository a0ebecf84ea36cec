"""Benchmark: best configurations of the 10,000-shard example, compacted vs per-shard (issue 11).

Builds (or reuses, `--store`) a store holding `examples/legacy_hash_load.json` (10,000 points in
10,000 one-point shards, run by the real `sweep run`, which compacts the run when its last
shard commits), then times the health-score ranking that `sweep results` prints, both ways,
in this process, interleaved (A B A B ...), medians over rounds:

* A, per-shard (the path before compaction): `open_duckdb` (views over every committed file,
  each checked against its envelope) and `health_scores` over ``shard_metrics``;
* B, compacted: `ranked_points`, which reads the run's compaction record, checks its few
  run_metrics files and ranks over ``run_metrics``.

Both rankings are checked to be equal (same points, same scores) before any figure is printed.
Prints the medians, the ratio and whether B is under the issue's 0.5 s target.

`--hook` measures instead what the completion tracking costs the child: the same one-point
legacy_hash shards delivered to a ChildHandler over a local store (fsync on, as `sweep run`),
with the hook replaced by a no-op (A) and with it (B: a marker PUT and a LIST per shard, plus
the run's compaction by the last one), interleaved, fresh runs each round, medians.

Usage: python bench/bench_results.py [--store DIR] [--rounds R] [--hook [--shards N]]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOAD_REQUEST = REPO / "examples" / "legacy_hash_load.json"
RUN_ID = "legacy-hash-load"
TARGET_S = 0.5


def _build(store: Path) -> None:
    sweep = Path(sys.executable).with_name("sweep")
    print(f"building the store: sweep run {LOAD_REQUEST.name} (10,000 shards) ...", flush=True)
    subprocess.run(
        [str(sweep), "run", str(LOAD_REQUEST), "--store", str(store)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--store", type=Path, help="a store holding the example (else built)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hook", action="store_true", help="measure the child's hook instead")
    parser.add_argument("--shards", type=int, default=300, help="shards per run with --hook")
    args = parser.parse_args()
    if args.hook:
        return hook_overhead(args.rounds, args.shards)

    from serverless_sweep.adapters.local.analytics import (
        health_scores,
        open_duckdb,
        ranked_points,
    )
    from serverless_sweep.adapters.local.store import LocalObjectStore
    from serverless_sweep.core.keys import StorageLayout
    from serverless_sweep.handlers.compaction import committed_record, compact_run
    from serverless_sweep.handlers.runs import find_run

    with tempfile.TemporaryDirectory(prefix="bench-results-") as tmp:
        root = args.store or Path(tmp) / "store"
        if not (root / "run_index").is_dir():
            _build(root)
        store, layout = LocalObjectStore(root), StorageLayout("")
        record = find_run(store, layout, RUN_ID)
        if record is None:
            print(f"no run {RUN_ID!r} in {root}", file=sys.stderr)
            return 1
        compaction = committed_record(store, layout, record) or compact_run(store, layout, record)
        print(
            f"run {RUN_ID}: {len(record.shards)} shards, {record.total_points} points; "
            f"run_metrics: {len(compaction.parts)} file(s), {compaction.rows} rows"
        )

        def per_shard() -> list[dict[str, object]]:
            con = open_duckdb(root)
            try:
                return health_scores(con, RUN_ID, record.model, limit=10)
            finally:
                con.close()

        def compacted() -> list[dict[str, object]]:
            rows, view = ranked_points(root, record, limit=10)
            assert view == "run_metrics", view
            return rows

        a, b = per_shard(), compacted()
        assert [(r["point_index"], r["health_score"]) for r in a] == [
            (r["point_index"], r["health_score"]) for r in b
        ], "the two paths rank differently"

        times: dict[str, list[float]] = {"per-shard": [], "compacted": []}
        for _ in range(args.rounds):
            for name, fn in (("per-shard", per_shard), ("compacted", compacted)):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        med_a = statistics.median(times["per-shard"])
        med_b = statistics.median(times["compacted"])
        print(f"best configurations, per-shard files (A): {med_a:.3f} s median of {args.rounds}")
        print(f"best configurations, run_metrics (B):     {med_b:.3f} s median of {args.rounds}")
        print(f"ratio A/B: {med_a / med_b:.1f}x; B under {TARGET_S} s: {med_b < TARGET_S}")
    return 0


def hook_overhead(rounds: int, shards: int) -> int:
    import json

    from serverless_sweep.adapters.local.store import LocalObjectStore
    from serverless_sweep.adapters.memory import RecordingInvoker
    from serverless_sweep.handlers import child as child_module
    from serverless_sweep.handlers.child import ChildConfig, ChildHandler
    from serverless_sweep.handlers.compaction import committed_record
    from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
    from serverless_sweep.handlers.runs import find_run

    real_hook = child_module.compact_if_complete
    times: dict[str, list[float]] = {"no hook": [], "hook": []}
    with tempfile.TemporaryDirectory(prefix="bench-hook-") as tmp:
        store = LocalObjectStore(Path(tmp))
        config = ParentConfig(child_function="c", default_model="legacy_hash", results_prefix="")
        child = ChildHandler(store, ChildConfig(results_prefix="", default_model="legacy_hash"))
        for round_index in range(rounds):
            for name in ("no hook", "hook"):
                invoker = RecordingInvoker()
                run_id = f"hook-{round_index}-{name.replace(' ', '-')}"
                request = {
                    "run_id": run_id,
                    "model": "legacy_hash",
                    "dimensions": {"i": list(range(shards))},
                    "shard_count": shards,
                    "seed": 1,
                }
                ParentHandler(invoker=invoker, store=store, config=config).submit(request)
                payloads = [json.loads(call.payload) for call in invoker.calls]
                child_module.compact_if_complete = (  # type: ignore[assignment]
                    real_hook if name == "hook" else (lambda *a, **k: None)
                )
                t0 = time.perf_counter()
                for payload in payloads:
                    child.handle(payload)
                times[name].append((time.perf_counter() - t0) / shards)
                record = find_run(store, child.layout, run_id)
                assert record is not None
                compacted = committed_record(store, child.layout, record) is not None
                assert compacted == (name == "hook"), name
        child_module.compact_if_complete = real_hook  # type: ignore[assignment]
    a, b = statistics.median(times["no hook"]), statistics.median(times["hook"])
    print(
        f"child per shard, hook a no-op (A): {a * 1000:.2f} ms median of {rounds} runs of {shards}"
    )
    print(f"child per shard, with the hook (B): {b * 1000:.2f} ms (incl. the run's compaction)")
    print(f"overhead B/A: {b / a:.2f}x ({(b - a) * 1000:.2f} ms per shard)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
