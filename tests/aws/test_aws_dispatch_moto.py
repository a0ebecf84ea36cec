"""The asynchronous dispatcher with real parts: moto's S3 and Lambda, faults from the proxy.

Everything between the handler and moto is real: `lambda_parent.handler` (API route and
dispatch-job path), the `Dispatcher`, the `LambdaInvoker` (the standard-library HTTP client the
parent Lambda runs, pooled, its retries off) and the `S3ObjectStore` holding the run, the job
and the claim ledger. The fault proxy sits in
front of moto's Lambda and counts what reached it: every test counts invokes per shard_id from
the proxy's log, never from the code under test.

moto cannot run a function here (no Docker), so the test plays Lambda's part for the parent:
each dispatch-job event that reached the proxy is handed to `lambda_parent.handler`, as Lambda's
async invoke would. Children are not run: these tests are about dispatch.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import REGION, create_function
from fault_proxy import FaultPlan, FaultProxy, ProxyRequest, fault_proxy

from serverless_sweep.adapters.aws.dispatch_scheduler import LambdaDispatchScheduler
from serverless_sweep.adapters.aws.lambda_invoker import LambdaInvoker
from serverless_sweep.adapters.aws.s3_store import S3ObjectStore, make_s3_http_client
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.entrypoints import lambda_child, lambda_parent, lambda_services
from serverless_sweep.entrypoints.lambda_services import Services
from serverless_sweep.handlers import child as child_module
from serverless_sweep.handlers.dispatch_ledger import JOB_SUBMIT, read_job
from serverless_sweep.handlers.dispatcher import Dispatcher, DispatchSettings
from serverless_sweep.handlers.ports import ASYNC_PAYLOAD_LIMIT_BYTES
from serverless_sweep.handlers.runs import RunRecord, find_run
from serverless_sweep.handlers.status import run_status

HERE = Path(__file__).resolve().parent
PREFIX = "serverless-sweeps"
CHILD = "sweep-dispatch-child"
PARENT = "sweep-dispatch-parent"
CONCURRENCY = 16


class DeadlineContext:
    """Lambda's context object as the parent reads it: request id and the time left.

    `budget_ms` is the invocation's time budget from now; the dispatcher hands over when less
    than its margin (60 s by default) is left, so a budget of margin + 300 ms gives each
    invocation about 300 ms of dispatching.
    """

    def __init__(self, budget_ms: int = 900_000) -> None:
        self.aws_request_id = f"req-{uuid.uuid4().hex[:8]}"
        self.function_name = PARENT
        self._deadline = time.monotonic() + budget_ms / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class CountdownContext(DeadlineContext):
    """A context whose deadline comes after `checks` looks at the clock instead of after a
    wall-clock budget, so a loaded machine gets the same work done per invocation: the first
    `checks` calls leave more than the handover margin, every later one leaves just less (near
    the deadline, but not so near that in-flight retries are abandoned)."""

    def __init__(self, margin_ms: int, checks: int) -> None:
        super().__init__()
        self._margin_ms = margin_ms
        self._checks_left = checks
        self._lock = threading.Lock()

    def get_remaining_time_in_millis(self) -> int:
        with self._lock:
            self._checks_left -= 1
            return self._margin_ms + 1 if self._checks_left >= 0 else self._margin_ms - 1


@dataclass
class Deployment:
    """The functions on moto, the proxy in front of Lambda, the results bucket."""

    proxy: FaultProxy
    bucket: str
    child_arn: str
    parent_arn: str
    moto_url: str

    def child_invokes(self) -> list[ProxyRequest]:
        return self.proxy.invokes(CHILD)

    def shard_counts(self) -> Counter[int]:
        """How many times each shard's event reached Lambda (was queued)."""
        return Counter(int(p["shard_id"]) for p in self.proxy.invoked_payloads(CHILD))

    def dispatch_events(self) -> list[dict[str, Any]]:
        """The dispatch-job events the parent queued for itself, in order."""
        return self.proxy.invoked_payloads(PARENT)

    s3_client: Any
    invoker: LambdaInvoker
    """One of each for the whole test, like a warm container (clients cost ~0.1 s to build)."""

    def store(self) -> S3ObjectStore:
        return S3ObjectStore(self.bucket, client=self.s3_client)

    def record(self, run_id: str) -> RunRecord:
        record = find_run(self.store(), StorageLayout(PREFIX), run_id)
        assert record is not None
        return record


