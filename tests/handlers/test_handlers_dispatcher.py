"""The asynchronous dispatcher (issue 7): once only, bounded, resumable, capped, never stuck.

These run the real Dispatcher, ParentHandler and status code against the in-memory store; the
invokers are small fakes that count what they are asked (the moto-server and fault-proxy tests
in tests/aws drive the same code through the real Lambda API).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import edge
import pytest
from handler_helpers import CHILD, request

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore
from serverless_sweep.handlers.dispatch_ledger import JOB_SUBMIT, claim_key, read_job
from serverless_sweep.handlers.dispatcher import DispatchSettings
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import (
    InvokeError,
    InvokeResult,
    InvokeThrottled,
    InvokeUnavailable,
)
from serverless_sweep.handlers.runs import find_run
from serverless_sweep.handlers.status import StatusHandler


@dataclass
class CountingInvoker:
    """Accepts every event (202) and counts invokes per shard; optional failure plan."""

    fail: dict[int, list[Exception]] = field(default_factory=dict)
    delay_s: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: int = 0
    most_running: int = 0

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult:
        event = json.loads(payload)
        with self.lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            planned = self.fail.get(event["shard_id"])
            error = planned.pop(0) if planned else None
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            if error is not None:
                raise error
            with self.lock:
                self.calls.append(event)
            return InvokeResult(202)
        finally:
            with self.lock:
                self.running -= 1

    def per_shard(self) -> Counter[int]:
        return Counter(int(c["shard_id"]) for c in self.calls)


@dataclass
class RecordingScheduler:
    jobs: list[tuple[str, str]] = field(default_factory=list)

    def schedule(self, run_id: str, job: str) -> None:
        self.jobs.append((run_id, job))


def make_parent(
    invoker: Any, store: MemoryObjectStore, clock: FixedClock, **config: Any
) -> tuple[ParentHandler, RecordingScheduler]:
    scheduler = RecordingScheduler()
    parent = ParentHandler(
        invoker=invoker,
        store=store,
        config=ParentConfig(
            child_function=CHILD,
            default_model="legacy_hash",
            results_prefix="p",
            dispatcher_function="parent",
            **config,
        ),
        clock=clock,
        scheduler=scheduler,
    )
    return parent, scheduler


def body(response: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(response["body"])
    return result


def status(parent: ParentHandler, run_id: str = "r1") -> dict[str, Any]:
    handler = StatusHandler(
        parent.store, parent.layout, lost_after_s=parent.config.lost_after_s, clock=parent.clock
    )
    return body(edge.status(handler, run_id))


def many(n: int, **extra: Any) -> dict[str, Any]:
    return request(dimensions={"x": list(range(n))}, shard_size=1, shard_count=None, **extra)


@pytest.fixture
def store() -> MemoryObjectStore:
    return MemoryObjectStore()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def test_submit_answers_before_any_invoke_and_the_job_invokes_each_shard_once(store, clock):
    invoker = CountingInvoker()
    parent, scheduler = make_parent(invoker, store, clock)
    response = edge.submit(parent, many(700, max_shards=1000))
    assert response["statusCode"] == 202
    accepted = body(response)
    assert (accepted["shards_dispatched"], accepted["dispatches"]) == (0, [])
    assert accepted["dispatch_state"] == "under_way" and accepted["shards_to_dispatch"] == 700
    assert invoker.calls == [] and scheduler.jobs == [("r1", JOB_SUBMIT)]
    before = status(parent)
    assert (before["state"], before["undispatched_shards"], before["pending_shards"]) == (
        "running",
        700,
        700,
    )

    report = parent.dispatcher(DispatchSettings(concurrency=16, chunk_size=64)).run(
        "r1", JOB_SUBMIT
    )
    assert report.remaining == 0 and not report.failed and not report.handed_over
    assert invoker.per_shard() == Counter({i: 1 for i in range(700)})
    assert all(c["attempt"] == 1 for c in invoker.calls)
    after = status(parent)
    assert (after["dispatched_shards"], after["undispatched_shards"]) == (700, 0)
    assert after["state"] == "running" and after["lost_shards"] == 0


def test_invokes_run_concurrently_within_the_bound(store, clock):
    invoker = CountingInvoker(delay_s=0.01)
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(200))
    parent.dispatcher(DispatchSettings(concurrency=8, chunk_size=32)).run("r1", JOB_SUBMIT)
    assert 1 < invoker.most_running <= 8
    assert invoker.per_shard() == Counter({i: 1 for i in range(200)})


def test_a_second_run_of_a_finished_job_invokes_nothing(store, clock):
    invoker = CountingInvoker()
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(50))
    parent.dispatcher().run("r1", JOB_SUBMIT)
    again = parent.dispatcher().run("r1", JOB_SUBMIT)  # Lambda redelivers the job event
    assert again.outcomes == [] and again.remaining == 0
    assert invoker.per_shard() == Counter({i: 1 for i in range(50)})


@pytest.mark.parametrize(
    "make_invoker",
    [
        pytest.param(lambda: CountingInvoker(delay_s=0.002), id="one-invoke-per-event"),
        # a claim in one invoke_async_many call (the local invoker's way)
        pytest.param(lambda: BatchingInvoker(delay_s=0.0005), id="batching"),
    ],
)
def test_two_dispatchers_of_one_job_at_once_never_invoke_a_shard_twice(store, clock, make_invoker):
    invoker = make_invoker()
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(400))
    settings = DispatchSettings(concurrency=4, chunk_size=10)
    threads = [
        threading.Thread(target=parent.dispatcher(settings).run, args=("r1", JOB_SUBMIT))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert invoker.per_shard() == Counter({i: 1 for i in range(400)})


def test_throttling_and_5xx_are_retried_with_full_jitter_backoff(store, clock):
    invoker = CountingInvoker(
        fail={
            3: [InvokeThrottled("429")] * 3,
            5: [InvokeUnavailable("503"), InvokeUnavailable("x")],
        }
    )
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(8))
    slept: list[float] = []
    dispatcher = parent.dispatcher(
        DispatchSettings(concurrency=1, backoff_base_s=0.1, backoff_cap_s=0.3)
    )
    dispatcher.sleep = slept.append
    report = dispatcher.run("r1", JOB_SUBMIT)
    assert not report.failed
    assert invoker.per_shard() == Counter({i: 1 for i in range(8)})
    assert len(slept) == 5  # one pause before each retry
    # full jitter: uniform in [0, min(cap, base * 2**tries)), never above the cap
    assert all(0.0 <= s < 0.3 for s in slept)


def test_a_refused_invoke_is_recorded_and_shown_never_stuck_and_redrive_resends_it(store, clock):
    invoker = CountingInvoker(
        fail={2: [InvokeError("ResourceNotFoundException: no such function")]}
    )
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(4))
    report = parent.dispatcher().run("r1", JOB_SUBMIT)
    assert [(o.shard_id, o.ok) for o in report.failed] == [(2, False)]
    assert "ResourceNotFoundException" in (report.failed[0].error or "")
    now = status(parent)
    assert now["dispatch_failed_shards"] == 1 and now["dispatched_shards"] == 3
    assert 2 in now["missing_shard_ids"]
    redrive = body(edge.redrive(parent, "r1"))
    assert redrive["dispatch_state"] == "under_way" and redrive["shards_to_dispatch"] == 4
    parent.dispatcher().run("r1", "redrive-000001")
    attempts = [(c["shard_id"], c["attempt"]) for c in invoker.calls if c["attempt"] == 2]
    assert sorted(attempts) == [(0, 2), (1, 2), (2, 2), (3, 2)]
    assert status(parent)["dispatch_failed_shards"] == 0


def test_the_deadline_hands_over_to_a_continuation_that_resumes(store, clock):
    invoker = CountingInvoker()
    parent, scheduler = make_parent(invoker, store, clock)
    edge.submit(parent, many(300))
    scheduler.jobs.clear()
    budget = {"left_ms": 66_000}  # six looks at the clock before the 60 s margin

    def remaining() -> int:
        budget["left_ms"] -= 1_000  # every look at the clock costs a second
        return budget["left_ms"]

    settings = DispatchSettings(concurrency=2, chunk_size=20, handover_margin_ms=60_000)
    first = parent.dispatcher(settings).run("r1", JOB_SUBMIT, remaining)
    assert first.handed_over and first.remaining > 0
    assert scheduler.jobs == [("r1", JOB_SUBMIT)]
    assert 0 < len(invoker.calls) < 300
    second = parent.dispatcher(settings).run("r1", JOB_SUBMIT)
    assert second.remaining == 0 and not second.handed_over
    assert invoker.per_shard() == Counter({i: 1 for i in range(300)})


def test_a_dispatcher_killed_mid_claim_leaves_shards_in_doubt_then_lost_then_redriven(store, clock):
    invoker = CountingInvoker()
    parent, _ = make_parent(invoker, store, clock, lost_after_s=3_600.0)
    edge.submit(parent, many(10))
    record = find_run(store, parent.layout, "r1")
    assert record is not None
    # A dispatcher claimed items 0-3 and died before it wrote what became of its invokes.
    claim = {
        "job": JOB_SUBMIT,
        "start": 0,
        "end": 4,
        "items": [[i, 1] for i in range(4)],
        "claimed_at": clock.now().isoformat(),
        "by": "dead",
    }
    store.put_if_absent(claim_key(record, JOB_SUBMIT, 0), json.dumps(claim).encode())
    parent.dispatcher().run("r1", JOB_SUBMIT)  # Lambda's retry of the dead dispatcher
    assert invoker.per_shard() == Counter({i: 1 for i in range(4, 10)})  # 0-3 never again
    assert read_job(store, record, JOB_SUBMIT).next_start() == 10
    fresh = status(parent)
    assert (fresh["dispatched_shards"], fresh["lost_shards"], fresh["state"]) == (10, 0, "running")

    clock.advance(3_601)
    late = status(parent)
    assert late["lost_shards"] == 10 and late["pending_shards"] == 0
    assert late["lost_shard_ids"] == list(range(10)) and late["state"] == "failed"
    edge.redrive(parent, "r1")
    parent.dispatcher().run("r1", "redrive-000001")
    assert sorted(c["shard_id"] for c in invoker.calls if c["attempt"] == 2) == list(range(10))
    assert status(parent)["lost_shards"] == 0


def test_tolerated_failure_percentage_counts_lost_shards(store, clock):
    parent, _ = make_parent(CountingInvoker(), store, clock, lost_after_s=60.0)
    edge.submit(parent, many(4, tolerated_failure_percentage=100))
    parent.dispatcher().run("r1", JOB_SUBMIT)
    clock.advance(61)
    assert status(parent)["state"] == "succeeded"  # 4 lost of 4, all tolerated


def test_a_job_with_no_dispatcher_alive_turns_lost_not_running_for_ever(store, clock):
    parent, _ = make_parent(CountingInvoker(), store, clock, lost_after_s=60.0)
    edge.submit(parent, many(3))  # scheduled, but the dispatcher never ran
    assert status(parent)["undispatched_shards"] == 3
    clock.advance(61)
    late = status(parent)
    assert late["lost_shards"] == 3 and late["state"] == "failed"


class CompletingInvoker(CountingInvoker):
    """Invoked shards 'finish' (a success envelope appears) only while `cap` are in flight, or
    once every shard is out: the cap is reached however slowly the dispatcher runs (no timers),
    and a dispatcher that ignored the cap would be seen with more than `cap` in flight."""

    def __init__(self, parent_ref: list[ParentHandler], cap: int, total: int) -> None:
        super().__init__()
        self.parent_ref = parent_ref
        self.cap = cap
        self.total = total
        self.in_flight_seen: list[int] = []
        self.finished: list[int] = []
        self.stop = threading.Event()
        self.finisher = threading.Thread(target=self._finish_loop, daemon=True)
        self.finisher.start()

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult:
        result = super().invoke_async(function_name, payload)
        with self.lock:
            self.in_flight_seen.append(len(self.calls) - len(self.finished))
        return result

    def _finish_loop(self) -> None:
        while not self.stop.is_set() and len(self.finished) < self.total:
            with self.lock:
                in_flight = [c for c in self.calls if c["shard_id"] not in self.finished]
                if in_flight and (len(in_flight) >= self.cap or len(self.calls) == self.total):
                    self._finish(in_flight[0])
            self.stop.wait(0.001)

    def _finish(self, event: dict[str, Any]) -> None:
        parent = self.parent_ref[0]
        key = parent.layout.success_outcome_key(
            event["run_date"], event["run_id"], event["shard_id"]
        )
        parent.store.put(key, b"{}")
        self.finished.append(event["shard_id"])


class BatchingCompletingInvoker(CompletingInvoker):
    """CompletingInvoker taking a claim in one call."""

    def invoke_async_many(
        self, function_name: str, payloads: list[bytes]
    ) -> list[InvokeResult | Exception]:
        return [self.invoke_async(function_name, p) for p in payloads]


@pytest.mark.parametrize(
    "invoker_class",
    # one invoke per event, and a claim in one invoke_async_many call (the local invoker's way)
    [CompletingInvoker, BatchingCompletingInvoker],
    ids=["one-invoke-per-event", "batching"],
)
def test_max_concurrency_caps_the_shards_in_flight(store, invoker_class):
    ref: list[ParentHandler] = []
    invoker = invoker_class(ref, cap=3, total=30)
    parent, _ = make_parent(invoker, store, FixedClock())
    ref.append(parent)
    try:
        assert edge.submit(parent, many(30, max_concurrency=3))["statusCode"] == 202
        settings = DispatchSettings(concurrency=8, chunk_size=8, poll_interval_s=0.005)
        report = parent.dispatcher(settings).run("r1", JOB_SUBMIT)
    finally:
        invoker.stop.set()
    assert report.remaining == 0
    assert invoker.per_shard() == Counter({i: 1 for i in range(30)})
    assert max(invoker.in_flight_seen) <= 3
    assert max(invoker.in_flight_seen) == 3  # the cap is used, not undershot


def test_inline_mode_without_a_dispatcher_function_keeps_the_old_sequential_answer(store, clock):
    invoker = CountingInvoker()
    parent = ParentHandler(
        invoker=invoker,
        store=store,
        config=ParentConfig(child_function=CHILD, default_model="legacy_hash"),
        clock=clock,
    )
    accepted = body(edge.submit(parent, many(5)))
    assert accepted["dispatch_state"] == "complete" and accepted["shards_dispatched"] == 5
    assert [c["shard_id"] for c in invoker.calls] == [0, 1, 2, 3, 4]  # plan order


def test_a_failing_scheduler_answers_502_and_keeps_the_run_for_redrive(store, clock):
    class Broken:
        def schedule(self, run_id: str, job: str) -> None:
            raise InvokeThrottled("Rate exceeded")

    parent, _ = make_parent(CountingInvoker(), store, clock)
    parent.scheduler = Broken()
    response = edge.submit(parent, many(2))
    assert response["statusCode"] == 502
    assert "redrive" in body(response)["message"] and "Rate exceeded" in body(response)["message"]
    assert find_run(store, parent.layout, "r1") is not None


def test_concurrent_redrives_never_reuse_an_attempt_number(store, clock):
    """Issue 9 item 9: 20 concurrent redrives reused attempt numbers (attempt 4 went out 8
    times per shard). Each redrive now owns its sequence N and sends attempt N + 1."""
    invoker = CountingInvoker()
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(3))
    parent.dispatcher().run("r1", JOB_SUBMIT)
    threads = [threading.Thread(target=parent.redrive, args=("r1",)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for sequence in range(1, 21):
        parent.dispatcher().run("r1", f"redrive-{sequence:06d}")
    sent = Counter((c["shard_id"], c["attempt"]) for c in invoker.calls)
    assert set(sent.values()) == {1}, "an attempt number went out twice"
    assert sorted({a for _, a in sent}) == list(range(1, 22))


def test_throttling_that_outlasts_the_retries_goes_to_a_follow_up_job(store, clock):
    invoker = CountingInvoker(fail={2: [InvokeThrottled("429")] * 3})
    parent, scheduler = make_parent(invoker, store, clock)
    edge.submit(parent, many(4))
    scheduler.jobs.clear()
    dispatcher = parent.dispatcher(DispatchSettings(max_invoke_tries=2))
    dispatcher.sleep = lambda _s: None
    report = dispatcher.run("r1", JOB_SUBMIT)
    assert report.follow_up == "redrive-000001" and scheduler.jobs == [("r1", "redrive-000001")]
    assert [o.retryable for o in report.failed] == [True]
    follow = parent.dispatcher(DispatchSettings(max_invoke_tries=2))
    follow.sleep = lambda _s: None
    assert follow.run("r1", "redrive-000001").follow_up is None  # 3rd try of shard 2 passes
    assert invoker.per_shard() == Counter({0: 1, 1: 1, 2: 1, 3: 1})
    now = status(parent)
    assert (now["dispatch_failed_shards"], now["dispatched_shards"]) == (0, 4)


def test_follow_ups_stop_after_a_bounded_number_of_generations(store, clock):
    invoker = CountingInvoker(fail={0: [InvokeThrottled("429")] * 100})
    parent, scheduler = make_parent(invoker, store, clock)
    edge.submit(parent, many(1))
    scheduler.jobs.clear()
    job = JOB_SUBMIT
    for _ in range(10):
        dispatcher = parent.dispatcher(DispatchSettings(max_invoke_tries=1))
        report = dispatcher.run("r1", job)
        if report.follow_up is None:
            break
        job = report.follow_up
    assert len(scheduler.jobs) == 5  # MAX_FOLLOW_UPS, then a person decides
    assert status(parent)["dispatch_failed_shards"] == 1


def test_a_capped_run_stops_waiting_when_the_invoker_is_idle(store, clock):
    """Locally the invoker knows when nothing it accepted is still running: shards that ended
    without a record (a worker wrote elsewhere, a record could not be written) must not keep a
    capped dispatcher, and the runtime closing behind it, waiting for ever."""
    invoker = CountingInvoker()
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(6, max_concurrency=2))
    dispatcher = parent.dispatcher(DispatchSettings(poll_interval_s=0.001))
    dispatcher.idle = lambda: True
    dispatcher.sleep = lambda _s: None
    finished = threading.Event()
    thread = threading.Thread(
        target=lambda: (dispatcher.run("r1", JOB_SUBMIT), finished.set()), daemon=True
    )
    thread.start()
    assert finished.wait(timeout=30), "the capped dispatcher waited for ever"
    assert invoker.per_shard() == Counter({i: 1 for i in range(6)})


# -- invokers that take batches (the local one's invoke_async_many, issue 13) --------------------


@dataclass
class BatchingInvoker(CountingInvoker):
    """CountingInvoker with `invoke_async_many`: each payload answered on its own (its 202 or
    the exception its invoke_async would raise, returned), the batch sizes recorded."""

    batches: list[int] = field(default_factory=list)
    broken: bool = False

    def invoke_async_many(
        self, function_name: str, payloads: list[bytes]
    ) -> list[InvokeResult | Exception]:
        if self.broken:
            raise RuntimeError("invoker bug")
        with self.lock:
            self.batches.append(len(payloads))
        answers: list[InvokeResult | Exception] = []
        for payload in payloads:
            try:
                answers.append(self.invoke_async(function_name, payload))
            except Exception as exc:
                answers.append(exc)
        return answers


def test_a_batching_invoker_gets_each_claim_in_one_call_and_each_shard_once(store, clock):
    invoker = BatchingInvoker()
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(700, max_shards=1000))
    report = parent.dispatcher(DispatchSettings(concurrency=16, chunk_size=64)).run(
        "r1", JOB_SUBMIT
    )
    assert report.remaining == 0 and not report.failed
    assert invoker.batches == [64] * 10 + [60]
    assert invoker.per_shard() == Counter({i: 1 for i in range(700)})
    assert [o.shard_id for o in report.outcomes] == list(range(700))
    after = status(parent)
    assert (after["dispatched_shards"], after["undispatched_shards"]) == (700, 0)


def test_in_a_batch_a_throttled_event_is_retried_on_its_own_and_a_refused_one_recorded(
    store, clock
):
    invoker = BatchingInvoker(
        fail={
            3: [InvokeThrottled("429"), InvokeThrottled("429")],
            5: [InvokeError("ResourceNotFoundException: gone")],
            6: [ValueError("an invoker's own refusal")],
        }
    )
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(8))
    slept: list[float] = []
    dispatcher = parent.dispatcher(DispatchSettings(backoff_base_s=0.1, backoff_cap_s=0.3))
    dispatcher.sleep = slept.append
    report = dispatcher.run("r1", JOB_SUBMIT)
    assert invoker.batches == [8]  # shard 3's retries were calls of their own
    assert invoker.per_shard() == Counter({i: 1 for i in range(8) if i not in (5, 6)})
    assert len(slept) == 2 and all(0.0 <= s < 0.3 for s in slept)
    assert [o.shard_id for o in report.outcomes] == list(range(8))  # item order kept
    assert [o.shard_id for o in report.failed] == [5, 6]
    assert "ResourceNotFoundException" in (report.failed[0].error or "")
    assert "ValueError" in (report.failed[1].error or "")
    now = status(parent)
    assert (now["dispatched_shards"], now["dispatch_failed_shards"]) == (6, 2)


def test_throttling_that_outlasts_the_retries_in_a_batch_goes_to_a_follow_up_job(store, clock):
    invoker = BatchingInvoker(fail={1: [InvokeThrottled("429")] * 3})
    parent, scheduler = make_parent(invoker, store, clock)
    edge.submit(parent, many(3))
    scheduler.jobs.clear()
    dispatcher = parent.dispatcher(DispatchSettings(max_invoke_tries=3))
    dispatcher.sleep = lambda _s: None
    report = dispatcher.run("r1", JOB_SUBMIT)
    assert [(o.shard_id, o.retryable) for o in report.failed] == [(1, True)]
    assert "after 3 tries" in (report.failed[0].error or "")
    assert report.follow_up is not None and scheduler.jobs == [("r1", report.follow_up)]


def test_a_batch_call_that_raises_loses_no_shard_and_redrive_resends_them(store, clock):
    invoker = BatchingInvoker(broken=True)
    parent, _ = make_parent(invoker, store, clock)
    edge.submit(parent, many(5))
    report = parent.dispatcher().run("r1", JOB_SUBMIT)
    assert [o.shard_id for o in report.failed] == list(range(5))
    assert all("invoker bug" in (o.error or "") for o in report.failed)
    assert status(parent)["dispatch_failed_shards"] == 5
    invoker.broken = False
    edge.redrive(parent, "r1")
    parent.dispatcher().run("r1", "redrive-000001")
    assert sorted((c["shard_id"], c["attempt"]) for c in invoker.calls) == [
        (i, 2) for i in range(5)
    ]
    assert status(parent)["dispatch_failed_shards"] == 0
