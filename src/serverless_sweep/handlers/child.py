"""The child (shard worker) handler: run one shard, write its Parquet file and outcome envelope.

Guarantees, because Lambda delivers async events at least once and may kill a slow function:
* a shard that already succeeded is answered from its envelope, with nothing recomputed or written;
* success artifacts are written create-if-absent, so they are never overwritten;
* every failure past the payload and bucket checks leaves a failure record (a shard_errors row
  and a failure envelope) under a fresh attempt id, then the error is re-raised so the platform
  sees a failed invocation (and may retry);
* the deadline is watched: a shard that would outlive its invocation records a `timeout` failure
  instead of vanishing.
The check order reproduces the old runtime (replay fixtures pin it): payload, bucket, already
done, failure injection, point space, bounds, compute.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from serverless_sweep import __version__
from serverless_sweep.contracts import FailureOutcome, RunManifest, ShardPayload, SuccessOutcome
from serverless_sweep.core.errors import ValidationError, violations_from_pydantic
from serverless_sweep.core.indexing import PointSpace
from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.core.payload import check_shard_payload
from serverless_sweep.core.seeding import point_seed
from serverless_sweep.handlers.parquet import errors_parquet, metrics_parquet
from serverless_sweep.handlers.ports import (
    AlreadyExists,
    Clock,
    ObjectStore,
    StoreError,
    StoreNotConfigured,
    SystemClock,
)
from serverless_sweep.handlers.responses import CONTRACT_VERSION, contract_body
from serverless_sweep.handlers.settings import (
    DEFAULT_RESULTS_PREFIX,
    JSON_CONTENT,
    PARQUET_CONTENT,
    deployment_default_model,
    results_prefix,
)
from serverless_sweep.models.base import ModelError, PointContext
from serverless_sweep.models.registry import UnknownModel, get_model

DEADLINE_MARGIN_ENV = "SWEEP_DEADLINE_MARGIN_MS"
INJECTED_FAILURE_MESSAGE = "Injected shard failure for verification"
OUTPUT_FORMAT = "parquet-compatible-json"
RECORD_SCHEMA = "v1"
TRACEBACK_LIMIT = 4000

RemainingMillis = Callable[[], int]
logger = logging.getLogger(__name__)


class ShardTimeout(TimeoutError):
    """The invocation would end before the shard finishes."""


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


@dataclass
class _Attempt:
    """What is known about the attempt so far (for the failure record)."""

    payload: dict[str, Any]
    run_date: str
    attempt: int
    model: str | None
    attempt_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    kind: str = "internal"


@dataclass
class ChildHandler:
    """Runs one shard per call. Stateless between calls apart from the store."""

    store: ObjectStore
    config: ChildConfig = field(default_factory=ChildConfig)
    clock: Clock = field(default_factory=SystemClock)

    @property
    def layout(self) -> StorageLayout:
        return StorageLayout(self.config.results_prefix)

    def handle(self, event: object, remaining_ms: RemainingMillis | None = None) -> dict[str, Any]:
        started = self.clock.monotonic()
        payload = check_shard_payload(event)  # invalid payloads write nothing (old behaviour)
        try:
            self.store.check_configured()
        except StoreNotConfigured as exc:
            raise RuntimeError(str(exc)) from exc

        attempt = _Attempt(
            payload=payload,
            run_date=str(payload.get("run_date") or self.clock.now().date().isoformat()),
            attempt=int(payload.get("attempt", 1)),
            model=payload.get("model") or self.config.default_model,
        )
        try:
            existing = self._existing_success(attempt)
            if existing is not None:
                return existing
            return self._run(attempt, started, remaining_ms)
        except BaseException as exc:
            if isinstance(exc, Exception):
                self._record_failure(attempt, exc)
            raise

    # -- the shard ----------------------------------------------------------------------------

    def _existing_success(self, attempt: _Attempt) -> dict[str, Any] | None:
        p = attempt.payload
        key = self.layout.success_outcome_key(attempt.run_date, p["run_id"], p["shard_id"])
        raw = self.store.get(key)
        if raw is None:
            return None
        envelope = json.loads(raw)
        return _result(envelope, key, duplicate=True)

    def _run(
        self, attempt: _Attempt, started: float, remaining_ms: RemainingMillis | None
    ) -> dict[str, Any]:
        p = attempt.payload
        if p["shard_id"] in p["failure_injection_shards"]:  # `==` membership, as before
            attempt.kind = "injected"
            raise RuntimeError(INJECTED_FAILURE_MESSAGE)

        attempt.kind = "invalid_payload"
        try:
            payload = ShardPayload.model_validate(p)
        except PydanticValidationError as exc:
            # Declared divergence `lenient-child` lands here too: non-list dimension values.
            raise ValidationError.from_violations(violations_from_pydantic(exc.errors())) from None
        run_id, shard_id = payload.run_id, payload.shard_id
        start, end, seed = payload.start_index, payload.end_index, payload.seed
        if attempt.model is None:
            raise ValidationError("No model given and SWEEP_DEFAULT_MODEL names no known model")
        try:
            model = get_model(attempt.model)
        except UnknownModel as exc:
            raise ValidationError(str(exc)) from None
        space = PointSpace.from_mapping(self._dimensions(payload))
        if not (0 <= start < end <= space.size):
            raise ValidationError("Invalid shard bounds")

        attempt.kind = "model_error"
        rows: list[dict[str, Any]] = []
        model_rows: list[dict[str, Any]] = []
        slowest_ms = 0.0
        for index, point in space.iter_points(start, end):
            if remaining_ms is not None:
                left = remaining_ms() - self.config.deadline_margin_ms
                if left < slowest_ms:
                    attempt.kind = "timeout"
                    raise ShardTimeout(
                        f"shard {shard_id} stopped at point {index} of [{start}, {end}): "
                        f"{left + self.config.deadline_margin_ms:.0f} ms left, a point takes "
                        f"up to {slowest_ms:.0f} ms"
                    )
            t0 = self.clock.monotonic()
            context = PointContext(run_id=run_id, shard_id=shard_id, seed=seed, point_index=index)
            values = model.run_point(point, context)
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

        attempt.kind = "storage"
        metrics_key = self.layout.metrics_key(attempt.run_date, run_id, shard_id)
        # A duplicate delivery may have got there first: its rows are the same points.
        with contextlib.suppress(AlreadyExists):
            self.store.put_if_absent(
                metrics_key, metrics_parquet(model.name, rows), PARQUET_CONTENT
            )
        outcome_key = self.layout.success_outcome_key(attempt.run_date, run_id, shard_id)
        envelope = contract_body(
            SuccessOutcome.model_validate(
                {
                    "end_index": end,
                    "event_time": self.clock.now().isoformat(),
                    "output_metadata": {
                        "format": OUTPUT_FORMAT,
                        "metrics_key": metrics_key,
                        "points_processed": len(rows),
                        "result_key": outcome_key,
                        "summary": {
                            "end_index": end,
                            "metrics": model.summarize(model_rows),
                            "run_id": run_id,
                            "shard_id": shard_id,
                            "start_index": start,
                        },
                    },
                    "record_schema": RECORD_SCHEMA,
                    "run_id": run_id,
                    "shard_id": shard_id,
                    "start_index": start,
                    "status": "success",
                    **self._additions(attempt),
                    "duration_ms": round((self.clock.monotonic() - started) * 1000.0, 3),
                }
            )
        )
        try:
            self.store.put_if_absent(outcome_key, dumps_canonical(envelope).encode(), JSON_CONTENT)
        except AlreadyExists:
            raw = self.store.get(outcome_key)
            if raw is not None:
                return _result(json.loads(raw), outcome_key, duplicate=True)
        return _result(envelope, outcome_key, duplicate=False)

    def _dimensions(self, payload: ShardPayload) -> dict[str, Any]:
        if payload.dimensions is not None:
            return dict(payload.dimensions)
        if payload.manifest_key is None:
            raise ValidationError("Shard payload needs dimensions or manifest_key")
        raw = self.store.get(payload.manifest_key)
        if raw is None:
            raise ValidationError(f"Run manifest {payload.manifest_key!r} not found")
        manifest = RunManifest.model_validate_json(raw)
        return dict(manifest.request["dimensions"])

    # -- failures -----------------------------------------------------------------------------

    def _record_failure(self, attempt: _Attempt, exc: Exception) -> None:
        """Write the shard_errors row and the failure envelope; never mask the original error."""
        p = attempt.payload
        kind = attempt.kind
        if isinstance(exc, StoreError):
            kind = "storage"
        elif isinstance(exc, ModelError):
            kind = "model_error"
        elif isinstance(exc, ShardTimeout):
            kind = "timeout"
        elif isinstance(exc, ValidationError):
            kind = "invalid_payload"
        now = self.clock.now()
        errors_key = self.layout.errors_key(
            attempt.run_date, p["run_id"], p["shard_id"], attempt.attempt, attempt.attempt_id
        )
        envelope: dict[str, Any] = {
            "end_index": p["end_index"],
            "error_code": type(exc).__name__,
            "error_message": str(exc),
            "event_time": now.isoformat(),
            "record_schema": RECORD_SCHEMA,
            "run_id": p["run_id"],
            "shard_id": p["shard_id"],
            "start_index": p["start_index"],
            "status": "failure",
            **self._additions(attempt),
            "attempt_id": attempt.attempt_id,
            "error_kind": kind,
            "errors_key": errors_key,
        }
        try:
            envelope = contract_body(FailureOutcome.model_validate(envelope))
        except Exception:  # never lose a failure record to a contract bug: keep the raw fields
            logger.exception("failure envelope does not match the FailureOutcome contract")
        row = {
            "shard_id": p["shard_id"],
            "start_index": p["start_index"],
            "end_index": p["end_index"],
            "attempt": attempt.attempt,
            "attempt_id": attempt.attempt_id,
            "model": attempt.model,
            "error_code": type(exc).__name__,
            "error_kind": kind,
            "error_message": str(exc),
            "traceback": _truncated_traceback(exc),
            "event_time": _utc_naive_ms(now),
            "runtime_version": __version__,
        }
        failure_key = self.layout.failure_outcome_key(
            attempt.run_date, p["run_id"], p["shard_id"], attempt.attempt, attempt.attempt_id
        )
        try:
            self.store.put(errors_key, errors_parquet(row), PARQUET_CONTENT)
        except Exception:  # the envelope below still records the failure
            logger.exception("could not write the shard_errors row %s", errors_key)
        try:
            self.store.put(failure_key, dumps_canonical(envelope).encode(), JSON_CONTENT)
        except Exception:  # nothing left to write to: the log and the re-raised error remain
            logger.exception("could not write the failure envelope %s", failure_key)

    def _additions(self, attempt: _Attempt) -> dict[str, Any]:
        return {
            "attempt": attempt.attempt,
            "contract_version": CONTRACT_VERSION,
            "fingerprint": attempt.payload.get("fingerprint"),
            "model": attempt.model,
            "run_date": attempt.run_date,
            "runtime_version": __version__,
        }


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


def _truncated_traceback(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    return text[-TRACEBACK_LIMIT:]


def _utc_naive_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)