def _is_child_invoke(request: ProxyRequest) -> bool:
    return request.is_invoke and (request.function or "").endswith(CHILD)


@pytest.fixture
def deployment(
    moto_url: str, bucket: str, lambda_without_docker: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    """The parent's function configuration, its per-container services through the proxy."""
    child_arn = create_function(moto_url, CHILD)
    parent_arn = create_function(moto_url, PARENT)
    with fault_proxy(moto_url, FaultPlan(match=_is_child_invoke), max_lifetime_s=120) as proxy:
        monkeypatch.setenv("SWEEP_RESULTS_BUCKET", bucket)
        monkeypatch.setenv("CHILD_LAMBDA_ARN", child_arn)
        monkeypatch.setenv("SWEEP_DISPATCHER_FUNCTION", PARENT)
        monkeypatch.setenv("SWEEP_DISPATCH_CONCURRENCY", str(CONCURRENCY))
        monkeypatch.setenv("SWEEP_DEFAULT_MODEL", "legacy_hash")
        s3_client = make_s3_http_client(endpoint_url=moto_url, region_name=REGION)
        invoker = LambdaInvoker(
            endpoint_url=proxy.url, region_name=REGION, max_pool_connections=CONCURRENCY
        )
        services = Services(s3_client=s3_client, invoker=invoker)
        monkeypatch.setattr(lambda_services, "services", services)
        yield Deployment(proxy, bucket, child_arn, parent_arn, moto_url, s3_client, invoker)


def _request(run_id: str, shards: int) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "model": "legacy_hash",
        "dimensions": {"x": list(range(shards))},
        "shard_count": shards,
    }


def _submit(run_id: str, shards: int) -> dict[str, Any]:
    event = {
        "resource": "/sweep-run",
        "path": "/sweep-run",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(_request(run_id, shards)),
    }
    response = lambda_parent.handler(event, DeadlineContext())
    assert response["statusCode"] == 202, response["body"]
    body: dict[str, Any] = json.loads(response["body"])
    return body


def _status(run_id: str) -> dict[str, Any]:
    event = {
        "resource": "/sweep-run/{run_id}",
        "path": f"/sweep-run/{run_id}",
        "httpMethod": "GET",
        "pathParameters": {"run_id": run_id},
    }
    response = lambda_parent.handler(event, DeadlineContext())
    assert response["statusCode"] == 200, response["body"]
    body: dict[str, Any] = json.loads(response["body"])
    return body


def _play_lambda(deployment: Deployment, budget_ms: int = 900_000) -> list[dict[str, Any]]:
    """Hand every queued dispatch-job event to the parent handler, as Lambda would, in order,
    including the continuations those invocations queue; answer their reports."""
    reports: list[dict[str, Any]] = []
    while len(reports) < len(deployment.dispatch_events()):
        event = deployment.dispatch_events()[len(reports)]
        reports.append(lambda_parent.handler(event, DeadlineContext(budget_ms)))
        assert len(reports) < 100, "the dispatch never finishes"
    return reports


def test_every_shard_is_invoked_exactly_once_under_latency_throttling_and_5xx(
    deployment: Deployment,
) -> None:
    deployment.proxy.set_plan(
        latency_ms=5,
        jitter_ms=10,
        throttle_rate=0.15,
        error_rate=0.10,
        max_consecutive_faults=3,
        seed=7,
    )
    accepted = _submit("exactly-once", 120)

    assert accepted["dispatch_state"] == "under_way" and accepted["shards_to_dispatch"] == 120
    assert deployment.child_invokes() == [], "the API answered before any shard was invoked"
    assert deployment.dispatch_events() == [
        {"sweep_dispatch": {"run_id": "exactly-once", "job": "submit"}}
    ]
    (report,) = _play_lambda(deployment)

    assert report["dispatched"] == 120 and report["failed"] == 0 and report["remaining"] == 0
    assert deployment.shard_counts() == Counter(range(120)), "some shard not exactly once"
    faults = Counter(r.fault for r in deployment.child_invokes())
    assert faults["throttle"] > 0 and faults["error"] > 0, "the faults were not exercised"
    status = _status("exactly-once")
    assert (status["dispatched_shards"], status["undispatched_shards"]) == (120, 0)
    assert status["dispatch_failed_shards"] == 0 and status["lost_shards"] == 0


