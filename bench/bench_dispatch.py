"""Benchmark of the fan-out: shards dispatched per second at a realistic invoke latency.

Why latency matters: a Lambda Invoke is an HTTP round trip of about 20 ms. An invoker that
answers at once (the old version of this benchmark) measures only the parent's CPU and hides
that a one-by-one loop tops out at 1 / latency (47 shards/s at 20 ms, issue 7).

What runs, per round, interleaved (A B A B ..., medians over `--rounds`):

* candidate: the real `Dispatcher` (handlers/dispatcher.py) on a dispatch job the parent's
  submit recorded (async mode), `--concurrency` invokes in flight, its ledger in the store;
  the run is checked afterwards: every shard invoked exactly once, none failed;
* baseline: the old sequential loop (`ParentHandler.dispatch`: one invoke after another, no
  ledger) over the first `--baseline-shards` shards of the same plan (its rate is flat in the
  shard count: 10,000 shards would only take 200 s to show the same shards/s).

How the latency is injected (`--target`):

* `sleep` (default): `LatencyInvoker` waits `--latency-ms` per call in the calling thread and
  answers 202. Waiting on a socket and `time.sleep` both release the GIL, so threads overlap
  the way they do on a real connection; what is left out is the CPU of the client's signing and
  HTTP handling (a few hundred microseconds per call), which `--target moto` includes;
* `moto`: the real `LambdaInvoker` (its HTTP client, pool sized to the concurrency) against a moto
  server through the fault-injecting proxy of tests/support, which adds `--latency-ms` per
  invoke. moto's Lambda costs tens of milliseconds of CPU per Invoke (on top of the latency),
  so there the figures measure moto more than the dispatcher: use it with a small `--shards`
  to check the real adapters end to end, not for the headline figure.

It also measures `POST /sweep-run` in async mode (what the API answers before any shard is
invoked) for the largest plan the contract allows (200,000 points in as many shards):
validation, planning, manifest, run index, job record and one scheduling invoke, through
the HTTP edge's `submit_event` on the API Gateway proxy event (`ParentHandler.submit`, rendered):
with `--target moto` on S3 and Lambda on moto (the proxy's latency on every call), else with
an in-memory store and the sleeping invoker.

Usage: python bench/bench_dispatch.py [--shards N] [--latency-ms L] [--rounds R]
       [--concurrency C] [--baseline-shards B] [--submit-shards S] [--target sleep|moto]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.aws.dispatch_scheduler import LambdaDispatchScheduler
from serverless_sweep.adapters.memory import MemoryObjectStore
from serverless_sweep.core.validation import MAX_TOTAL_POINTS
from serverless_sweep.entrypoints.http.proxy import submit_event
from serverless_sweep.handlers.dispatch_ledger import JOB_SUBMIT
from serverless_sweep.handlers.dispatcher import DispatchSettings
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import Invoker, InvokeResult, ObjectStore
from serverless_sweep.handlers.runs import find_run

CHILD = "sweep-child"
PARENT = "sweep-parent"
REPO = Path(__file__).resolve().parents[1]


@dataclass
class LatencyInvoker:
    """Waits `latency_s` per invoke (the caller's side of an HTTP round trip), answers 202.

    Thread-safe; it counts every payload's shard_id so the benchmark can check exactly-once.
    """

    latency_s: float
    shard_ids: Counter[int] = field(default_factory=Counter)
    other: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult:
        time.sleep(self.latency_s)
        document = json.loads(payload)
        with self.lock:
            if function_name == CHILD:
                self.shard_ids[int(document["shard_id"])] += 1
            else:
                self.other.append(payload)
        return InvokeResult(202)


class RecordingScheduler:
    """Remembers the dispatch jobs the parent schedules (the benchmark runs them itself)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, str]] = []

    def schedule(self, run_id: str, job: str) -> None:
        self.jobs.append((run_id, job))


