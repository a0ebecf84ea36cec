"""The parent (dispatcher) handler: validate, fingerprint, plan, record the run, fan out.

It takes a request object and answers with typed results (`handlers/api_results.py`):
`Accepted`, `AlreadySubmitted`, `NothingToRedrive`; what it refuses it raises, as
`core.errors.ValidationError` (naming the field and the rule) or a `Refusal` (not found,
conflict, misconfiguration, ...). Wire formats are the HTTP edge's business
(`entrypoints/http`): no proxy event comes in here and no proxy response goes out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from serverless_sweep.core.errors import ValidationError, did_you_mean
from serverless_sweep.core.fingerprint import request_fingerprint
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.core.planning import ShardRange, plan_shards
from serverless_sweep.core.validation import normalize_request
from serverless_sweep.handlers.api_results import (
    Accepted,
    AlreadySubmitted,
    Conflict,
    DispatchNotStarted,
    InternalFailure,
    Misconfigured,
    NotFound,
    NothingToRedrive,
    SubmitResult,
)
from serverless_sweep.handlers.contract_docs import (
    ContractRejected,
    contract_document,
    model_fields,
    validated_document,
)
from serverless_sweep.handlers.dispatch_ledger import (
    JOB_SUBMIT,
    claim_redrive,
    create_job,
    redrive_job,
)
from serverless_sweep.handlers.dispatcher import (
    DEFAULT_DISPATCH_CONCURRENCY,
    Dispatcher,
    DispatchOutcome,
    DispatchSettings,
)
from serverless_sweep.handlers.payloads import PayloadBuilder
from serverless_sweep.handlers.ports import (
    ASYNC_PAYLOAD_LIMIT_BYTES,
    Clock,
    DispatchScheduler,
    Invoker,
    ObjectStore,
    StoreError,
    SystemClock,
)
from serverless_sweep.handlers.responses import CONTRACT_VERSION
from serverless_sweep.handlers.runs import RunConflict, RunRecord, find_run, register_run
from serverless_sweep.handlers.settings import (
    DEFAULT_LOST_AFTER_S,
    DEFAULT_RESULTS_PREFIX,
    DISPATCH_CONCURRENCY_ENV,
    DISPATCHER_FUNCTION_ENV,
    deployment_default_model,
    lost_after_seconds,
    positive_int_setting,
    results_prefix,
)
from serverless_sweep.handlers.status import StatusHandler, gather_states
from serverless_sweep.handlers.verify import damaged_shards
from serverless_sweep.models.constraints import apply_model_rules, validate_space
from serverless_sweep.models.outputs import output_violations, request_outputs
from serverless_sweep.models.presets import expand_preset
from serverless_sweep.models.registry import PluginError, UnknownModel, get_model, model_names

if TYPE_CHECKING:
    from pydantic import BaseModel

    from serverless_sweep.contracts import RunStatus

CHILD_FUNCTION_ENV = "CHILD_LAMBDA_ARN"


@dataclass(frozen=True, slots=True)
class ParentConfig:
    """Deployment settings of the parent, normally read from the environment.

    `dispatcher_function` set (the cloud: the parent's own name) means asynchronous dispatch:
    the API records the run and a dispatch job, schedules the job and answers at once. Unset,
    the parent dispatches inside the request, sequentially in plan order, as the old runtime did
    (the replay fixtures pin that path).
    """

    child_function: str | None
    default_model: str | None
    results_prefix: str = DEFAULT_RESULTS_PREFIX
    payload_limit_bytes: int = ASYNC_PAYLOAD_LIMIT_BYTES
    default_model_error: str | None = None
    dispatcher_function: str | None = None
    dispatch_concurrency: int = DEFAULT_DISPATCH_CONCURRENCY
    lost_after_s: float = DEFAULT_LOST_AFTER_S

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ParentConfig:
        env = os.environ if environ is None else environ
        model, model_error = deployment_default_model(env)
        return cls(
            child_function=env.get(CHILD_FUNCTION_ENV) or None,
            default_model=model,
            results_prefix=results_prefix(env),
            default_model_error=model_error,
            dispatcher_function=env.get(DISPATCHER_FUNCTION_ENV, "").strip() or None,
            dispatch_concurrency=positive_int_setting(
                env, DISPATCH_CONCURRENCY_ENV, DEFAULT_DISPATCH_CONCURRENCY
            ),
            lost_after_s=lost_after_seconds(env),
        )

    def dispatch_settings(self) -> DispatchSettings:
        return DispatchSettings(
            concurrency=self.dispatch_concurrency, lost_after_s=self.lost_after_s
        )


@dataclass
class ParentHandler:
    """Turns a sweep request into a recorded run and one async child invocation per shard.

    With a `scheduler` the invocations happen in a dispatch job after the answer (see
    `handlers.dispatcher`); without one they happen inside the request, one after another.
    """

    invoker: Invoker
    store: ObjectStore
    config: ParentConfig
    clock: Clock = field(default_factory=SystemClock)
    scheduler: DispatchScheduler | None = None

    @property
    def layout(self) -> StorageLayout:
        return StorageLayout(self.config.results_prefix)

    def dispatcher(self, settings: DispatchSettings | None = None) -> Dispatcher:
        """The dispatcher for this deployment (continuations go through `scheduler`)."""
        assert self.config.child_function is not None
        return Dispatcher(
            invoker=self.invoker,
            store=self.store,
            layout=self.layout,
            child_function=self.config.child_function,
            payload_limit_bytes=self.config.payload_limit_bytes,
            settings=settings or self.config.dispatch_settings(),
            scheduler=self.scheduler,
            clock=self.clock,
        )

    # -- entry points -------------------------------------------------------------------------

    def submit(self, payload: object) -> SubmitResult:
        """Validate and accept a request object.

        Raises ValidationError for a bad request and a `Refusal` for what the deployment cannot
        do (conflict, misconfiguration, a store failure, a dispatch that could not start).
        Unknown top-level fields stay accepted (the old contract ignores them), but the result
        lists them in `warnings` with the closest known field: a typo such as `sed` must not
        pass silently (issue 12).
        """
        result = self._submit(payload)
        warnings = tuple(unknown_field_warnings(payload))
        return replace(result, warnings=warnings) if warnings else result

    def _submit(self, payload: object) -> SubmitResult:
        try:
            payload = self._expand_preset(payload)
            normalized = normalize_request(payload, known_models=model_names())
            # The old-order checks above own the messages; the generated contract (its
            # checker, or the pydantic model when that is not sure) is the backstop.
            request = validated_document("SweepRequest", normalized)
        except ContractRejected as exc:
            raise ValidationError.from_violations(exc.violations) from None

        model_name = request.get("model") or self.config.default_model
        if model_name is None:
            raise Misconfigured(self.config.default_model_error or "no default model")
        try:
            model = get_model(model_name)
        except (PluginError, UnknownModel) as exc:
            raise Misconfigured(str(exc)) from exc
        violations = validate_space(model, normalized)
        violations += output_violations(model, model_name, request_outputs(normalized))
        if violations:
            raise ValidationError.from_violations(violations)
        # The model's own rules (hungarian needs batch matching) exclude points (issue 14).
        normalized = apply_model_rules(normalized, model)

        if not self.config.child_function:
            raise Misconfigured(f"{CHILD_FUNCTION_ENV} must be configured")

        # The old runtime let a planning error escape as an exception (declared divergence
        # `uncaught-validation-error`): here it is a 400 like every other rule.
        shards = plan_shards(
            normalized["total_points"],
            shard_count=normalized.get("shard_count"),
            shard_size=normalized.get("shard_size"),
            max_shards=normalized["max_shards"],
        )

        now = self.clock.now()
        manifest = build_manifest(
            normalized, model_name, shards, now.date().isoformat(), now.isoformat()
        )
        try:
            self.store.check_configured()
            record, created = register_run(self.store, self.layout, manifest, planned=True)
            if created:
                create_job(self.store, record, JOB_SUBMIT, now)
        except RunConflict as exc:
            raise Conflict(str(exc), run_id=normalized["run_id"]) from exc
        except RuntimeError as exc:  # StoreNotConfigured
            raise Misconfigured(str(exc)) from exc
        except StoreError as exc:
            raise InternalFailure(f"could not record the run: {exc}") from exc

        if not created:
            return AlreadySubmitted(record)
        return self._start(record, JOB_SUBMIT, record.shards, 1, "dispatch_submitted")

    def _expand_preset(self, payload: object) -> object:
        """The request with its `preset` expanded from the model's presets (issue 14)."""
        if not isinstance(payload, Mapping) or "preset" not in payload:
            return payload
        name = payload.get("model", self.config.default_model)
        if not isinstance(name, str) or name not in model_names():
            return payload  # normalize_request names the model problem
        try:
            model = get_model(name)
        except PluginError:
            return payload
        return expand_preset(payload, name, model)

    def status(self, run_id: str) -> RunStatus:
        """The run's status (see `StatusHandler.handle`)."""
        return StatusHandler(
            self.store, self.layout, lost_after_s=self.config.lost_after_s, clock=self.clock
        ).handle(run_id)

    def redrive(self, run_id: str, *, repair: bool = False) -> Accepted | NothingToRedrive:
        """Dispatch again exactly the shards without an intact success, with new attempt numbers.

        A succeeded shard is never re-run. Shards still in flight may be dispatched twice; the
        child's create-if-absent writes make that harmless. Raises NotFound for an unknown run;
        store failures escape as StoreError / StoreNotConfigured (the edge answers them).
        """
        if not self.config.child_function:
            raise Misconfigured(f"{CHILD_FUNCTION_ENV} must be configured")
        self.store.check_configured()
        record = find_run(self.store, self.layout, run_id)
        if record is None:
            raise NotFound.run(run_id)
        states = gather_states(self.store, self.layout, record)
        # With `repair`, a success whose committed file is missing or corrupt is redriven too:
        # the child sees the damage, recomputes the shard and repairs the commit (never touching
        # intact files). It reads every committed file, so it is the local CLI's default and not
        # the API's (a redrive request must answer within API Gateway's 29 s).
        damaged = damaged_shards(self.store, self.layout, record) if repair else {}
        todo = [
            shard
            for shard in record.shards
            if shard.shard_id not in states.succeeded or shard.shard_id in damaged
        ]
        if not todo:
            return NothingToRedrive(record)
        sequence = claim_redrive(self.store, record, todo, self.clock.now())
        job = redrive_job(sequence)
        create_job(self.store, record, job, self.clock.now())
        return self._start(record, job, todo, sequence + 1, "redrive_submitted")

    # -- fan-out ------------------------------------------------------------------------------

    def _start(
        self,
        record: RunRecord,
        job: str,
        shards: Sequence[ShardRange],
        attempt: int,
        status: Literal["dispatch_submitted", "redrive_submitted"],
    ) -> Accepted:
        """Run the job now (inline) or schedule it (asynchronous)."""
        if self.scheduler is None:
            try:
                sequential = replace(self.config.dispatch_settings(), concurrency=1)
                report = self.dispatcher(sequential).run(
                    record.run_id, job, record=record, fresh=True
                )
            except StoreError as exc:
                message = (
                    f"the run is recorded but its dispatch ledger could not be written ({exc}); "
                    f"`redrive` dispatches the shards that have no record"
                )
                raise InternalFailure(message, run_id=record.run_id) from exc
            return Accepted(
                record, status, "complete", shards, attempt, outcomes=tuple(report.outcomes)
            )
        try:
            self.scheduler.schedule(record.run_id, job)
        except Exception as exc:  # the run is recorded: redrive starts another job
            message = (
                f"the run is recorded but its dispatch could not be started "
                f"({type(exc).__name__}: {exc}); `redrive` starts it again"
            )
            raise DispatchNotStarted(message, record=record) from exc
        return Accepted(record, status, "under_way", shards, attempt)

    def dispatch(
        self, record: RunRecord, shards: Iterable[tuple[ShardRange, int]]
    ) -> list[DispatchOutcome]:
        """Invoke the given (shard, attempt) pairs now, one after another, without a ledger.

        Kept for callers that drive the fan-out themselves (benchmarks, tools); the API goes
        through dispatch jobs.
        """
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


def unknown_field_warnings(payload: object) -> list[str]:
    """One sentence per unknown top-level field, naming the closest known field if any."""
    if not isinstance(payload, Mapping):
        return []
    known = set(model_fields("SweepRequest"))  # the schema's properties (no field has an alias)
    warnings = []
    for name in payload:
        if not isinstance(name, str) or name in known:
            continue
        warnings.append(f"unknown field {name!r} was ignored{did_you_mean(name, known)}")
    return warnings


def build_manifest(
    normalized: Mapping[str, Any],
    model: str,
    shards: list[ShardRange],
    run_date: str,
    accepted_at: str,
) -> dict[str, Any]:
    """The RunManifest document (schemas/v1/run_manifest.json).

    The contract (its generated checker, or the pydantic model when that is not sure) checks
    everything but the shard list, which the planner built and which would cost a check per
    shard (a second at the contract's 200,000 shards, on the API's answer path); one entry goes
    through it to keep the shape honest.
    """
    fingerprint = request_fingerprint(normalized, model)

    def pydantic_manifest() -> BaseModel:  # when the generated checker is not sure
        from serverless_sweep.contracts import RunManifest
        from serverless_sweep.contracts import ShardRange as ManifestShard

        return RunManifest(
            contract_version=CONTRACT_VERSION,
            run_id=normalized["run_id"],
            run_date=run_date,
            accepted_at=accepted_at,
            fingerprint=fingerprint,
            model=model,
            request=dict(normalized),
            total_points=normalized["total_points"],
            shards=[ManifestShard(**s.as_dict()) for s in shards[:1]],
        )

    document = {
        "contract_version": CONTRACT_VERSION,
        "run_id": normalized["run_id"],
        "run_date": run_date,
        "accepted_at": accepted_at,
        "fingerprint": fingerprint,
        "model": model,
        "request": dict(normalized),
        "total_points": normalized["total_points"],
        "shards": [s.as_dict() for s in shards[:1]],
    }
    body = contract_document("RunManifest", document, pydantic_manifest)
    body["shards"] = [s.as_dict() for s in shards]
    return body