def test_duplicates_at_lambda_come_only_from_answers_lost_after_the_event_was_queued(
    deployment: Deployment,
) -> None:
    """A reset after Lambda queued the event is in doubt for the invoker: retrying it queues
    the event twice (the child's create-if-absent records make that harmless). No other
    shard may reach Lambda twice."""
    deployment.proxy.set_plan(reset_rate=0.15, phase="after", max_consecutive_faults=1, seed=3)
    _submit("in-doubt", 80)
    (report,) = _play_lambda(deployment)

    assert report["failed"] == 0
    counts = deployment.shard_counts()
    assert set(counts) == set(range(80))
    in_doubt = {
        int(r.json()["shard_id"])
        for r in deployment.child_invokes()
        if r.fault == "reset" and r.reached_upstream
    }
    assert in_doubt, "no answer was lost: the test did not exercise anything"
    assert {s for s, n in counts.items() if n > 1} == in_doubt
    assert all(counts[s] == 2 for s in in_doubt)


def _dispatcher(
    deployment: Deployment, *, chunk: int, concurrency: int = 4, **settings: Any
) -> Dispatcher:
    """A dispatcher as the parent builds it, with small claims (the parent's are 256 items,
    which would need thousands of moto invokes to show a claim boundary)."""
    invoker = deployment.invoker
    return Dispatcher(
        invoker=invoker,
        store=deployment.store(),
        layout=StorageLayout(PREFIX),
        child_function=deployment.child_arn,
        payload_limit_bytes=ASYNC_PAYLOAD_LIMIT_BYTES,
        settings=DispatchSettings(concurrency=concurrency, chunk_size=chunk, **settings),
        scheduler=LambdaDispatchScheduler(invoker, PARENT),
    )


def test_continuation_dispatches_a_plan_over_several_short_invocations(
    deployment: Deployment,
) -> None:
    # Each invocation's deadline comes after a fixed number of clock checks (not wall time),
    # so 400 shards in chunks of 8 need several invocations however loaded the machine is.
    deployment.proxy.set_plan(latency_ms=20, throttle_rate=0.1, max_consecutive_faults=2, seed=5)
    _submit("continued", 400)
    margin = DispatchSettings().handover_margin_ms
    reports = []
    while len(reports) < len(deployment.dispatch_events()):  # play Lambda for each job event
        job = deployment.dispatch_events()[len(reports)]["sweep_dispatch"]
        context = CountdownContext(margin, checks=12)
        dispatcher = _dispatcher(deployment, chunk=8)
        reports.append(
            dispatcher.run(job["run_id"], job["job"], context.get_remaining_time_in_millis)
        )
        assert len(reports) < 60, "the dispatch never finishes"

    assert len(reports) >= 2, "one invocation did it all: the deadline was not exercised"
    assert [r.handed_over for r in reports] == [True] * (len(reports) - 1) + [False]
    assert reports[-1].remaining == 0 and all(r.failed == [] for r in reports)
    assert sum(len(r.outcomes) for r in reports) == 400
    assert deployment.shard_counts() == Counter(range(400))
    assert deployment.dispatch_events() == [
        {"sweep_dispatch": {"run_id": "continued", "job": "submit"}}
    ] * len(reports)
    status = _status("continued")
    assert (status["dispatched_shards"], status["undispatched_shards"]) == (400, 0)


def test_a_duplicate_delivery_of_the_dispatch_job_invokes_nothing_twice(
    deployment: Deployment,
) -> None:
    _submit("duplicate", 40)
    event = deployment.dispatch_events()[0]
    first = lambda_parent.handler(event, DeadlineContext())
    again = lambda_parent.handler(event, DeadlineContext())

    assert first["dispatched"] == 40 and again["dispatched"] == 0 and again["remaining"] == 0
    assert deployment.shard_counts() == Counter(range(40))


# -- a dispatcher killed in the middle ------------------------------------------------------------