def request(run_id: str, shards: int) -> dict[str, Any]:
    """`shards` legacy_hash points in as many shards (one point each: the most payloads)."""
    side = 100 if shards >= 100 else shards
    return {
        "run_id": run_id,
        "model": "legacy_hash",
        "dimensions": {"row": list(range(side)), "col": list(range(-(-shards // side)))},
        "shard_count": shards,
        "max_shards": shards + side,
        "seed": 42,
    }


def api_event(body: dict[str, Any]) -> dict[str, Any]:
    """The REST API (payload 1.0) proxy event of `POST /sweep-run`."""
    return {
        "resource": "/sweep-run",
        "path": "/sweep-run",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "requestContext": {"stage": "v1", "requestId": "bench"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


# -- one round of each --------------------------------------------------------------------------


@dataclass
class Target:
    """Where the invokes (and, for moto, the store) go."""

    make_invoker: Callable[[int], Invoker]
    make_store: Callable[[], ObjectStore]
    count_invokes: Callable[[Invoker], Counter[int]]
    name: str


def submitted(
    target: Target, invoker: Invoker, run_id: str, shards: int, concurrency: int
) -> ParentHandler:
    """A parent in async mode with the run `run_id` recorded and its submit job scheduled."""
    scheduler = RecordingScheduler()
    parent = ParentHandler(
        invoker=invoker,
        store=target.make_store(),
        config=ParentConfig(
            child_function=CHILD,
            default_model="legacy_hash",
            results_prefix="bench",
            dispatcher_function=PARENT,
            dispatch_concurrency=concurrency,
        ),
        scheduler=scheduler,
    )
    response = submit_event(parent, request(run_id, shards))
    if response["statusCode"] != 202 or scheduler.jobs != [(run_id, JOB_SUBMIT)]:
        raise SystemExit(f"the parent answered {response['statusCode']}: {response['body']}")
    return parent


def candidate_round(target: Target, run_id: str, shards: int, concurrency: int) -> float:
    invoker = target.make_invoker(concurrency)
    parent = submitted(target, invoker, run_id, shards, concurrency)
    dispatcher = parent.dispatcher(DispatchSettings(concurrency=concurrency))
    start = time.perf_counter()
    report = dispatcher.run(run_id, JOB_SUBMIT)
    elapsed = time.perf_counter() - start
    counts = target.count_invokes(invoker)
    twice = sorted(s for s, n in counts.items() if n > 1)
    missing = sorted(set(range(shards)) - set(counts))
    if report.failed or twice or missing or report.remaining:
        raise SystemExit(
            f"dispatch incomplete: {len(report.failed)} failed, {len(twice)} invoked twice "
            f"(first {twice[:5]}), {len(missing)} never (first {missing[:5]}), "
            f"{report.remaining} left; first failure: {report.failed[:1]}"
        )
    return elapsed


def baseline_round(target: Target, run_id: str, shards: int, baseline_shards: int) -> float:
    invoker = target.make_invoker(1)
    parent = submitted(target, invoker, run_id, shards, 1)
    record = find_run(parent.store, parent.layout, run_id)
    assert record is not None
    items = [(shard, 1) for shard in record.shards[:baseline_shards]]
    start = time.perf_counter()
    outcomes = parent.dispatch(record, items)
    elapsed = time.perf_counter() - start
    if len(outcomes) != len(items) or not all(o.ok for o in outcomes):
        raise SystemExit(f"the sequential baseline failed: {[o for o in outcomes if not o.ok][:3]}")
    return elapsed


def submit_round(target: Target, run_id: str, shards: int, latency_s: float) -> float:
    """Wall time of the API's answer to `POST /sweep-run` in async mode (dispatch not run)."""
    invoker = target.make_invoker(4)
    parent = ParentHandler(
        invoker=invoker,
        store=target.make_store(),
        config=ParentConfig(
            child_function=CHILD,
            default_model="legacy_hash",
            results_prefix="bench",
            dispatcher_function=PARENT,
        ),
        scheduler=LambdaDispatchScheduler(invoker, PARENT),
    )
    event = api_event(request(run_id, shards))
    start = time.perf_counter()
    response = submit_event(parent, event)
    elapsed = time.perf_counter() - start
    body = json.loads(response["body"])
    if response["statusCode"] != 202 or body.get("shards_to_dispatch") != shards:
        raise SystemExit(f"submit answered {response['statusCode']}: {response['body'][:300]}")
    return elapsed


# -- targets ------------------------------------------------------------------------------------


def sleep_target(latency_s: float) -> Target:
    def count(invoker: Invoker) -> Counter[int]:
        assert isinstance(invoker, LatencyInvoker)
        return invoker.shard_ids

    return Target(lambda _c: LatencyInvoker(latency_s), MemoryObjectStore, count, "in-memory")


@contextmanager
def moto_target(latency_ms: float) -> Iterator[Target]:
    """moto on loopback behind the fault proxy (latency on every invoke), real AWS adapters."""
    sys.path.insert(0, str(REPO / "tests" / "support"))
    import os

    import boto3  # type: ignore[import-untyped]
    from fault_proxy import FaultPlan, fault_proxy  # type: ignore[import-not-found]
    from moto.server import ThreadedMotoServer
    from moto_server import moto_config  # type: ignore[import-not-found]

    from serverless_sweep.adapters.aws.lambda_invoker import LambdaInvoker
    from serverless_sweep.adapters.aws.s3_store import S3ObjectStore, make_s3_client

    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        os.environ[name] = value
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    with ExitStack() as stack:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        stack.callback(server.stop)
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        moto_config(url)
        proxy = stack.enter_context(
            fault_proxy(url, FaultPlan(latency_ms=latency_ms), max_lifetime_s=3600)
        )
        _create_functions(boto3, url)
        s3 = make_s3_client(endpoint_url=proxy.url, region_name="eu-central-1")
        counter = [0]

        def store() -> ObjectStore:
            counter[0] += 1
            bucket = f"bench-dispatch-{counter[0]}"
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
            )
            return S3ObjectStore(bucket, client=s3)

        def invoker(concurrency: int) -> Invoker:
            proxy.clear_log()
            return LambdaInvoker(
                endpoint_url=proxy.url,
                region_name="eu-central-1",
                max_pool_connections=max(concurrency, 1),
            )

        def count(_invoker: Invoker) -> Counter[int]:
            return Counter(int(p["shard_id"]) for p in proxy.invoked_payloads(CHILD))

        yield Target(invoker, store, count, "S3 on moto")


def _create_functions(boto3: Any, url: str) -> None:
    import io
    import zipfile

    iam = boto3.client("iam", endpoint_url=url, region_name="eu-central-1")
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    lam = boto3.client("lambda", endpoint_url=url, region_name="eu-central-1")
    for name in (CHILD, PARENT):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": code.getvalue()},
        )


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--shards", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--baseline-shards", type=int, default=500)
    parser.add_argument(
        "--submit-shards",
        type=int,
        default=MAX_TOTAL_POINTS,
        help="plan size for the POST /sweep-run measurement (default: the contract's largest)",
    )
    parser.add_argument("--target", choices=("sleep", "moto"), default="sleep")
    args = parser.parse_args()
    if args.shards < 1 or args.rounds < 1 or args.concurrency < 1 or args.baseline_shards < 1:
        parser.error("--shards, --rounds, --concurrency and --baseline-shards must be >= 1")
    latency_s = args.latency_ms / 1000.0
    baseline_shards = min(args.baseline_shards, args.shards)

    with ExitStack() as stack:
        target = (
            sleep_target(latency_s)
            if args.target == "sleep"
            else stack.enter_context(moto_target(args.latency_ms))
        )
        candidate: list[float] = []
        baseline: list[float] = []
        submit: list[float] = []
        # Round 0 warms imports, caches and connection pools; it is not counted.
        for round_ in range(args.rounds + 1):
            c = candidate_round(target, f"bench-c-{round_}", args.shards, args.concurrency)
            b = baseline_round(target, f"bench-b-{round_}", args.shards, baseline_shards)
            s = submit_round(target, f"bench-s-{round_}", args.submit_shards, latency_s)
            if round_:
                candidate.append(c)
                baseline.append(b)
                submit.append(s)

    c, b, s = (statistics.median(x) for x in (candidate, baseline, submit))
    rate_c, rate_b = args.shards / c, baseline_shards / b
    latency = f"{args.latency_ms:g}"
    print(
        f"dispatch: {args.shards} shards in {c:.2f} s ({rate_c:.0f} shards/s) "
        f"at {latency} ms per invoke"
    )
    print(
        f"  dispatcher, concurrency {args.concurrency}, {target.name} store and ledger, "
        f"every shard invoked exactly once; median of {args.rounds} rounds, A B A B"
    )
    print(
        f"sequential baseline: {baseline_shards} shards in {b:.2f} s ({rate_b:.0f} shards/s) "
        f"at {latency} ms per invoke"
    )
    print(f"  ratio: dispatcher = {rate_c / rate_b:.1f}x the sequential baseline (shards/s)")
    print(
        f"submit: POST /sweep-run of {args.submit_shards} shards answered 202 in {s:.3f} s "
        f"(async mode, {target.name} store, median of {args.rounds})"
    )


if __name__ == "__main__":
    main()
