"""The child (shard worker) handler: run one shard, write its Parquet file and outcome envelope.

Guarantees, because Lambda delivers async events at least once and may kill a slow function:
* a shard that already succeeded is answered from its envelope, with nothing recomputed or
  written, as long as the object the envelope commits is intact (size and SHA-256 as recorded);
  a damaged or missing one is recomputed under the delivery's attempt (a redrive) and the
  envelope re-pointed at the new file, the damaged file left where it is, uncommitted;
* success artifacts are written create-if-absent, so they are never overwritten;
* every failure past the payload and bucket checks leaves a failure record (a shard_errors row
  and a failure envelope) under a fresh attempt id, then the error is re-raised so the platform
  sees a failed invocation (and may retry); when not even the failure envelope can be written
  (a full disk), `UnrecordedFailure` says so in one line, naming the shard, the run and both
  causes, instead of a traceback per write;
* the deadline is watched: a shard that would outlive its invocation records a `timeout` failure
  instead of vanishing. The margin kept for writing that record is at most a fifth of the budget
  the invocation started with, so a short timeout (5 s) still computes for most of its time.

The commit protocol (issue 9, item 6): **the success envelope is the commit point.**

1. The rows go to `StorageLayout.attempt_metrics_key` (``part-<shard>-<attempt>.parquet``),
   create-if-absent. Nothing reads that file yet: the DuckDB views and the Athena query files
   only read a metrics file a success envelope names (locally the view's file list is built from
   the envelopes; in SQL the rows join the envelope on ``(shard_id, attempt)``, columns every
   row carries). A file whose envelope never got written (full disk, an S3 503 on the PUT) is
   therefore invisible, and `sweep verify` lists it as an orphan.
2. The envelope (create-if-absent) names that key with its size and SHA-256. Writing it is the
   commit: status counts the shard, and queries see its rows, from this moment on.

Why one key per (shard, attempt) and not per delivery (an attempt id): Parquet rows carry
`shard_id` and `attempt`, not a delivery id, so the same SQL text can select a shard's
committed rows on Athena and DuckDB; and a platform retry of the same attempt (same payload)
finds the earlier delivery's file, checks that it decodes to the shard's rows and adopts it,
instead of leaving a second file of the same attempt behind. A redrive is a new attempt number,
so it never meets a stale file of an earlier attempt (whose rows say another attempt anyway).
Runs written before keep their ``part-<shard>.parquet`` files; their envelopes name them.

The check order reproduces the old runtime (replay fixtures pin it): payload, bucket, already
done, failure injection, point space, bounds, compute.

`ChildHandler._run` is the attempt as named phases: `_inject_failure`, `_validate` (contract,
model, point space, bounds), `_compute` (the points, watching the deadline), `_commit` (rows,
then the envelope, in one group commit on the local store: one journal commit per shard, the
envelope never durable before its file); a failure in any of them is recorded by
`_record_failure` through `failure_recorder.write_failure_record`, the implementation the
on-failure recorder uses too.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import logging
import os
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from serverless_sweep import __version__
from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.jsonio import dumps_canonical, json_matcher
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.core.payload import check_shard_payload
from serverless_sweep.core.seeding import point_seed
from serverless_sweep.core.space import SpaceError, SweepSpace, space_of
from serverless_sweep.core.validation import INT64_MAX
from serverless_sweep.handlers.compaction import (
    CommittedRows,
    compact_completed,
    compact_if_complete,
)
from serverless_sweep.handlers.contract_docs import (
    ContractRejected,
    DocumentView,
    contract_document,
    model_fields,
    validated_view,
    view_body,
    view_from_json,
)
from serverless_sweep.handlers.detail import DetailRows, detail_rows, write_detail_files
from serverless_sweep.handlers.failure_recorder import (
    _LOGGED_CAUSES,  # noqa: F401 - the tests reset it through this module
    ShardFailure,
    log_once,
    write_failure_record,
)
from serverless_sweep.handlers.ledger import timing_fields
from serverless_sweep.handlers.parquet import parquet_problem, sha256_hex
from serverless_sweep.handlers.ports import (
    AlreadyExists,
    Clock,
    CorruptRecord,
    ObjectStore,
    StoreError,
    StoreNotConfigured,
    SystemClock,
)
from serverless_sweep.handlers.responses import CONTRACT_VERSION
from serverless_sweep.handlers.settings import (
    DEFAULT_RESULTS_PREFIX,
    JSON_CONTENT,
    PARQUET_CONTENT,
    deployment_default_model,
    results_prefix,
)
from serverless_sweep.handlers.verify import check_success_envelope
from serverless_sweep.models.base import ModelError, PointContext, SimulationModel
from serverless_sweep.models.registry import UnknownModel, get_model

if TYPE_CHECKING:
    # The payload is the generated checker's view of it, or this model when the checker was
    # not sure (handlers/contract_docs.py): the same attributes, without importing pydantic.
    from serverless_sweep.contracts import ShardPayload

DEADLINE_MARGIN_ENV = "SWEEP_DEADLINE_MARGIN_MS"
INJECTED_FAILURE_MESSAGE = "Injected shard failure for verification"
OUTPUT_FORMAT = "parquet-compatible-json"
RECORD_SCHEMA = "v1"
TRACEBACK_LIMIT = 4000

#: The deadline margin is at most this share of the budget the invocation started with.
MAX_MARGIN_SHARE = 0.2
#: A shard of at most this many rows gets a plainly encoded file (see `metrics_parquet`).
SMALL_SHARD_ROWS = 16
#: The payload fields that differ between the shards of one run (the parent's `PayloadBuilder`
#: fills in exactly these); everything else is the run's (see `_KnownRun`).
PER_SHARD_FIELDS = frozenset(("attempt", "end_index", "shard_id", "start_index"))

RemainingMillis = Callable[[], int]
logger = logging.getLogger(__name__)

__all__ = [
    "ChildConfig",
    "ChildHandler",
    "ShardTimeout",
    "UnrecordedFailure",
    "log_once",  # defined in failure_recorder (one implementation), kept importable here
]


class ShardTimeout(TimeoutError):
    """The invocation would end before the shard finishes."""


class UnrecordedFailure(StoreError):
    """An attempt failed and not even its failure envelope could be written (a full disk, a
    store that refuses writes). Status then shows the shard as missing; a redrive re-runs it."""


@dataclass(frozen=True, slots=True)
class ChildConfig:
    """Deployment settings of the child, normally read from the environment."""

    results_prefix: str = DEFAULT_RESULTS_PREFIX
    default_model: str | None = None
    # Stop this long before the invocation deadline, leaving time to write the failure record.
    deadline_margin_ms: int = 5_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ChildConfig:
        env = os.environ if environ is None else environ
        return cls(
            results_prefix=results_prefix(env),
            default_model=deployment_default_model(env)[0],
            deadline_margin_ms=int(env.get(DEADLINE_MARGIN_ENV, "5000")),
        )


@dataclass(slots=True)
class _Attempt:
    """What is known about the attempt so far (for the failure record)."""

    payload: dict[str, Any]
    run_date: str
    attempt: int
    model: str | None
    # A failure record's random id, drawn when one is written (`failure_attempt_id`): a
    # successful attempt never needs one, and drawing it costs a system call (issue 13).
    attempt_id: str | None = None
    kind: str = "internal"
    # Set when a success envelope exists whose committed object is damaged: this delivery
    # recomputes the shard and re-points the envelope (the envelope's key, bytes and problem).
    repair: tuple[str, bytes, str] | None = None
    started_at: datetime | None = None  # for the ledger fields (handlers/ledger.py)
    outcome_key: str | None = None  # the success envelope's key, once built
    # The run this payload belongs to, when it is the one the handler validated last.
    known: _KnownRun | None = None

    def failure_attempt_id(self) -> str:
        """The attempt's failure-record id (a random 12-hex-digit id), drawn on first use."""
        if self.attempt_id is None:
            self.attempt_id = uuid.uuid4().hex[:12]
        return self.attempt_id