def _harness(deployment: Deployment, run_id: str, *, chunk: int, concurrency: int) -> Any:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            str(HERE / "dispatch_harness.py"),
            *("--lambda-url", deployment.proxy.url, "--s3-url", deployment.moto_url),
            *("--bucket", deployment.bucket, "--run-id", run_id, "--child", deployment.child_arn),
            *("--prefix", PREFIX, "--chunk-size", str(chunk)),
            *("--concurrency", str(concurrency)),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_after(deployment: Deployment, process: Any, run_id: str, invokes: int) -> None:
    """SIGKILL `process` once `invokes` child invokes reached Lambda, the next ones are held
    at the proxy and the dispatcher has settled (no new claim for a while): the kill then
    lands at a known point, whatever the machine's speed."""
    proxy = deployment.proxy
    proxy.pause_after(invokes, match=_is_child_invoke)
    try:
        reached = proxy.wait_until(
            lambda log: (
                sum(1 for r in log if r.reached_upstream and _is_child_invoke(r)) >= invokes
                and proxy.held > 0
            ),
            timeout=30,
        )
        if not reached:
            _, err = process.communicate(timeout=5) if process.poll() is not None else ("", "")
            pytest.fail(f"the dispatcher never reached {invokes} invokes: {err[-2000:]}")
        _settle(deployment, run_id)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        proxy.release(drop=True)  # what was in flight at the kill never reaches Lambda


def _settle(deployment: Deployment, run_id: str) -> None:
    """Wait until the ledger has not changed for 0.6 s (at most 10 s)."""
    store, record = deployment.store(), deployment.record(run_id)
    prefix = f"{record.manifest_key.rsplit('/', 1)[0]}/dispatch-{JOB_SUBMIT}/"
    last, stable_since, deadline = None, time.monotonic(), time.monotonic() + 10
    while time.monotonic() < deadline:
        keys = sorted(store.list_keys(prefix))
        if keys != last:
            last, stable_since = keys, time.monotonic()
        elif time.monotonic() - stable_since >= 0.6:
            return
        time.sleep(0.1)


@dataclass
class Claims:
    claimed: set[int]
    in_doubt: set[int]
    """Shards of claims without a done record."""
    open_claims: int


def _claims(deployment: Deployment, run_id: str) -> Claims:
    ledger = read_job(deployment.store(), deployment.record(run_id), JOB_SUBMIT)
    open_claims = [c for start, c in ledger.claims.items() if start not in ledger.dones]
    return Claims(
        claimed={int(s) for c in ledger.claims.values() for s, _a in c["items"]},
        in_doubt={int(s) for c in open_claims for s, _a in c["items"]},
        open_claims=len(open_claims),
    )


def test_a_killed_dispatcher_resumed_invokes_no_shard_twice(deployment: Deployment) -> None:
    deployment.proxy.set_plan(latency_ms=5, match=_is_child_invoke)
    _submit("killed", 96)
    deployment.proxy.clear_log()  # the submit's own dispatch event is not run here
    process = _harness(deployment, "killed", chunk=8, concurrency=4)
    _kill_after(deployment, process, "killed", invokes=30)
    assert process.returncode == -signal.SIGKILL

    before = deployment.shard_counts()
    claims = _claims(deployment, "killed")
    in_doubt = claims.in_doubt
    assert in_doubt, "the kill left nothing in doubt: it came too late to test anything"
    assert set(before) <= claims.claimed, "a shard was invoked before it was claimed"
    assert in_doubt - set(before), "every in-doubt shard was invoked: nothing was in flight"

    # Lambda retries the crashed dispatch job: the same job, a fresh dispatcher.
    report = _dispatcher(deployment, chunk=8).run("killed", JOB_SUBMIT)
    after = deployment.shard_counts()

    assert report.failed == [] and report.remaining == 0
    assert max(after.values()) == 1, f"invoked twice: {[s for s, n in after.items() if n > 1]}"
    never = set(range(96)) - set(after)
    assert never <= in_doubt, "a shard outside the in-doubt claims was left out"
    assert not (in_doubt & {int(p.shard_id) for p in report.outcomes}), "in doubt, re-invoked"
    # The status counts the in-doubt shards as dispatched (their invoke may have gone
    # through); with no record after the lost horizon they are lost, so redrive reruns them.
    store, layout = deployment.store(), StorageLayout(PREFIX)
    record = deployment.record("killed")
    fresh = run_status(store, layout, record)
    assert (fresh["dispatched_shards"], fresh["undispatched_shards"]) == (96, 0)
    assert fresh["dispatch_failed_shards"] == 0 and fresh["lost_shards"] == 0
    late = run_status(store, layout, record, lost_after_s=0.0)
    assert in_doubt <= set(late["lost_shard_ids"])


