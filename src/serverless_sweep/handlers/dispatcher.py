"""The dispatcher: hands a run's shards to the invoke API, fast, once, and without a person.

Why it exists: the parent used to invoke shard after shard inside the API request. At a
realistic 20 ms per Lambda Invoke that is 47 shards/s: API Gateway gives up after 29 s and the
parent's own timeout after a few thousand shards, leaving the rest undispatched. Now the API
records the run and a dispatch *job* and answers; the dispatcher runs the job elsewhere (an
asynchronous invocation of the parent in its dispatch role, or a local thread) with:

* bounded concurrency: `concurrency` invokes in flight (default 64; size the HTTP connection
  pool to match), so throughput is about concurrency / latency. An invoker that takes batches
  (`invoke_async_many`: the local one, where an invoke is a queue push) gets each claim's
  invokes in one call instead, each event with its own answer (issue 13);
* exponential backoff with full jitter on `InvokeThrottled` / `InvokeUnavailable`; an invoke
  still refused after `max_invoke_tries`, or when the deadline nears, goes to a follow-up job
  (a redrive the dispatcher schedules itself, at most MAX_FOLLOW_UPS deep); any other error is
  final for that shard and recorded (the status shows it as refused, redrive retries it);
* once only: items are taken in claims (`dispatch_ledger`), each written create-if-absent before
  its invokes start, so two dispatchers of the same job (a duplicate delivery, a retry after a
  crash, a continuation) never invoke the same item. A dispatcher that dies mid-claim leaves
  those items *in doubt*: they are not invoked again by a dispatcher (the invoke may have gone
  through); the status reports them as lost when no record arrives in time and redrive reruns
  them. At most two claims per dispatcher can be in doubt;
* its own deadline: with `remaining_ms` given, it stops claiming when less than
  `handover_margin_ms` is left, finishes what is in flight, and schedules a fresh invocation of
  itself that resumes from the ledger (continuation), so a plan of any size is dispatched;
* a per-run cap (`max_concurrency` in the request): at most that many of the run's shards in
  flight (dispatched, no outcome record yet, not lost). The dispatcher then polls the store for
  outcomes and writes a heartbeat while it waits; Lambda's own retries of a failed attempt may
  briefly run beside a new shard, as in Step Functions.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, cast

from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.core.planning import ShardRange
from serverless_sweep.handlers.dispatch_ledger import (
    JobItem,
    claim_key,
    claim_redrive,
    create_job,
    done_key,
    heartbeat_key,
    job_generation,
    job_items,
    read_job,
    read_ledger,
    redrive_job,
)
from serverless_sweep.handlers.payloads import PayloadBuilder
from serverless_sweep.handlers.ports import (
    AlreadyExists,
    Clock,
    DispatchScheduler,
    InvokeError,
    Invoker,
    InvokeResult,
    ObjectStore,
    SystemClock,
)
from serverless_sweep.handlers.runs import RunRecord, find_run
from serverless_sweep.handlers.settings import DEFAULT_LOST_AFTER_S, JSON_CONTENT
from serverless_sweep.handlers.status import gather_states

logger = logging.getLogger(__name__)

RemainingMillis = Callable[[], int]

DEFAULT_DISPATCH_CONCURRENCY = 64
MAX_FOLLOW_UPS = 5


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """How the dispatcher paces itself (one options object for every deployment)."""

    concurrency: int = DEFAULT_DISPATCH_CONCURRENCY
    chunk_size: int = 256
    """Items per claim (two store writes each). About one claim waits queued behind the running
    invokes, so a crash leaves at most two claims in doubt."""
    max_invoke_tries: int = 8
    backoff_base_s: float = 0.05
    backoff_cap_s: float = 5.0
    handover_margin_ms: int = 60_000
    """Stop claiming when less than this is left of the invocation (continuation takes over)."""
    poll_interval_s: float = 1.0
    """How often a capped run reads the store for finished shards."""
    heartbeat_interval_s: float = 60.0
    lost_after_s: float = DEFAULT_LOST_AFTER_S
    """A dispatched shard with no record after this long is lost (max event age + timeout)."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("dispatch concurrency must be at least 1")
        if self.chunk_size < 1:
            raise ValueError("dispatch chunk_size must be at least 1")
        if self.max_invoke_tries < 1:
            raise ValueError("max_invoke_tries must be at least 1")


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    """How the invoke of one (shard, attempt) ended."""

    shard_id: int
    attempt: int
    status_code: int | None
    error: str | None = None
    retryable: bool = False
    """The invoke was given up on with an error that may pass (throttling at the deadline):
    the shard goes to a follow-up job instead of waiting for a person's redrive."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class DispatchReport:
    """What one dispatcher invocation did (it may be one of several for the same job)."""

    run_id: str
    job: str
    outcomes: list[DispatchOutcome] = field(default_factory=list)
    remaining: int = 0
    """Items not yet claimed when this invocation stopped (0 when the job is complete)."""
    handed_over: bool = False
    unknown_job: bool = False
    follow_up: str | None = None
    """The job created for the invokes given up on with a retryable error, if any."""

    @property
    def failed(self) -> list[DispatchOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "job": self.job,
            "dispatched": sum(1 for o in self.outcomes if o.ok),
            "failed": len(self.failed),
            "remaining": self.remaining,
            "handed_over": self.handed_over,
            "unknown_job": self.unknown_job,
            "follow_up": self.follow_up,
        }


@dataclass
class Dispatcher:
    """Runs dispatch jobs (see the module docstring)."""

    invoker: Invoker
    store: ObjectStore
    layout: StorageLayout
    child_function: str
    payload_limit_bytes: int
    settings: DispatchSettings = field(default_factory=DispatchSettings)
    scheduler: DispatchScheduler | None = None
    clock: Clock = field(default_factory=SystemClock)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    idle: Callable[[], bool] | None = None
    """Where the invoker can say so (locally): True when every event it accepted has finished
    and its callbacks ran. A capped run then knows that shards still without a record will not
    get one from this invoker, and stops waiting for them instead of waiting for ever."""

    def run(
        self,
        run_id: str,
        job: str,
        remaining_ms: RemainingMillis | None = None,
        record: RunRecord | None = None,
        *,
        fresh: bool = False,
    ) -> DispatchReport:
        """Dispatch what is left of `job`; hand over to a continuation before the deadline.

        `fresh`: the caller has just created the job, so its ledger is known to be empty and is
        not read (one listing less inside an API request).
        """
        report = DispatchReport(run_id, job)
        record = record or find_run(self.store, self.layout, run_id)
        items = None if record is None else job_items(self.store, record, job)
        if record is None or items is None:
            logger.warning("dispatch job %s of run %r names nothing known", job, run_id)
            report.unknown_job = True
            return report
        _Run(self, record, job, items, remaining_ms, report).execute(fresh=fresh)
        return report


@dataclass
class _Claim:
    """Items [start, end) of the job, claimed by this dispatcher, and their invokes: per item
    its outcome, or the future of an invoke still running on the pool."""

    start: int
    end: int
    results: list[DispatchOutcome | Future[DispatchOutcome]] = field(default_factory=list)
    left: int = 0

    def outcomes(self) -> list[DispatchOutcome]:
        """Every item's outcome (waits for the invokes still running)."""
        return [r.result() if isinstance(r, Future) else r for r in self.results]

    def futures(self) -> list[Future[DispatchOutcome]]:
        return [r for r in self.results if isinstance(r, Future)]


