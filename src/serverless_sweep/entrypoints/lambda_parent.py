"""The parent artifact's Lambda handler: the API routes and the dispatch jobs.

Function configuration: handler `serverless_sweep.entrypoints.lambda_parent.handler`; env
`SWEEP_RESULTS_BUCKET`, `CHILD_LAMBDA_ARN`, optional `SWEEP_RESULTS_PREFIX`,
`SWEEP_DEFAULT_MODEL`, and for asynchronous dispatch `SWEEP_DISPATCHER_FUNCTION` (the parent's
own name), `SWEEP_DISPATCH_CONCURRENCY` (64), `SWEEP_CHILD_MAX_EVENT_AGE_S` and
`SWEEP_CHILD_TIMEOUT_S` (when a shard with no record counts as lost).

Events:

* API Gateway proxy events (REST API v1 `resource`/`httpMethod`, HTTP API v2 `routeKey`, or the
  request path when the route is a catch-all): `POST /sweep-run` -> submit;
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

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serverless_sweep.adapters.aws.dispatch_scheduler import (
    DISPATCH_EVENT_KEY,
    LambdaDispatchScheduler,
)
from serverless_sweep.adapters.aws.json_logging import configure_json_logging, log_context
from serverless_sweep.contracts import openapi_document
from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.entrypoints import lambda_services
from serverless_sweep.entrypoints.lambda_services import LambdaContext
from serverless_sweep.handlers.dispatch_ledger import is_job_name
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import StoreError, StoreNotConfigured
from serverless_sweep.handlers.responses import (
    error_response,
    proxy_response,
    validation_error_response,
)
from serverless_sweep.handlers.status import StatusHandler

logger = logging.getLogger(__name__)

SUBMIT, STATUS, REDRIVE, OPENAPI = "submit", "status", "redrive", "openapi"
_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): OPENAPI,
    ("POST", "/sweep-run"): SUBMIT,
    ("GET", "/sweep-run/{run_id}"): STATUS,
    ("POST", "/sweep-run/{run_id}/redrive"): REDRIVE,
}
# A catch-all route ({proxy+}, $default) is matched on the path's tail, so stage prefixes and
# custom-domain base paths do not matter.
_PATH = re.compile(r"(?:^|/)sweep-run(?:/(?P<run_id>[^/]+)(?P<redrive>/redrive)?)?/?$")


def handler(event: object, context: LambdaContext | None) -> dict[str, Any]:
    """The parent Lambda: API Gateway proxy events (submit, status, redrive), dispatch jobs, or
    direct invokes (a request object)."""
    configure_json_logging()
    job = dispatch_job_of(event)
    if job is not None:
        return run_dispatch_job(job, context)
    request_id = lambda_services.request_id(context)
    route = resolve_route(event)
    with log_context(aws_request_id=request_id, run_id=route.run_id):
        logger.info("parent request: %s", route.describe())
        if route.action is None:
            response = error_response(404, "not_found", f"No route for {route.describe()}")
        elif route.api:
            try:
                response = _dispatch(route, event)
            except Exception:
                logger.exception("parent failed on %s", route.describe())
                response = error_response(
                    500,
                    "internal_error",
                    f"Internal error (request id {request_id}); see the parent function's log",
                    run_id=route.run_id,
                )
        else:
            response = _dispatch(route, event)
        with log_context(run_id=route.run_id or lambda_services.response_run_id(response)):
            logger.info("parent response: %s", response.get("statusCode"))
        return response


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


def _dispatch(route: Route, event: object) -> dict[str, Any]:
    if route.action == OPENAPI:
        return proxy_response(200, openapi_document(deployed_base_url(event), sigv4=True))
    parent = make_parent()
    if route.action == SUBMIT:
        try:
            return parent.handle(decode_body(event))
        except ValidationError as exc:
            return validation_error_response(exc)
    assert route.run_id is not None
    # The status and redrive handlers let store failures escape; answer them in the contract's
    # shape (submit already does so itself).
    try:
        if route.action == REDRIVE:
            return parent.redrive(route.run_id)
        return StatusHandler(
            parent.store, parent.layout, lost_after_s=parent.config.lost_after_s
        ).handle(route.run_id)
    except StoreNotConfigured as exc:
        return error_response(500, "misconfiguration", str(exc), run_id=route.run_id)
    except StoreError as exc:
        return error_response(
            500, "internal_error", f"could not read or update the run: {exc}", run_id=route.run_id
        )


@dataclass(frozen=True, slots=True)
class Route:
    """What a parent event asks for. `action` None: an API request no route matches."""

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
    """Classify a parent event (see the module docstring)."""
    if not isinstance(event, Mapping):
        return Route(SUBMIT)
    method, template, path = _api_method_and_route(event)
    if method is None:
        return Route(SUBMIT)
    params = event.get("pathParameters")
    run_id = params.get("run_id") if isinstance(params, Mapping) else None
    run_id = run_id if isinstance(run_id, str) and run_id else None
    shown = path or template or ""
    action = _ROUTES.get((method, template or ""))
    if action is None and (path or "").endswith("/openapi.json"):
        action = _ROUTES.get((method, "/openapi.json"))
    if action is None:
        match = _PATH.search(path or "")
        if match is not None:
            if match.group("run_id") is None:
                template = "/sweep-run"
            elif match.group("redrive"):
                template = "/sweep-run/{run_id}/redrive"
            else:
                template = "/sweep-run/{run_id}"
            run_id = run_id or match.group("run_id")
            action = _ROUTES.get((method, template))
    if action in (STATUS, REDRIVE) and run_id is None:
        action = None
    return Route(action, run_id if action != SUBMIT else None, True, method, shown)


def _api_method_and_route(event: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(method, route template, request path) of an API Gateway event; method None otherwise."""
    if isinstance(event.get("httpMethod"), str):  # REST API, payload format 1.0
        path = event.get("path")
        return (
            str(event["httpMethod"]).upper(),
            _str_or_none(event.get("resource")),
            path if isinstance(path, str) else None,
        )
    route_key = event.get("routeKey")
    if isinstance(route_key, str):  # HTTP API, payload format 2.0
        context = event.get("requestContext")
        http = context.get("http") if isinstance(context, Mapping) else None
        method = http.get("method") if isinstance(http, Mapping) else None
        template = None
        if " " in route_key:
            key_method, template = route_key.split(" ", 1)
            method = method or key_method
        raw_path = event.get("rawPath")
        return (
            str(method or "").upper() or None,
            template,
            raw_path if isinstance(raw_path, str) else None,
        )
    return None, None, None


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


def decode_body(event: object) -> object:
    """The event with a base64 body (`isBase64Encoded`) decoded to text, else unchanged.

    API Gateway base64-encodes bodies whose content type it treats as binary (an HTTP API does
    so for anything not text-like, e.g. a client that sends no Content-Type); the handler reads
    `body` as JSON text, so it must see the decoded text.
    """
    if not (isinstance(event, Mapping) and event.get("isBase64Encoded") is True):
        return event
    body = event.get("body")
    if not isinstance(body, str):
        return event
    try:
        text = base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        message = "Request body must be a JSON object"
        raise ValidationError(
            message, [Violation("", "encoding", f"{message} (undecodable base64 body: {exc})")]
        ) from None
    return {**event, "body": text, "isBase64Encoded": False}


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


# -- child ----------------------------------------------------------------------------------------


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