@dataclass(frozen=True, slots=True)
class _KnownRun:
    """What validating one shard's payload established for every shard of its run (issue 13:
    no repeated validation of what was validated; tiny shards cheap).

    A payload whose every field but the four per-shard ones (`PER_SHARD_FIELDS`) is the same
    JSON value as the validated one's, keys in the same order (`core.jsonio.same_json_value`,
    tested as `==` plus a `json_matcher`: 1, 1.0 and true differ, so do 0.0 and -0.0), and
    whose per-shard fields are plain integers in [0, 2**63) (attempt >= 1), passes the old
    runtime's field checks and the contract exactly as that one did: those fields are only
    type- and range-checked there. Its model and point space are that one's too. So
    `_known_run` lets such a payload skip `check_shard_payload`, the contract check and the
    space; anything else (another run, one field that differs, a bool or an out-of-range
    index) takes the full path, with its check order and messages.
    The model is still looked up per shard, and the shard's bounds, failure injection,
    existing success, deadline, outcome and failure record are its own, as before.

    Kept only for payloads that carry their dimensions and were checked by the generated
    checker (not pydantic, whose instance is not a plain body); the values are copies, so
    nothing a shard does to its payload reaches the next one."""

    keys: tuple[str, ...]
    # (key, value, test): each run-wide field, and what tells a value `==` to it apart from it
    fixed: tuple[tuple[str, Any, Callable[[Any], bool]], ...]
    body: dict[str, Any]
    model_name: str
    model: SimulationModel
    space: SweepSpace