class ManyInvoker(Protocol):
    """An invoker that takes a batch of events in one call (the local one): per payload, in
    order, its answer or the exception its own `invoke_async` would have raised."""

    def invoke_async_many(
        self, function_name: str, payloads: Sequence[bytes]
    ) -> Sequence[InvokeResult | Exception]: ...


class _Run:
    """One dispatcher invocation of one job: the claim loop and its bookkeeping.

    At most `MAX_OPEN_CLAIMS` claims are open (claimed, done record not yet written) at a time,
    so a dispatcher killed at any moment leaves at most that many claims in doubt, and the loop
    learns about finished invokes from done-callbacks (counters), not by polling every future.
    """

    MAX_OPEN_CLAIMS = 2

    def __init__(
        self,
        owner: Dispatcher,
        record: RunRecord,
        job: str,
        items: list[JobItem],
        remaining_ms: RemainingMillis | None,
        report: DispatchReport,
    ) -> None:
        self.o = owner
        self.s = owner.settings
        self.record = record
        self.job = job
        self.items = items
        self.remaining_ms = remaining_ms
        self.report = report
        self.builder = PayloadBuilder(record, owner.payload_limit_bytes)
        many = getattr(owner.invoker, "invoke_async_many", None)
        self.many = cast(ManyInvoker, owner.invoker) if callable(many) else None
        self.cap = int(record.request.get("max_concurrency") or 0)
        self.by = uuid.uuid4().hex[:12]
        self.cond = threading.Condition()
        self.busy = 0  # invokes submitted and not finished
        # (shard_id, attempt) of this run's shards believed in flight, for the per-run cap.
        self.in_flight: set[tuple[int, int]] = set()
        self.last_poll = float("-inf")
        self.last_heartbeat = float("-inf")

    # -- the loop ---------------------------------------------------------------------------------

    def execute(self, *, fresh: bool) -> None:
        start = 0 if fresh else read_job(self.o.store, self.record, self.job).next_start()
        if self.cap:
            self._poll_in_flight(force=True)
        claims: list[_Claim] = []
        pool = ThreadPoolExecutor(self.s.concurrency, thread_name_prefix="sweep-dispatch")
        try:
            while True:
                claims = self._flush(claims)
                if start >= len(self.items):
                    if not claims:
                        break
                    self._wait()
                    continue
                if self._deadline_near():
                    self._drain(claims)
                    claims = []
                    self.report.remaining = len(self.items) - start
                    self._hand_over()
                    return
                # Keep about one claim queued behind the running invokes (pipelining the claim
                # writes), never more than MAX_OPEN_CLAIMS open, and stay within the run's cap.
                with self.cond:
                    busy = self.busy
                room = self.s.chunk_size
                if busy >= self.s.chunk_size or len(claims) >= self.MAX_OPEN_CLAIMS:
                    room = 0
                if room and self.cap:
                    room = min(room, self.cap - self._in_flight_count())
                if room <= 0:
                    if busy:
                        self._wait()
                    else:
                        self._heartbeat()
                        self.o.sleep(self.s.poll_interval_s)
                    continue
                end = min(len(self.items), start + room)
                if self._claim(start, end) is None:  # another dispatcher took [start, ...)
                    start = read_job(self.o.store, self.record, self.job).next_start()
                    continue
                claim = _Claim(start, end)
                batch = self.items[start:end]
                if self.cap:
                    with self.cond:
                        self.in_flight.update((s.shard_id, a) for s, a in batch)
                if self.many is not None:
                    self._invoke_batch(pool, claim, batch, self.many)
                else:
                    self._submit(pool, claim, [(s, a, None) for s, a in batch])
                claims.append(claim)
                start = end
        finally:
            self._drain(claims)
            pool.shutdown(wait=True)
            self._follow_up()

    def _submit(
        self,
        pool: ThreadPoolExecutor,
        claim: _Claim,
        invokes: list[tuple[ShardRange, int, InvokeError | None]],
    ) -> None:
        """Run these invokes on the pool, one call per event (`_invoke`; an error given is
        the answer of a first try already made), their outcomes appended to the claim."""
        with self.cond:
            self.busy += len(invokes)
            claim.left += len(invokes)
        for shard, attempt, first_error in invokes:
            future = pool.submit(self._invoke, shard, attempt, first_error)
            future.add_done_callback(functools.partial(self._finished, claim))
            claim.results.append(future)

    def _invoke_batch(
        self,
        pool: ThreadPoolExecutor,
        claim: _Claim,
        batch: list[JobItem],
        many: ManyInvoker,
    ) -> None:
        """A claim's invokes in one call of an invoker that takes batches (the local one,
        issue 13: about 15 us of the parent's CPU per tiny shard instead of about 100 us through
        the pool). Each event keeps its own answer: a retryable refusal goes on to the pool's
        per-event retries with backoff, as if its first try had been made there."""
        try:
            payloads = self.builder.build_many(batch)
            answers = list(many.invoke_async_many(self.o.child_function, payloads))
            if len(answers) != len(batch):
                raise RuntimeError(f"{len(answers)} answers to {len(batch)} invokes")
        except Exception as exc:  # an invoker bug: never lose the other shards
            claim.results.extend(
                DispatchOutcome(s.shard_id, a, None, _describe(exc, 1)) for s, a in batch
            )
            return
        for (shard, attempt), answer in zip(batch, answers, strict=True):
            if isinstance(answer, InvokeError) and answer.retryable:
                self._submit(pool, claim, [(shard, attempt, answer)])  # its future, in place
            elif isinstance(answer, BaseException):
                error = _describe(answer, 1)
                claim.results.append(DispatchOutcome(shard.shard_id, attempt, None, error))
            else:
                claim.results.append(DispatchOutcome(shard.shard_id, attempt, answer.status_code))

    def _finished(self, claim: _Claim, _future: Future[DispatchOutcome]) -> None:
        with self.cond:
            claim.left -= 1
            self.busy -= 1
            self.cond.notify_all()

    def _wait(self) -> None:
        with self.cond:
            self.cond.wait(timeout=self.s.poll_interval_s)

    def _flush(self, claims: list[_Claim]) -> list[_Claim]:
        """Write the done record of every claim whose invokes have all ended."""
        with self.cond:
            finished = [c for c in claims if c.left == 0]
            left = [c for c in claims if c.left != 0]
        for claim in finished:
            self._write_done(claim.start, claim.end, claim.outcomes())
        return left

    def _drain(self, claims: list[_Claim]) -> None:
        for claim in claims:
            wait(claim.futures())
            self._write_done(claim.start, claim.end, claim.outcomes())

    def _follow_up(self) -> None:
        """Hand the invokes given up on with a retryable error to a new job (a redrive the
        dispatcher starts itself), so throttling that outlasts an invocation needs no person.
        After MAX_FOLLOW_UPS generations of the same work the failures stay for a person."""
        retry = [o for o in self.report.outcomes if not o.ok and o.retryable]
        if not retry or self.o.scheduler is None:
            return
        generation = job_generation(self.o.store, self.record, self.job) + 1
        if generation > MAX_FOLLOW_UPS:
            logger.error("%d invokes still refused after %d follow-ups", len(retry), generation - 1)
            return
        wanted = {o.shard_id for o in retry}
        shards = [s for s in self.record.shards if s.shard_id in wanted]
        now = self.o.clock.now()
        sequence = claim_redrive(self.o.store, self.record, shards, now, generation=generation)
        job = redrive_job(sequence)
        create_job(self.o.store, self.record, job, now)
        self.o.scheduler.schedule(self.record.run_id, job)
        self.report.follow_up = job
        logger.warning("%d throttled invokes handed to follow-up job %s", len(retry), job)

    # -- claims and records -----------------------------------------------------------------------

    def _claim(self, start: int, end: int) -> int | None:
        document = {
            "job": self.job,
            "start": start,
            "end": end,
            "items": [[s.shard_id, a] for s, a in self.items[start:end]],
            "claimed_at": self.o.clock.now().isoformat(),
            "by": self.by,
        }
        key = claim_key(self.record, self.job, start)
        try:
            self.o.store.put_if_absent(key, dumps_canonical(document).encode(), JSON_CONTENT)
        except AlreadyExists:
            return None
        return end

    def _write_done(self, start: int, end: int, outcomes: list[DispatchOutcome]) -> None:
        self.report.outcomes.extend(outcomes)
        document = {
            "job": self.job,
            "start": start,
            "end": end,
            "accepted": [[o.shard_id, o.attempt, o.status_code] for o in outcomes if o.ok],
            "failed": [
                [o.shard_id, o.attempt, o.error or f"status {o.status_code}"]
                for o in outcomes
                if not o.ok
            ],
            "done_at": self.o.clock.now().isoformat(),
            "by": self.by,
        }
        try:
            self.o.store.put_if_absent(
                done_key(self.record, self.job, start),
                dumps_canonical(document).encode(),
                JSON_CONTENT,
            )
        except Exception:  # the claim stays: its items count as in doubt, nothing is re-invoked
            logger.exception("could not write the dispatch record of items %s-%s", start, end)
        with self.cond:
            for o in outcomes:
                if not o.ok:
                    self.in_flight.discard((o.shard_id, o.attempt))

    def _heartbeat(self) -> None:
        now = time.monotonic()  # pacing only: real time, whatever clock the run uses
        if now - self.last_heartbeat < self.s.heartbeat_interval_s:
            return
        self.last_heartbeat = now
        document = {"at": self.o.clock.now().isoformat(), "by": self.by, "job": self.job}
        try:
            self.o.store.put(
                heartbeat_key(self.record, self.job),
                dumps_canonical(document).encode(),
                JSON_CONTENT,
            )
        except Exception:
            logger.exception("could not write the dispatch heartbeat")

    # -- invokes ----------------------------------------------------------------------------------

    def _invoke(
        self, shard: ShardRange, attempt: int, first_error: InvokeError | None = None
    ) -> DispatchOutcome:
        """Invoke one event with backoff; `first_error`: a first try (in a batch) was made
        and refused with this retryable error."""
        payload = self.builder.build(shard, attempt)
        tries = 0
        while True:
            tries += 1
            try:
                if first_error is not None:
                    refused, first_error = first_error, None
                    raise refused
                result = self.o.invoker.invoke_async(self.o.child_function, payload)
                return DispatchOutcome(shard.shard_id, attempt, result.status_code)
            except InvokeError as exc:
                if not exc.retryable:
                    return DispatchOutcome(shard.shard_id, attempt, None, _describe(exc, tries))
                if tries >= self.s.max_invoke_tries or self._deadline_near(half=True):
                    error = _describe(exc, tries)  # may pass: a follow-up job tries again
                    return DispatchOutcome(shard.shard_id, attempt, None, error, retryable=True)
                self.o.sleep(self._backoff(tries))
            except Exception as exc:  # an invoker bug or a refusal: never lose the other shards
                return DispatchOutcome(shard.shard_id, attempt, None, _describe(exc, tries))

    def _backoff(self, tries: int) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2**tries))."""
        ceiling = min(self.s.backoff_cap_s, self.s.backoff_base_s * (2**tries))
        with self.cond:
            return self.o.rng.uniform(0.0, ceiling)

    # -- deadline and the per-run cap -------------------------------------------------------------

    def _deadline_near(self, *, half: bool = False) -> bool:
        if self.remaining_ms is None:
            return False
        margin = self.s.handover_margin_ms / (2 if half else 1)
        return self.remaining_ms() < margin

    def _hand_over(self) -> None:
        if self.o.scheduler is None:
            logger.warning("dispatch of %s stopped at its deadline with no scheduler", self.job)
            return
        self.o.scheduler.schedule(self.record.run_id, self.job)
        self.report.handed_over = True
        logger.info(
            "dispatch of %s handed over with %d items left", self.job, self.report.remaining
        )

    def _in_flight_count(self) -> int:
        self._poll_in_flight()
        with self.cond:
            count = len(self.in_flight)
        if count and self.o.idle is not None and self.o.idle():
            self._poll_in_flight(force=False, now=True)
            with self.cond:
                if self.in_flight:
                    logger.warning(
                        "%d shards of run %r finished without a record; not waiting for them",
                        len(self.in_flight),
                        self.record.run_id,
                    )
                    self.in_flight.clear()
                count = 0
        return count

    def _poll_in_flight(self, *, force: bool = False, now: bool = False) -> None:
        """Drop finished shards from `in_flight` (and, with `force`, add the run's others);
        `now` reads the store even if the last read was less than a poll interval ago."""
        moment = time.monotonic()  # pacing only: real time, whatever clock the run uses
        if not (force or now) and moment - self.last_poll < self.s.poll_interval_s:
            return
        self.last_poll = moment
        states = gather_states(self.o.store, self.layout, self.record)
        lost_before = (self.o.clock.now() - timedelta(seconds=self.s.lost_after_s)).isoformat()
        if force:
            for _job, ledger in read_ledger(self.o.store, self.record).items():
                for shard_id, dispatch in ledger.shard_dispatches():
                    if dispatch.state in ("accepted", "in_doubt") and dispatch.at >= lost_before:
                        with self.cond:
                            self.in_flight.add((shard_id, dispatch.attempt))
        with self.cond:
            self.in_flight = {
                (shard_id, attempt)
                for shard_id, attempt in self.in_flight
                if shard_id not in states.succeeded
                and not any(a >= attempt for a, _ in states.failures.get(shard_id, []))
            }

    @property
    def layout(self) -> StorageLayout:
        return self.o.layout


def _describe(exc: BaseException, tries: int) -> str:
    suffix = f" (after {tries} tries)" if tries > 1 else ""
    return f"{type(exc).__name__}: {exc}{suffix}"