def test_a_killed_dispatcher_leaves_at_most_two_claims_in_doubt(deployment: Deployment) -> None:
    stuck = lambda r: _is_child_invoke(r) and r.json()["shard_id"] == 0  # noqa: E731
    deployment.proxy.set_plan(latency_ms=5, throttle_rate=1.0, match=stuck)
    _submit("bounded", 96)
    deployment.proxy.clear_log()
    process = _harness(deployment, "bounded", chunk=8, concurrency=4)
    _kill_after(deployment, process, "bounded", invokes=36)

    claims = _claims(deployment, "bounded")
    assert 0 in claims.in_doubt, "shard 0 was not still backing off at the kill"
    assert claims.open_claims <= 2, f"{claims.open_claims} claims in doubt: {claims.in_doubt}"


# -- ledger writes and deadlines under faults -----------------------------------------------------


def test_ledger_writes_whose_answers_are_lost_still_belong_to_the_dispatcher(
    deployment: Deployment,
) -> None:
    """Every claim and done record is stored by S3 but its answer is reset: the client retries,
    gets 412 for its own object, and the dispatcher must still invoke the claimed shards."""

    def ledger_put(request: ProxyRequest) -> bool:
        return request.service == "s3" and request.method == "PUT" and "/dispatch-" in request.path

    deployment.proxy.set_plan(
        FaultPlan(reset_rate=1.0, phase="after", max_consecutive_faults=1, match=ledger_put)
    )
    _submit("lost-answers", 40)
    dispatcher = _dispatcher(deployment, chunk=8)
    dispatcher.store = S3ObjectStore(
        deployment.bucket,
        client=make_s3_http_client(endpoint_url=deployment.proxy.url, region_name=REGION),
    )
    report = dispatcher.run("lost-answers", JOB_SUBMIT)

    resets = [r for r in deployment.proxy.log if r.fault == "reset" and r.reached_upstream]
    assert len(resets) >= 10, "the ledger writes were not faulted"
    assert report.failed == [] and report.remaining == 0
    assert deployment.shard_counts() == Counter(range(40))
    claims = _claims(deployment, "lost-answers")
    assert claims.claimed == set(range(40)) and claims.in_doubt == set()


class SteppedDeadline:
    """Time left that drops from just above the handover margin to below half of it after
    `after_s`: the end of an invocation, without waiting 30 real seconds for it."""

    def __init__(self, margin_ms: int, after_s: float) -> None:
        self._margin = margin_ms
        self._step_at = time.monotonic() + after_s

    def __call__(self) -> int:
        if time.monotonic() < self._step_at:
            return self._margin + 1_000
        return self._margin // 2 - 1


def test_a_throttled_shard_at_the_deadline_is_left_to_the_continuation(
    deployment: Deployment,
) -> None:
    stuck = lambda r: _is_child_invoke(r) and r.json()["shard_id"] == 0  # noqa: E731
    deployment.proxy.set_plan(FaultPlan(throttle_rate=1.0, match=stuck))
    _submit("deadline", 16)
    dispatcher = _dispatcher(deployment, chunk=8)
    dispatcher.rng = random.Random(1)
    margin = dispatcher.settings.handover_margin_ms
    # This plays the submit's dispatch event (events[0]); later events are continuations.
    dispatcher.run("deadline", JOB_SUBMIT, SteppedDeadline(margin, after_s=0.5))
    assert deployment.shard_counts() == Counter(range(1, 16))

    deployment.proxy.set_plan(FaultPlan(match=_is_child_invoke))  # the throttling is over
    played = 1
    while played < len(deployment.dispatch_events()):
        job = deployment.dispatch_events()[played]["sweep_dispatch"]
        _dispatcher(deployment, chunk=8).run(job["run_id"], job["job"])
        played += 1
        assert played < 10

    assert deployment.shard_counts() == Counter(range(16)), "shard 0 was never dispatched"
    assert _status("deadline")["dispatch_failed_shards"] == 0