@dataclass(frozen=True, slots=True)
class _Shard:
    """A validated shard: its payload, its model and the run's point space."""

    payload: ShardPayload
    model: SimulationModel
    space: SweepSpace


@dataclass
class _Computed:
    """The rows of a computed shard: shard_metrics rows and the model's own values."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    model_rows: list[dict[str, Any]] = field(default_factory=list)
    detail: DetailRows | None = None  # the request's `outputs` (handlers/detail.py)


class _CommitGroup(Protocol):
    """The commit point of a shard's writes (`LocalObjectStore.group_commit`, or plain writes)."""

    def commit_if_absent(self, key: str, data: bytes, content_type: str = ...) -> None: ...

    def commit(self, key: str, data: bytes, content_type: str = ...) -> None: ...


@dataclass(frozen=True, slots=True)
class _PlainCommit:
    """Stores without group commits (S3, memory): each write is durable when it returns."""

    store: ObjectStore

    def commit_if_absent(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self.store.put_if_absent(key, data, content_type)

    def commit(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.store.put(key, data, content_type)


def _commit_group(store: ObjectStore) -> contextlib.AbstractContextManager[_CommitGroup]:
    """The store's group commit where it has one (the local store), else plain writes (the
    store's own context manager itself: no second generator around it per shard)."""
    factory = getattr(store, "group_commit", None)
    if not callable(factory):
        return contextlib.nullcontext(_PlainCommit(store))
    group: contextlib.AbstractContextManager[_CommitGroup] = factory()
    return group


@dataclass
class ChildHandler:
    """Runs one shard per call. Stateless between calls apart from the store."""

    store: ObjectStore
    config: ChildConfig = field(default_factory=ChildConfig)
    clock: Clock = field(default_factory=SystemClock)
    # Committed shards waiting for their publication to be marked done (`_after_commit`).
    _queued: threading.local = field(default_factory=threading.local, repr=False, compare=False)
    # The run of the payload validated last (`_KnownRun`); replaced, never mutated.
    _known: _KnownRun | None = field(default=None, repr=False, compare=False)
    _layout: tuple[str, StorageLayout] | None = field(default=None, repr=False, compare=False)

    @property
    def layout(self) -> StorageLayout:
        """The store's key layout, one object per prefix: it remembers the folders it built
        (`StorageLayout`'s caches), which a new layout per call would build again."""
        prefix = self.config.results_prefix
        known = self._layout
        if known is None or known[0] != prefix:
            known = self._layout = (prefix, StorageLayout(prefix))
        return known[1]

    def handle(self, event: object, remaining_ms: RemainingMillis | None = None) -> dict[str, Any]:
        started = self.clock.monotonic()
        budget_ms = remaining_ms() if remaining_ms is not None else None
        # Invalid payloads write nothing (old behaviour). A shard of the run validated last
        # differs from its payload only in per-shard fields `_known_run` checked (issue 13).
        known = self._known_run(event)
        payload = (
            check_shard_payload(event) if known is None else dict(cast("dict[str, Any]", event))
        )
        try:
            self.store.check_configured()
        except StoreNotConfigured as exc:
            raise RuntimeError(str(exc)) from exc

        attempt = _Attempt(
            payload=payload,
            run_date=str(payload.get("run_date") or self.clock.now().date().isoformat()),
            attempt=int(payload.get("attempt", 1)),
            model=payload.get("model") or self.config.default_model,
            started_at=self.clock.now(),
            known=known,
        )
        try:
            existing = self._existing_success(attempt)
            if existing is not None:
                # Compaction (idempotent) again, in case the delivery that committed was killed
                # before its compaction ran (after a durability batch published it, say).
                self._after_commit(attempt)
                return existing
            return self._run(attempt, started, remaining_ms, budget_ms)
        except BaseException as exc:
            if isinstance(exc, Exception):
                self._record_failure(attempt, exc)
            raise

    # -- the shard ----------------------------------------------------------------------------

    def _existing_success(self, attempt: _Attempt) -> dict[str, Any] | None:
        p = attempt.payload
        key = attempt.outcome_key = self.layout.success_outcome_key(
            attempt.run_date, p["run_id"], p["shard_id"]
        )
        raw = self.store.get(key)
        if raw is None:
            return None
        envelope, problem = self.commit_problem(key, raw)
        if envelope is not None and problem is None:
            return _result(envelope, key, duplicate=True)
        attempt.repair = (key, raw, problem or "is damaged")
        logger.warning(
            "shard %s of run %r: the committed result %s; recomputing it as attempt %s",
            p["shard_id"],
            p["run_id"],
            problem,
            attempt.attempt,
        )
        return None

    def commit_problem(self, key: str, raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
        """(envelope, None) when a success envelope and the object it commits are intact, else
        (envelope or None, what is wrong, naming the key); see handlers/verify.py."""
        check = check_success_envelope(self.store, self.layout, key, raw)
        return check.envelope, check.problem

    def _run(
        self,
        attempt: _Attempt,
        started: float,
        remaining_ms: RemainingMillis | None,
        budget_ms: int | None,
    ) -> dict[str, Any]:
        """The attempt's phases in order. Each phase names the error_kind of the unexpected
        errors raised inside it (typed errors say their own kind, see `_error_kind`); a phase
        that fails leaves the failure record to `handle`."""
        attempt.kind = "injected"
        self._inject_failure(attempt)
        attempt.kind = "invalid_payload"
        shard = self._validate(attempt)
        attempt.kind = "model_error"
        computed = self._compute(attempt, shard, remaining_ms, budget_ms)
        attempt.kind = "storage"
        return self._commit(attempt, shard, computed, started)

    # -- phases ---------------------------------------------------------------------------------

    def _inject_failure(self, attempt: _Attempt) -> None:
        """Verification runs name shards that must fail (`==` membership, as before)."""
        p = attempt.payload
        if p["shard_id"] in p["failure_injection_shards"]:
            raise RuntimeError(INJECTED_FAILURE_MESSAGE)

    def _known_run(self, event: object) -> _KnownRun | None:
        """The run validated last, when `event` is another shard of it (see `_KnownRun`)."""
        known = self._known
        if known is None or type(event) is not dict or tuple(event) != known.keys:
            return None
        for key, value, same in known.fixed:
            found = event[key]
            if found != value or not same(found):  # `same`: what `==` cannot tell apart
                return None
        for key in ("shard_id", "start_index", "end_index"):
            value = event[key]
            if type(value) is not int or not 0 <= value <= INT64_MAX:
                return None
        value = event.get("attempt", 1)
        if type(value) is not int or not 1 <= value <= INT64_MAX:
            return None
        return known

    def _validate(self, attempt: _Attempt) -> _Shard:
        """The payload against its contract, the model, the point space and the bounds."""
        known = attempt.known
        if known is not None and attempt.model == known.model_name:
            try:
                model: SimulationModel | None = get_model(known.model_name)
            except UnknownModel:  # unregistered since: the full path says so, as it would
                model = None
            if model is known.model:
                return self._known_shard(attempt, known)
        shard = self._validated_shard(attempt)
        self._remember(attempt, shard)
        return shard

    def _known_shard(self, attempt: _Attempt, known: _KnownRun) -> _Shard:
        """A shard of the known run: its contract body is the run's with its own four fields,
        which `_known_run` checked; its bounds are checked here, as for any shard."""
        p = attempt.payload
        body = dict(known.body)
        body["shard_id"] = p["shard_id"]
        body["start_index"] = start = p["start_index"]
        body["end_index"] = end = p["end_index"]
        body["attempt"] = p.get("attempt", 1)
        if not (0 <= start < end <= known.space.size):
            raise ValidationError("Invalid shard bounds")
        payload: ShardPayload = cast(Any, DocumentView(body, model_fields("ShardPayload")))
        return _Shard(payload, known.model, known.space)

    def _remember(self, attempt: _Attempt, shard: _Shard) -> None:
        """Keep what this validated payload established for the other shards of its run."""
        body = view_body(shard.payload)
        p = attempt.payload
        if body is None or shard.payload.dimensions is None or attempt.model is None:
            return
        self._known = _KnownRun(
            keys=tuple(p),
            fixed=tuple(
                (key, value, json_matcher(value))
                for key, value in copy.deepcopy(p).items()
                if key not in PER_SHARD_FIELDS
            ),
            body=copy.deepcopy(body),
            model_name=attempt.model,
            model=shard.model,
            space=shard.space,
        )

    def _validated_shard(self, attempt: _Attempt) -> _Shard:
        """The full validation of `_validate`, in the old runtime's order."""
        try:
            payload: ShardPayload = validated_view("ShardPayload", attempt.payload)
        except ContractRejected as exc:
            # Declared divergence `lenient-child` lands here too: non-list dimension values.
            raise ValidationError.from_violations(exc.violations) from None
        if attempt.model is None:
            raise ValidationError("No model given and SWEEP_DEFAULT_MODEL names no known model")
        try:
            model = get_model(attempt.model)
        except UnknownModel as exc:
            raise ValidationError(str(exc)) from None
        try:  # a grid, or samples over ranges, minus exclusions (issue 14)
            space = space_of(self._space_document(payload))
        except SpaceError as exc:
            raise ValidationError(f"Invalid point space: {exc}") from None
        if not (0 <= payload.start_index < payload.end_index <= space.size):
            raise ValidationError("Invalid shard bounds")
        return _Shard(payload, model, space)

    def _compute(
        self,
        attempt: _Attempt,
        shard: _Shard,
        remaining_ms: RemainingMillis | None,
        budget_ms: int | None,
    ) -> _Computed:
        """Every point of the shard through the model, watching the invocation's deadline."""
        payload, model = shard.payload, shard.model
        run_id, shard_id, seed = payload.run_id, payload.shard_id, payload.seed
        start, end = payload.start_index, payload.end_index
        margin_ms = self.deadline_margin_ms(budget_ms)
        computed = _Computed()
        rows, model_rows = computed.rows, computed.model_rows
        detail = computed.detail = detail_rows(payload.outputs, model, shard_id, attempt.attempt)
        slowest_ms = 0.0
        for index, point in shard.space.iter_points(start, end):
            if remaining_ms is not None:
                left_ms = remaining_ms()
                # The next point may take as long as the slowest so far: stop if it would eat
                # into the time kept for writing the timeout record (or none is left at all).
                if left_ms <= margin_ms or left_ms - margin_ms < slowest_ms:
                    raise ShardTimeout(
                        _timeout_message(
                            shard_id, index, start, end, left_ms, margin_ms, rows, slowest_ms
                        )
                    )
            t0 = self.clock.monotonic()
            context = PointContext(run_id=run_id, shard_id=shard_id, seed=seed, point_index=index)
            if detail is None:
                values = model.run_point(point, context)
            else:
                values = detail.run_point(model, point, context)
            elapsed_ms = (self.clock.monotonic() - t0) * 1000.0
            slowest_ms = max(slowest_ms, elapsed_ms)
            model_rows.append(values)
            rows.append(
                {
                    "shard_id": shard_id,
                    "point_index": index,
                    "point_seed": point_seed(seed, index),
                    "model": model.name,
                    "attempt": attempt.attempt,
                    "compute_ms": elapsed_ms,
                    **values,
                }
            )
        return computed

    def _commit(
        self, attempt: _Attempt, shard: _Shard, computed: _Computed, started: float
    ) -> dict[str, Any]:
        """Write the rows, then the success envelope naming them: the commit point.

        One group commit (see `adapters/local/store.py`; other stores write as usual): the
        Parquet file is published at once, and the envelope is made durable together with it
        (one journal commit, not two), then published create-if-absent. The envelope is never
        durable before the file it commits. Work that must follow a commit belongs after the
        `with` block.
        """
        payload, model = shard.payload, shard.model
        run_id, shard_id = payload.run_id, payload.shard_id
        start, end = payload.start_index, payload.end_index
        rows = computed.rows
        metrics_key = self.layout.attempt_metrics_key(
            attempt.run_date, run_id, shard_id, attempt.attempt
        )
        outcome_key = attempt.outcome_key or self.layout.success_outcome_key(
            attempt.run_date, run_id, shard_id
        )
        found: dict[str, Any] | None = None  # a shard already done: repaired, or found committed
        with _commit_group(self.store) as group:
            encoded = metrics_parquet(model.name, rows)
            data = self._write_rows(metrics_key, encoded, attempt, len(rows))
            details = write_detail_files(
                computed.detail,
                self.layout,
                attempt.run_date,
                run_id,
                lambda key, blob, n: self._write_rows(key, blob, attempt, n),
            )
            envelope = contract_document(
                "SuccessOutcome",
                {
                    "end_index": end,
                    "event_time": self.clock.now().isoformat(),
                    "output_metadata": {
                        "format": OUTPUT_FORMAT,
                        "metrics_key": metrics_key,
                        "metrics_sha256": sha256_hex(data),
                        "metrics_size": len(data),
                        "points_processed": len(rows),
                        "result_key": outcome_key,
                        "summary": {
                            "end_index": end,
                            "metrics": model.summarize(computed.model_rows),
                            "run_id": run_id,
                            "shard_id": shard_id,
                            "start_index": start,
                        },
                        **details,
                    },
                    "record_schema": RECORD_SCHEMA,
                    "run_id": run_id,
                    "shard_id": shard_id,
                    "start_index": start,
                    "status": "success",
                    **self._additions(attempt),
                    **timing_fields(attempt.started_at or self.clock.now(), self.clock.now()),
                    "duration_ms": round((self.clock.monotonic() - started) * 1000.0, 3),
                },
            )
            body = dumps_canonical(envelope).encode()
            if attempt.repair is not None:
                found = self._repoint(attempt, outcome_key, envelope, body, group)
            else:
                try:
                    group.commit_if_absent(outcome_key, body, JSON_CONTENT)  # the commit
                except AlreadyExists:
                    raw = self.store.get(outcome_key)
                    if raw is not None:  # a redelivery, or a retry that found its own object
                        found = _result(json.loads(raw), outcome_key, duplicate=True)
        if found is not None:
            # The shard is done (repaired here, or committed by another delivery): it is marked
            # done and compaction (idempotent) runs again, in case the delivery that committed
            # was killed between its commit and its compaction, through the one path below.
            self._after_commit(attempt)
            return found
        committed = None
        if data is encoded and len(rows) <= SMALL_SHARD_ROWS:  # its file holds these very rows
            digest = str(envelope["output_metadata"]["metrics_sha256"])
            committed = CommittedRows(shard_id, metrics_key, digest, rows, envelope, body)
        self._after_commit(attempt, committed)
        return _result(envelope, outcome_key, duplicate=False)

    def _after_commit(self, attempt: _Attempt, rows: CommittedRows | None = None) -> None:
        """Compaction follows the commit, once the commit is published (compaction reads the
        envelopes): at once on most stores; at the end of a durability batch when the local
        store defers this commit's publication (several tiny shards in one worker task,
        issue 13). The shards committed in one batch are marked done together: the first
        callback the batch runs takes every queued shard into one `compact_completed` call
        (one marker per run of consecutive shards, one listing per completion group) instead
        of one marker and one listing each, and the later callbacks find the queue empty.

        The queue is per thread because the store's batches are: a shard committed on
        another thread's batch must not be marked before that batch publishes it. (A batch
        abandoned by an exception runs no callbacks: its queued shards are marked with the
        next flush on this thread, a marker without an envelope, which compaction already
        tolerates: it finds the run incomplete and the shard's retry completes it.)

        `rows`: a tiny shard's rows when its committed file was encoded from them (not an
        earlier delivery's adopted file), for the batch's compaction chunk."""
        self._compaction_queue().append((attempt.payload, rows))
        self.store.when_published(self._compact_queued)

    def _compaction_queue(self) -> list[tuple[dict[str, Any], CommittedRows | None]]:
        queue: list[tuple[dict[str, Any], CommittedRows | None]] | None = getattr(
            self._queued, "shards", None
        )
        if queue is None:
            queue = self._queued.shards = []
        return queue

    def _compact_queued(self) -> None:
        """Mark the queued shards done (and compact a run they complete); never raises."""
        queue = self._compaction_queue()
        shards = list(queue)
        queue.clear()
        if len(shards) == 1:
            compact_if_complete(self.store, self.layout, shards[0][0], clock=self.clock)
        elif shards:
            compact_completed(
                self.store,
                self.layout,
                [payload for payload, _ in shards],
                clock=self.clock,
                committed=[rows for _, rows in shards],
            )

    def deadline_margin_ms(self, budget_ms: int | None) -> int:
        """Time kept for writing the records: the configured margin, capped at a fifth of the
        budget the invocation started with (a fixed 5 s margin failed every 5 s invocation)."""
        margin = max(0, self.config.deadline_margin_ms)
        if budget_ms is None:
            return margin
        return min(margin, int(max(0, budget_ms) * MAX_MARGIN_SHARE))

    def _write_rows(self, key: str, data: bytes, attempt: _Attempt, points: int) -> bytes:
        """Write the attempt's Parquet file create-if-absent and return the bytes at the key.

        An earlier delivery of the same attempt (a platform retry after its envelope PUT
        failed) may have written it: its rows are the same points, so an intact file is
        adopted. A damaged one cannot be replaced (nothing is overwritten): the attempt fails
        as a storage error and a redrive (a new attempt, a new key) recomputes the shard.
        """
        try:
            self.store.put_if_absent(key, data, PARQUET_CONTENT)
        except AlreadyExists:
            existing = self.store.get(key)
            problem = parquet_problem(existing, expected_rows=points)
            if problem is not None or existing is None:
                p = attempt.payload
                raise StoreError(
                    f"file {key} of shard {p['shard_id']} of run {p['run_id']!r} was written by an "
                    f"earlier delivery of attempt {attempt.attempt} and {problem}; it is never "
                    "overwritten: redrive the run to recompute the shard under a new attempt"
                ) from None
            return existing
        return data

    def _repoint(
        self,
        attempt: _Attempt,
        key: str,
        envelope: dict[str, Any],
        body: bytes,
        group: _CommitGroup,
    ) -> dict[str, Any]:
        """Replace a success envelope whose committed object is damaged by one naming the
        freshly written file; an envelope that changed meanwhile (another repair) is kept when
        it is intact."""
        assert attempt.repair is not None
        _, seen, problem = attempt.repair
        current = self.store.get(key)
        if current is not None and current != seen:
            other, other_problem = self.commit_problem(key, current)
            if other is not None and other_problem is None:
                return _result(other, key, duplicate=True)
        group.commit(key, body, JSON_CONTENT)
        self._neutralize(_committed_key(seen), envelope)
        p = attempt.payload
        logger.warning(
            "shard %s of run %r repaired by attempt %s (%s); the damaged file is no longer "
            "committed",
            p["shard_id"],
            p["run_id"],
            attempt.attempt,
            problem,
        )
        return _result(envelope, key, duplicate=False)

    def _neutralize(self, old_key: str | None, envelope: Mapping[str, Any]) -> None:
        """Keep a replaced, undecodable file from breaking Athena, which reads every file in a
        run's folder: its bytes move to the quarantine folder and the key gets an empty Parquet
        file of the model (no rows, so nothing is counted twice). A file that still decodes is
        left alone (the queries' join on the committed attempt already skips its rows)."""
        new_key = envelope.get("output_metadata", {}).get("metrics_key")
        model = envelope.get("model")
        if old_key is None or old_key == new_key or not isinstance(model, str):
            return
        parsed = self.layout.parse_key(old_key)
        if parsed is None or parsed.kind != "metrics":
            return
        try:
            data = self.store.get(old_key)
            if data is None or parquet_problem(data) is None:
                return
            self.store.put(self.layout.quarantine_key(old_key), data, PARQUET_CONTENT)
            self.store.put(old_key, metrics_parquet(model, []), PARQUET_CONTENT)
        except Exception as exc:  # the repair itself is committed; this is housekeeping
            logger.warning("could not quarantine the damaged file %s: %s", old_key, exc)
            return
        logger.warning(
            "quarantined the damaged file %s under %s (an empty file now stands in its place)",
            old_key,
            self.layout.quarantine_key(old_key),
        )

    def _space_document(self, payload: ShardPayload) -> dict[str, Any]:
        """dimensions, sampling, ranges and exclude: from the payload, else from the manifest."""
        if payload.dimensions is not None:
            return {
                "dimensions": dict(payload.dimensions),
                "sampling": payload.sampling,
                "ranges": payload.ranges,
                "exclude": payload.exclude,
            }
        if payload.manifest_key is None:
            raise ValidationError("Shard payload needs dimensions or manifest_key")
        raw = self.store.get(payload.manifest_key)
        if raw is None:
            raise ValidationError(f"Run manifest {payload.manifest_key!r} not found")
        try:
            request = view_from_json("RunManifest", raw).request
            dimensions = dict(request["dimensions"])
        except (ContractRejected, KeyError, TypeError) as exc:
            problem = " ".join(str(exc).split())[:300]
            raise CorruptRecord(payload.manifest_key, payload.run_id, problem) from None
        return {
            "dimensions": dimensions,
            **{key: request[key] for key in ("sampling", "ranges", "exclude") if key in request},
        }

    # -- failures -----------------------------------------------------------------------------

    def _record_failure(self, attempt: _Attempt, exc: Exception) -> None:
        """Write the failure record (`write_failure_record`); never mask the original error.

        When the envelope cannot be written, `UnrecordedFailure` (chained to the original
        error) says so in one line.
        """
        p = attempt.payload
        kind = _error_kind(attempt.kind, exc)
        failure = ShardFailure(
            run_id=p["run_id"],
            shard_id=p["shard_id"],
            start_index=p["start_index"],
            end_index=p["end_index"],
            attempt=attempt.attempt,
            attempt_id=attempt.failure_attempt_id(),
            run_date=attempt.run_date,
            model=attempt.model,
            fingerprint=p.get("fingerprint"),
            error_code=type(exc).__name__,
            error_kind=kind,
            error_message=str(exc),
            traceback=_truncated_traceback(exc),
            event_time=self.clock.now(),
            timing=self._failure_timing(attempt),
        )
        try:
            written = write_failure_record(self.store, self.layout, failure, exclusive=False)
        except Exception as write_exc:
            message = (
                f"shard {p['shard_id']} of run {p['run_id']!r} (attempt {attempt.attempt}) "
                f"failed [{kind}] {type(exc).__name__}: {_one_line(exc)}; and no failure record "
                f"could be written ({_one_line(write_exc)}): make room in the store, then "
                "redrive the run (the shard counts as missing until then)"
            )
            log_once("unrecorded", write_exc, message)
            raise UnrecordedFailure(message) from exc
        if written.errors_problem is not None:
            log_once(
                "errors_row",
                written.errors_problem,
                f"could not write the shard_errors row of a failure (its envelope "
                f"{written.outcome_key} records it): {_one_line(written.errors_problem)}",
            )

    def _failure_timing(self, attempt: _Attempt) -> dict[str, Any]:
        """A failed attempt's ledger fields, as a success records them: its compute counts in
        the run's ledger and the report's timeline draws it on its instance (issue 11)."""
        ended = self.clock.now()
        return timing_fields(attempt.started_at or ended, ended)

    def _additions(self, attempt: _Attempt) -> dict[str, Any]:
        return {
            "attempt": attempt.attempt,
            "contract_version": CONTRACT_VERSION,
            "fingerprint": attempt.payload.get("fingerprint"),
            "model": attempt.model,
            "run_date": attempt.run_date,
            "runtime_version": __version__,
        }


def metrics_parquet(model: str, rows: Sequence[Mapping[str, Any]]) -> bytes:
    """The shard's shard_metrics file (`handlers.parquet.metrics_parquet`); a small shard's
    is written without compression or dictionaries, which save nothing on a few rows and cost
    about half of the encoding time of a one-point shard (issue 13: tiny shards cheap). Still
    deterministic (fixed options), and compaction re-encodes the rows for run_metrics anyway.

    A small shard's file is encoded by `tiny_parquet` (pure Python, about a tenth of pyarrow's
    CPU time), which writes exactly the bytes `tiny_parquet.pyarrow_parquet` writes with
    pyarrow, or declines (another column type, values pyarrow would convert, a plan that failed
    its self-check against pyarrow), and then pyarrow writes the file."""
    if len(rows) > SMALL_SHARD_ROWS:
        from serverless_sweep.handlers.parquet import metrics_parquet as encoded

        return encoded(model, rows)
    writer = _SMALL_WRITERS.get(model)
    if writer is None:
        writer = _small_writer(model)
    return writer(rows)


_SMALL_WRITERS: dict[str, Callable[[Sequence[Mapping[str, Any]]], bytes]] = {}
"""A built-in model's small-file writer, its schema bound (the schema lookup and the lazy
imports cost about a fifth of a one-row file's encoding; issue 13)."""


def _small_writer(model: str) -> Callable[[Sequence[Mapping[str, Any]]], bytes]:
    """The small-file writer of `model`; kept for the built-in models, whose schemas are
    generated constants (a plug-in's schema is built from its model on every call, so a
    plug-in registered again is seen)."""
    from serverless_sweep.contracts.generated.v1.constants import MODELS
    from serverless_sweep.handlers.tiny_parquet import small_parquet
    from serverless_sweep.models.columns import metrics_schema

    schema = metrics_schema(model)
    writer = functools.partial(small_parquet, schema)
    if model in MODELS:
        _SMALL_WRITERS[model] = writer
    return writer


def _result(envelope: Mapping[str, Any], outcome_key: str, *, duplicate: bool) -> dict[str, Any]:
    metadata = envelope.get("output_metadata", {})
    return {
        "status": "ok",
        "shard_id": envelope["shard_id"],
        "outcome_key": outcome_key,
        "metrics_key": metadata.get("metrics_key"),
        "points_processed": metadata.get("points_processed"),
        "duplicate": duplicate,
    }


def _committed_key(raw: bytes) -> str | None:
    """The metrics_key a (possibly damaged) success envelope names, when it can be read."""
    try:
        envelope = json.loads(raw)
        key = envelope["output_metadata"]["metrics_key"]
    except (UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError):
        return None
    return key if isinstance(key, str) else None


def _error_kind(phase_kind: str, exc: Exception) -> str:
    """The failure's error_kind: from the exception's type where that says it, else from the
    phase the attempt was in (a KeyError while writing is still a storage failure)."""
    if isinstance(exc, StoreError):
        return "storage"
    if isinstance(exc, ModelError):
        return "model_error"
    if isinstance(exc, ShardTimeout):
        return "timeout"
    if isinstance(exc, ValidationError):
        return "invalid_payload"
    return phase_kind


def _timeout_message(
    shard_id: int,
    index: int,
    start: int,
    end: int,
    left_ms: float,
    margin_ms: int,
    rows: list[dict[str, Any]],
    slowest_ms: float,
) -> str:
    done = f"{len(rows)} of {end - start} points done"
    if rows:
        need = f"the slowest point so far took {slowest_ms:.0f} ms"
    else:
        need = "no time is left for even one point"
    return (
        f"shard {shard_id} stopped before point {index} of [{start}, {end}) ({done}): "
        f"{left_ms:.0f} ms of the invocation left, {margin_ms} ms of them kept for writing this "
        f"record, and {need}; give the child more time (its timeout) or the run smaller shards "
        "(shard_size), then redrive"
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _truncated_traceback(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    return text[-TRACEBACK_LIMIT:]
