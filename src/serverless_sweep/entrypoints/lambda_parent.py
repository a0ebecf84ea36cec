"""The parent artifact's Lambda handler: the API routes and the dispatch jobs.

Function configuration: handler `serverless_sweep.entrypoints.lambda_parent.handler`; env
`SWEEP_RESULTS_BUCKET`, `CHILD_LAMBDA_ARN`, optional `SWEEP_RESULTS_PREFIX`,
`SWEEP_DEFAULT_MODEL`, and for asynchronous dispatch `SWEEP_DISPATCHER_FUNCTION` (the parent's
own name), `SWEEP_DISPATCH_CONCURRENCY` (64), `SWEEP_CHILD_MAX_EVENT_AGE_S` and
`SWEEP_CHILD_TIMEOUT_S` (when a shard with no record counts as lost).

Events:

* API Gateway proxy events (REST API v1 `resource`/`httpMethod`, HTTP API v2 `routeKey`, or the
  request path when the route is a catch-all) go through the API's one route table and error
  mapping (`entrypoints/http`, which `sweep serve` runs too): `POST /sweep-run` -> submit;
  `GET /sweep-run/{run_id}` -> run status; `POST /sweep-run/{run_id}/redrive` -> redrive;
  `GET /openapi.json` -> the OpenAPI document with this deployment's URL and its SigV4 scheme;
* a dispatch job `{"sweep_dispatch": {"run_id": ..., "job": ...}}`, which the parent sends
  itself (an API request can never be one: API events are routed by their method first);
* anything else (a direct `aws lambda invoke`) -> submit.

An unexpected exception on an API route becomes a 500 `internal_error` with the request id (the
traceback goes to the log), so API Gateway never answers with its own body-less 502. A dispatch
job lets store and invoke failures escape: Lambda retries the job, and the ledger makes the
retry resume where the failed one stopped.

Nothing here imports numpy, pyarrow or a model's simulation code: the parent artifact ships
without them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from serverless_sweep.adapters.aws.dispatch_scheduler import (
    DISPATCH_EVENT_KEY,
    LambdaDispatchScheduler,
)
from serverless_sweep.adapters.aws.json_logging import configure_json_logging, log_context
from serverless_sweep.entrypoints import lambda_services
from serverless_sweep.entrypoints.http import ROUTER, errors, resolve
from serverless_sweep.entrypoints.http.proxy import (
    request_from_event,
    submit_event,
    to_proxy,
)
from serverless_sweep.entrypoints.lambda_services import LambdaContext
from serverless_sweep.handlers.dispatch_ledger import is_job_name
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.status import StatusHandler

logger = logging.getLogger(__name__)

# The names of the shared route table's routes (entrypoints/http/routes.py).
SUBMIT, STATUS, REDRIVE, OPENAPI = "submit", "status", "redrive", "openapi"


def handler(event: object, context: LambdaContext | None) -> dict[str, Any]:
    """The parent Lambda: API Gateway proxy events (the shared route table), dispatch jobs, or
    direct invokes (a request object)."""
    configure_json_logging()
    job = dispatch_job_of(event)
    if job is not None:
        return run_dispatch_job(job, context)
    request_id = lambda_services.request_id(context)
    route = resolve_route(event)
    with log_context(aws_request_id=request_id, run_id=route.run_id):
        logger.info("parent request: %s", route.describe())
        response = api_response(event, request_id, route) if route.api else direct_submit(event)
        with log_context(run_id=route.run_id or lambda_services.response_run_id(response)):
            logger.info("parent response: %s", response.get("statusCode"))
        return response


class LambdaApi:
    """What the shared routes run against in the cloud: S3, Lambda invokes, SigV4. The parent
    is built on first use, so `GET /openapi.json` touches neither."""

    openapi_sigv4 = True

    @cached_property
    def parent(self) -> ParentHandler:
        return make_parent()

    @cached_property
    def status(self) -> StatusHandler:
        parent = self.parent
        return StatusHandler(parent.store, parent.layout, lost_after_s=parent.config.lost_after_s)


def api_response(event: object, request_id: str | None, route: Route) -> dict[str, Any]:
    """An API Gateway event through the shared resolver; an exception nothing maps is a 500
    `internal_error` naming the request id (the traceback goes to the log)."""
    request = request_from_event(
        event, request_id=request_id or "", base_url=deployed_base_url(event)
    )
    assert request is not None  # resolve_route saw an API event
    try:
        return to_proxy(resolve(request, LambdaApi(), local=False))
    except Exception:
        logger.exception("parent failed on %s", route.describe())
        return to_proxy(errors.internal_error(request_id, run_id=route.run_id))


def direct_submit(event: object) -> dict[str, Any]:
    """A direct invoke (`aws lambda invoke`): the event is the request, or carries it in
    `body`. Unexpected exceptions escape (the caller sees Lambda's error)."""
    return submit_event(make_parent(), event)


def make_parent(config: ParentConfig | None = None) -> ParentHandler:
    """The parent handler of this container: S3 store, Lambda invoker, and asynchronous
    dispatch when SWEEP_DISPATCHER_FUNCTION names the function that runs dispatch jobs."""
    config = config or ParentConfig.from_env()
    services = lambda_services.services
    invoker = services.invoker()
    scheduler = None
    if config.dispatcher_function:
        scheduler = LambdaDispatchScheduler(invoker, config.dispatcher_function)
    return ParentHandler(
        invoker=invoker, store=services.store(), config=config, scheduler=scheduler
    )


@dataclass(frozen=True, slots=True)
class Route:
    """What a parent event asks for, for the log and the dispatch: `action` is the shared route
    table's route name, None for an API request no route matches."""

    action: str | None
    run_id: str | None = None
    api: bool = False
    method: str = ""
    path: str = ""

    def describe(self) -> str:
        if not self.api:
            return "direct invoke"
        return f"{self.method} {self.path}".strip()


def resolve_route(event: object) -> Route:
    """Classify a parent event (see the module docstring) with the shared route table."""
    request = request_from_event(event)
    if request is None:
        return Route(SUBMIT)
    shown = request.path or request.template or ""
    found = ROUTER.match(request, local=False)
    if found is None:
        return Route(None, None, True, request.method, shown)
    matched, params = found
    return Route(matched.name, params.get("run_id"), True, request.method, shown)


def deployed_base_url(event: object) -> str | None:
    """`https://DOMAIN/STAGE` of the API that sent the event (the stage is part of the path of
    an execute-api URL; `$default` and custom domains have none), None when the event has no
    domain name."""
    context = event.get("requestContext") if isinstance(event, Mapping) else None
    if not isinstance(context, Mapping):
        return None
    domain = context.get("domainName")
    if not isinstance(domain, str) or not domain or "/" in domain:
        return None
    stage = context.get("stage")
    if isinstance(stage, str) and stage and stage != "$default" and ".execute-api." in domain:
        return f"https://{domain}/{stage}"
    return f"https://{domain}"


# -- dispatch jobs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DispatchJob:
    run_id: str
    job: str


def dispatch_job_of(event: object) -> DispatchJob | None:
    """The dispatch job an event carries, or None when it is not one.

    Only an event whose single key is `sweep_dispatch` with a string run_id and a known job
    name is a job: a request that merely contains such a key is still a request.
    """
    if not isinstance(event, Mapping) or set(event) != {DISPATCH_EVENT_KEY}:
        return None
    body = event[DISPATCH_EVENT_KEY]
    if not isinstance(body, Mapping):
        return None
    run_id, job = body.get("run_id"), body.get("job")
    if not isinstance(run_id, str) or not is_job_name(job):
        return None
    assert isinstance(job, str)
    return DispatchJob(run_id, job)


def run_dispatch_job(job: DispatchJob, context: LambdaContext | None) -> dict[str, Any]:
    """Run (or resume) one dispatch job until it is done or its deadline nears."""
    with log_context(
        aws_request_id=lambda_services.request_id(context), run_id=job.run_id, job=job.job
    ):
        parent = make_parent()
        if not parent.config.child_function:
            raise RuntimeError("CHILD_LAMBDA_ARN must be configured to run dispatch jobs")
        parent.store.check_configured()
        remaining = context.get_remaining_time_in_millis if context is not None else None
        report = parent.dispatcher().run(job.run_id, job.job, remaining)
        logger.info("dispatch job: %s", report.as_dict())
        return report.as_dict()