def test_the_parent_sizes_its_invoke_pool_to_the_dispatch_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SWEEP_DISPATCH_CONCURRENCY", "128")
    invoker = Services().invoker()

    assert isinstance(invoker, LambdaInvoker)
    assert invoker.client.service.pool.maxsize == 128


# -- the per-run cap, with children that run ------------------------------------------------------


class ChildRunner:
    """Plays Lambda for the child: every event that reached Lambda is run by the real
    `lambda_child.handler` (S3 on moto) after `delay_s`, on a few threads; it notes when each
    shard's run ended, so the test can count the run's shards really in flight."""

    def __init__(self, deployment: Deployment, delay_s: float) -> None:
        self.deployment = deployment
        self.delay_s = delay_s
        self.finished: dict[int, float] = {}
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(8, thread_name_prefix="child")
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ChildRunner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._pool.shutdown(wait=True)

    def _watch(self) -> None:
        seen: set[int] = set()  # by request index: an invoke may reach Lambda after a later one
        while True:
            stopping = self._stop.is_set()
            for request in self.deployment.child_invokes():
                if request.reached_upstream and request.index not in seen:
                    seen.add(request.index)
                    self._pool.submit(self._run, request.json())
            if stopping:  # one last pass after the stop: an invoke that reached Lambda runs
                return
            time.sleep(0.01)

    def _run(self, payload: dict[str, Any]) -> None:
        time.sleep(self.delay_s)
        try:
            lambda_child.handler(payload, DeadlineContext())
        except BaseException as exc:
            self.errors.append(exc)
        self.finished[int(payload["shard_id"])] = time.monotonic()


class EnvelopeClock:
    """Notes when each shard became done for the dispatcher: the moment its success envelope
    was committed to S3 (moto), just before the child compacts. The child's handler returns
    later (compaction lists and writes markers), and timing the return would count a shard as
    running while the dispatcher rightly sees it done; moto's LastModified has whole seconds.

    It wraps `ChildHandler._after_commit`, which every path that leaves a committed envelope
    goes through (a fresh commit, a redelivery that finds it, a repair), rather than one of the
    compaction functions that step calls, so no path can leave a shard out."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.written: dict[int, float] = {}
        real = child_module.ChildHandler._after_commit

        def after_commit(handler: Any, attempt: Any, *args: Any, **kwargs: Any) -> Any:
            self.written.setdefault(int(attempt.payload["shard_id"]), time.monotonic())
            return real(handler, attempt, *args, **kwargs)

        monkeypatch.setattr(child_module.ChildHandler, "_after_commit", after_commit)


def _peak_in_flight(deployment: Deployment, finished: dict[int, float]) -> int:
    events: list[tuple[float, int]] = []
    for request in deployment.child_invokes():
        if request.reached_upstream and request.answered_at is not None:
            events.append((request.answered_at, 1))
    events += [(at, -1) for at in finished.values()]
    peak = level = 0
    for _at, step in sorted(events):
        level += step
        peak = max(peak, level)
    return peak


def test_max_concurrency_bounds_the_shards_in_flight(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment.proxy.set_plan(latency_ms=5)
    request = {**_request("capped", 12), "max_concurrency": 3}
    event = {"httpMethod": "POST", "resource": "/sweep-run", "body": json.dumps(request)}
    assert lambda_parent.handler(event, DeadlineContext())["statusCode"] == 202
    dispatcher = _dispatcher(deployment, chunk=8, concurrency=8, poll_interval_s=0.05)
    envelopes = EnvelopeClock(monkeypatch)

    with ChildRunner(deployment, delay_s=0.1) as children:
        report = dispatcher.run("capped", JOB_SUBMIT)
    # The dispatcher returns once the last shard is invoked; leaving the block waited for the
    # children still running, so every check below sees all twelve shards finished.
    assert children.errors == []
    assert report.failed == [] and report.remaining == 0
    assert deployment.shard_counts() == Counter(range(12))
    assert set(children.finished) == set(range(12))
    assert set(envelopes.written) == set(range(12))
    peak = _peak_in_flight(deployment, envelopes.written)
    assert 2 <= peak <= 3, f"{peak} shards of the run were in flight at once (cap 3)"
