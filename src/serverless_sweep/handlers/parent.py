"""The parent (dispatcher) handler: validate, fingerprint, plan, record the run, fan out.

It accepts API Gateway proxy events (REST v1 and HTTP API v2: only `body` is read) and direct
invokes (the event is the request), answers with a proxy response, and never lets a request
error escape as an exception: every rejection is a 4xx whose body names the field and the rule.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from serverless_sweep.contracts import AcceptedResponse, DispatchRecord, RunManifest, SweepRequest
from serverless_sweep.contracts import ShardRange as ManifestShard
from serverless_sweep.core.errors import ValidationError, Violation, violations_from_pydantic
from serverless_sweep.core.fingerprint import request_fingerprint
from serverless_sweep.core.jsonio import dumps_canonical, parse_json_text
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.core.planning import ShardRange, plan_shards
from serverless_sweep.core.validation import normalize_request
from serverless_sweep.handlers.ports import (
    AlreadyExists,
    Clock,
    Invoker,
    ObjectStore,
    StoreError,
    StoreNotConfigured,
    SystemClock,
)
from serverless_sweep.handlers.responses import (
    CONTRACT_VERSION,
    contract_body,
    error_response,
    proxy_response,
    validation_error_response,
)
from serverless_sweep.handlers.runs import RunConflict, RunRecord, find_run, register_run
from serverless_sweep.handlers.settings import (
    DEFAULT_RESULTS_PREFIX,
    JSON_CONTENT,
    deployment_default_model,
    results_prefix,
)
from serverless_sweep.handlers.status import gather_states, redrive_key, redrive_prefix
from serverless_sweep.models.registry import get_model

CHILD_FUNCTION_ENV = "CHILD_LAMBDA_ARN"
# Lambda's limit for an asynchronous (Event) invocation payload.
ASYNC_PAYLOAD_LIMIT_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class ParentConfig:
    """Deployment settings of the parent, normally read from the environment."""

    child_function: str | None
    default_model: str | None
    results_prefix: str = DEFAULT_RESULTS_PREFIX
    payload_limit_bytes: int = ASYNC_PAYLOAD_LIMIT_BYTES
    default_model_error: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ParentConfig:
        env = os.environ if environ is None else environ
        model, model_error = deployment_default_model(env)
        return cls(
            child_function=env.get(CHILD_FUNCTION_ENV) or None,
            default_model=model,
            results_prefix=results_prefix(env),
            default_model_error=model_error,
        )


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    shard_id: int
    attempt: int
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class ParentHandler:
    """Turns a sweep request into a recorded run and one async child invocation per shard."""

    invoker: Invoker
    store: ObjectStore
    config: ParentConfig
    clock: Clock = field(default_factory=SystemClock)

    @property
    def layout(self) -> StorageLayout:
        return StorageLayout(self.config.results_prefix)

    # -- entry points -------------------------------------------------------------------------

    def handle(self, event: object) -> dict[str, Any]:
        """Lambda entry: an API Gateway proxy event or a direct-invoke request."""
        try:
            payload = extract_request(event)
        except ValidationError as exc:
            return validation_error_response(exc)
        return self.submit(payload)

    def submit(self, payload: object) -> dict[str, Any]:
        """Validate and accept a request object; answer with a proxy response."""
        try:
            normalized = normalize_request(payload)
            # The old-order checks above own the messages; the generated contract model is
            # the typed view the rest of the handler reads.
            request = SweepRequest.model_validate(normalized)
        except ValidationError as exc:
            return validation_error_response(exc)
        except PydanticValidationError as exc:
            violations = violations_from_pydantic(exc.errors())
            return validation_error_response(ValidationError.from_violations(violations))

        model_name = request.model or self.config.default_model
        if model_name is None:
            return error_response(
                500, "misconfiguration", self.config.default_model_error or "no default model"
            )
        violations = get_model(model_name).validate_dimensions(request.dimensions)
        if violations:
            return validation_error_response(ValidationError.from_violations(violations))

        if not self.config.child_function:
            return error_response(
                500, "misconfiguration", f"{CHILD_FUNCTION_ENV} must be configured"
            )

        try:
            shards = plan_shards(
                normalized["total_points"],
                shard_count=normalized.get("shard_count"),
                shard_size=normalized.get("shard_size"),
                max_shards=normalized["max_shards"],
            )
        except ValidationError as exc:
            # The old runtime let this escape as an exception (declared divergence
            # `uncaught-validation-error`): here it is a 400 like every other rule.
            return validation_error_response(exc)

        now = self.clock.now()
        manifest = build_manifest(
            normalized, model_name, shards, now.date().isoformat(), now.isoformat()
        )
        try:
            self.store.check_configured()
            record, created = register_run(self.store, self.layout, manifest)
        except RunConflict as exc:
            return error_response(409, "conflict", str(exc), run_id=normalized["run_id"])
        except RuntimeError as exc:
            return error_response(500, "misconfiguration", str(exc))
        except StoreError as exc:
            return error_response(500, "internal_error", f"could not record the run: {exc}")

        if not created:
            return proxy_response(200, accepted_body(record, [], "already_submitted"))
        outcomes = self.dispatch(record, ((s, 1) for s in record.shards))
        return self._dispatch_response(record, outcomes, "dispatch_submitted")

    def redrive(self, run_id: str) -> dict[str, Any]:
        """Dispatch again exactly the shards without a success record, with new attempt numbers.

        A succeeded shard is never re-run. Shards still in flight may be dispatched twice; the
        child's create-if-absent writes make that harmless.
        """
        if not self.config.child_function:
            return error_response(
                500, "misconfiguration", f"{CHILD_FUNCTION_ENV} must be configured"
            )
        try:
            self.store.check_configured()
            return self._redrive(run_id)
        except StoreNotConfigured as exc:
            return error_response(500, "misconfiguration", str(exc), run_id=run_id)
        except StoreError as exc:
            return error_response(500, "internal_error", f"store failed: {exc}", run_id=run_id)

    def _redrive(self, run_id: str) -> dict[str, Any]:
        record = find_run(self.store, self.layout, run_id)
        if record is None:
            return error_response(404, "not_found", f"No run with run_id {run_id!r}", run_id=run_id)
        states = gather_states(self.store, self.layout, record)
        todo = [
            (shard, states.last_attempt(shard.shard_id) + 1)
            for shard in record.shards
            if shard.shard_id not in states.succeeded
        ]
        if not todo:
            return proxy_response(200, accepted_body(record, [], "redrive_submitted"))
        # Record the attempts first, so attempt numbers keep rising even if dispatch fails.
        log = {
            "attempts": {str(s.shard_id): a for s, a in todo},
            "at": self.clock.now().isoformat(),
        }
        sequence = 1 + sum(1 for _ in self.store.list_keys(redrive_prefix(record)))
        while True:
            try:
                self.store.put_if_absent(
                    redrive_key(record, sequence), dumps_canonical(log).encode(), JSON_CONTENT
                )
                break
            except AlreadyExists:
                sequence += 1
        outcomes = self.dispatch(record, todo)
        return self._dispatch_response(record, outcomes, "redrive_submitted")

    # -- fan-out ------------------------------------------------------------------------------

    def dispatch(
        self, record: RunRecord, shards: Iterable[tuple[ShardRange, int]]
    ) -> list[DispatchOutcome]:
        """One async invocation per (shard, attempt); failures are collected, not raised."""
        assert self.config.child_function is not None
        builder = PayloadBuilder(record, self.config.payload_limit_bytes)
        outcomes: list[DispatchOutcome] = []
        for shard, attempt in shards:
            try:
                result = self.invoker.invoke_async(
                    self.config.child_function, builder.build(shard, attempt)
                )
                outcomes.append(DispatchOutcome(shard.shard_id, attempt, result.status_code))
            except Exception as exc:  # an invoke API error must not lose the other shards
                outcomes.append(
                    DispatchOutcome(shard.shard_id, attempt, None, f"{type(exc).__name__}: {exc}")
                )
        return outcomes

    def _dispatch_response(
        self, record: RunRecord, outcomes: list[DispatchOutcome], status: str
    ) -> dict[str, Any]:
        failed = [o for o in outcomes if not o.ok]
        if failed:
            details = [
                Violation(
                    f"/shards/{o.shard_id}",
                    "dispatch",
                    f"shard {o.shard_id} was not dispatched: "
                    + (o.error or f"status {o.status_code}"),
                )
                for o in failed
            ]
            message = (
                f"{len(failed)} of {len(outcomes)} shards could not be dispatched; the run is "
                f"recorded, so `redrive` dispatches exactly the missing ones"
            )
            return error_response(502, "dispatch_error", message, details, run_id=record.run_id)
        return proxy_response(202, accepted_body(record, outcomes, status))


def extract_request(event: object) -> object:
    """The request object inside a Lambda event.

    An event with a `body` key is a proxy event: only the body counts (null means {}; a string
    is parsed as strict JSON; an object is used as is). Any other object is a direct invoke.
    """
    if isinstance(event, dict):
        if "body" not in event:
            return event
        body = event["body"]
        if body is None:
            return {}
        if isinstance(body, str):
            return parse_json_text(body)
        if isinstance(body, dict):
            return body
    raise ValidationError(
        "Request body must be a JSON object",
        [Violation("", "type", "Request body must be a JSON object")],
    )


def build_manifest(
    normalized: Mapping[str, Any],
    model: str,
    shards: list[ShardRange],
    run_date: str,
    accepted_at: str,
) -> dict[str, Any]:
    """The RunManifest document (schemas/v1/run_manifest.json)."""
    manifest = RunManifest(
        contract_version=CONTRACT_VERSION,
        run_id=normalized["run_id"],
        run_date=run_date,
        accepted_at=accepted_at,
        fingerprint=request_fingerprint(normalized, model),
        model=model,
        request=dict(normalized),
        total_points=normalized["total_points"],
        shards=[ManifestShard(**s.as_dict()) for s in shards],
    )
    return contract_body(manifest)


def accepted_body(
    record: RunRecord, outcomes: list[DispatchOutcome], status: str
) -> dict[str, Any]:
    """An AcceptedResponse body: the old fields in the old order, then the additions."""
    response = AcceptedResponse(
        run_id=record.run_id,
        total_points=record.total_points,
        shards_dispatched=len(outcomes),
        dispatches=[
            DispatchRecord(shard_id=o.shard_id, status_code=o.status_code or 0, attempt=o.attempt)
            for o in outcomes
        ],
        status=status,
        contract_version=CONTRACT_VERSION,
        fingerprint=record.fingerprint,
        run_date=record.run_date,
        model=record.model,
        shard_count=len(record.manifest["shards"]),
    )
    return contract_body(response)


class PayloadBuilder:
    """Builds each shard's payload text: compact, sorted keys, like the old runtime.

    Everything but four integers is the same for every shard of a run, so the canonical text is
    rendered once into a format template and each shard only fills in attempt, shard_id and its
    bounds: with 10,000 shards that is most of the parent's work. Payloads over the async limit
    carry the manifest key instead of the dimensions.
    """

    _PER_SHARD = ("attempt", "end_index", "shard_id", "start_index")

    def __init__(self, record: RunRecord, limit_bytes: int) -> None:
        request = record.request
        self._limit = limit_bytes
        fixed: dict[str, Any] = {
            "contract_version": CONTRACT_VERSION,
            "failure_injection_shards": request["failure_injection_shards"],
            "fingerprint": record.fingerprint,
            "model": record.model,
            "run_date": record.run_date,
            "run_id": record.run_id,
            "seed": request["seed"],
            "total_points": record.total_points,
        }
        self._inline = _template({**fixed, "dimensions": request["dimensions"]}, self._PER_SHARD)
        self._by_reference = _template(
            {**fixed, "manifest_key": record.manifest_key}, self._PER_SHARD
        )
        self._use_reference = False

    def build(self, shard: ShardRange, attempt: int) -> bytes:
        values = {
            "attempt": attempt,
            "end_index": shard.end_index,
            "shard_id": shard.shard_id,
            "start_index": shard.start_index,
        }
        if not self._use_reference:
            data = self._inline.format_map(values).encode()
            if len(data) <= self._limit:
                return data
            self._use_reference = True  # same dimensions for every shard: all go by reference
        return self._by_reference.format_map(values).encode()


def _template(fixed: dict[str, Any], per_shard: tuple[str, ...]) -> str:
    """A str.format template equal to dumps_canonical(fixed + per-shard integers)."""
    fields = []
    for key in sorted([*fixed, *per_shard]):
        if key in per_shard:
            value = "{" + key + "}"
        else:
            value = dumps_canonical(fixed[key]).replace("{", "{{").replace("}", "}}")
        fields.append(dumps_canonical(key) + ":" + value)
    return "{{" + ",".join(fields) + "}}"
