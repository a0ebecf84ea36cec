"""Benchmark of the parent's fan-out: shards dispatched per second for a 10,000-shard sweep.

The parent validates the request, plans the shards, records the run (manifest + run index) and
builds and sends one async invocation per shard. Here the invoker only records the payloads
(no worker runs), so the figure is the parent's own cost, which on Lambda bounds how fast a
big sweep starts. The store is in memory by default (`--store local` uses a folder, with the
local store's fsynced writes).

Printed as a ratio against a baseline measured in this same process (machines are noisy;
ratios travel better than absolute times): serializing the very same 10,000 payload documents
with `json.dumps` (compact, sorted keys), the least any dispatcher has to do.
"dispatch = 3.0x json" means the parent costs three plain serializations of its payloads.

Usage: python bench/bench_dispatch.py [--shards N] [--rounds R] [--store memory|local]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import MemoryObjectStore, RecordingInvoker
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import ObjectStore

CHILD = "sweep-child"


def request(run_id: str, shards: int) -> dict[str, Any]:
    """`shards` legacy_hash points in as many shards (one point each: the most payloads)."""
    side = 100
    return {
        "run_id": run_id,
        "model": "legacy_hash",
        "dimensions": {
            "row": list(range(side)),
            "col": list(range(-(-shards // side))),
        },
        "shard_count": shards,
        "max_shards": shards + side,
        "seed": 42,
    }


def dispatch_once(store: ObjectStore, run_id: str, shards: int) -> tuple[float, list[bytes]]:
    invoker = RecordingInvoker()
    parent = ParentHandler(
        invoker=invoker,
        store=store,
        config=ParentConfig(child_function=CHILD, default_model="legacy_hash", results_prefix=""),
    )
    body = request(run_id, shards)
    start = time.perf_counter()
    response = parent.handle(body)
    elapsed = time.perf_counter() - start
    if response["statusCode"] != 202:
        raise SystemExit(f"the parent answered {response['statusCode']}: {response['body']}")
    return elapsed, [call.payload for call in invoker.calls]


def serialize_once(documents: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for document in documents:
        json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--store", choices=("memory", "local"), default="memory")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp:
        dispatch: list[float] = []
        baseline: list[float] = []
        payloads: list[bytes] = []
        for round_ in range(args.rounds + 1):  # round 0 warms imports and caches
            store: ObjectStore = (
                MemoryObjectStore() if args.store == "memory" else LocalObjectStore(Path(tmp))
            )
            elapsed, payloads = dispatch_once(store, f"bench-{round_}", args.shards)
            documents = [json.loads(p) for p in payloads]
            base = serialize_once(documents)
            if round_:
                dispatch.append(elapsed)
                baseline.append(base)

    shards = len(payloads)
    d, b = statistics.median(dispatch), statistics.median(baseline)
    size = statistics.mean(len(p) for p in payloads)
    print(f"parent dispatch of {shards} shards (legacy_hash, {args.store} store, no workers)")
    print(f"  payload size      {size:.0f} bytes on average")
    print(f"  dispatch          {d * 1000:8.1f} ms  {shards / d:10,.0f} shards/s")
    print(f"  json.dumps        {b * 1000:8.1f} ms  {shards / b:10,.0f} payloads/s  (baseline)")
    print(f"  dispatch = {d / b:.1f}x json (median of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
