"""The Lambda handler functions: thin wiring of the handlers to S3 and Lambda.

Deployment settings (function configuration):

* parent: `parent_handler`, env `SWEEP_RESULTS_BUCKET`, `CHILD_LAMBDA_ARN`, optional
  `SWEEP_RESULTS_PREFIX`, `SWEEP_DEFAULT_MODEL`;
* child: `child_handler`, env `SWEEP_RESULTS_BUCKET`, optional `SWEEP_RESULTS_PREFIX`,
  `SWEEP_DEFAULT_MODEL`, `SWEEP_DEADLINE_MARGIN_MS`.

Why this module is so small: everything that decides anything lives in `handlers` and is tested
without AWS; here are only the things that exist once per Lambda container - the boto3 clients
(built lazily on the first invocation and reused while the container is warm, because client
creation costs tens of milliseconds) and the JSON logging setup - plus the API Gateway routing.

Routing of parent events (REST API v1 `resource`/`httpMethod`, HTTP API v2 `routeKey`, or the
request path when the route is a catch-all):

* `POST /sweep-run` -> submit;
* `GET /sweep-run/{run_id}` -> run status;
* `POST /sweep-run/{run_id}/redrive` -> redrive;
* an event without `httpMethod`/`routeKey` (a direct `aws lambda invoke`) -> submit.

An unexpected exception on an API route becomes a 500 `internal_error` with the request id (the
traceback goes to the log), so API Gateway never answers with its own body-less 502.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from serverless_sweep.adapters.aws.json_logging import configure_json_logging, log_context
from serverless_sweep.adapters.aws.lambda_invoker import LambdaInvoker
from serverless_sweep.adapters.aws.s3_store import BUCKET_ENV, S3ObjectStore, make_s3_client
from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import Invoker, StoreError, StoreNotConfigured
from serverless_sweep.handlers.responses import error_response, validation_error_response
from serverless_sweep.handlers.status import StatusHandler

logger = logging.getLogger(__name__)

SUBMIT, STATUS, REDRIVE = "submit", "status", "redrive"
_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/sweep-run"): SUBMIT,
    ("GET", "/sweep-run/{run_id}"): STATUS,
    ("POST", "/sweep-run/{run_id}/redrive"): REDRIVE,
}
# A catch-all route ({proxy+}, $default) is matched on the path's tail, so stage prefixes and
# custom-domain base paths do not matter.
_PATH = re.compile(r"(?:^|/)sweep-run(?:/(?P<run_id>[^/]+)(?P<redrive>/redrive)?)?/?$")


class LambdaContext(Protocol):
    """What the handlers read from Lambda's context object."""

    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


class Services:
    """The per-container clients: built on first use, reused by every warm invocation.

    Tests replace the module's `services` with one built from their own client and invoker.
    """

    def __init__(self, *, s3_client: Any = None, invoker: Invoker | None = None) -> None:
        self._s3_client = s3_client
        self._invoker = invoker
        self._lock = threading.Lock()

    def s3_client(self) -> Any:
        if self._s3_client is None:
            with self._lock:
                if self._s3_client is None:
                    self._s3_client = make_s3_client()
        return self._s3_client

    def invoker(self) -> Invoker:
        if self._invoker is None:
            with self._lock:
                if self._invoker is None:
                    self._invoker = LambdaInvoker()
        return self._invoker

    def store(self, environ: Mapping[str, str] | None = None) -> S3ObjectStore:
        """The results store; the bucket is read per call, the client is shared."""
        env = os.environ if environ is None else environ
        bucket = env.get(BUCKET_ENV)
        if not (bucket or "").strip():
            return S3ObjectStore(bucket)  # unconfigured: never builds a client
        return S3ObjectStore(bucket, client=self.s3_client())


services = Services()


# -- parent ---------------------------------------------------------------------------------------


def parent_handler(event: object, context: LambdaContext | None) -> dict[str, Any]:
    """The parent Lambda: API Gateway proxy events (submit, status, redrive) or direct invokes."""
    configure_json_logging()
    request_id = _request_id(context)
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
        with log_context(run_id=route.run_id or _response_run_id(response)):
            logger.info("parent response: %s", response.get("statusCode"))
        return response


def _dispatch(route: Route, event: object) -> dict[str, Any]:
    parent = ParentHandler(
        invoker=services.invoker(), store=services.store(), config=ParentConfig.from_env()
    )
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
        return StatusHandler(parent.store, parent.layout).handle(route.run_id)
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


def child_handler(event: object, context: LambdaContext | None) -> dict[str, Any]:
    """The child Lambda: run one shard. Failures are recorded by the handler, then re-raised
    so that Lambda counts a failed invocation and applies its async retry policy."""
    configure_json_logging()
    fields = event if isinstance(event, Mapping) else {}
    with log_context(
        aws_request_id=_request_id(context),
        run_id=_loggable(fields.get("run_id")),
        shard_id=_loggable(fields.get("shard_id")),
    ):
        handler = ChildHandler(store=services.store(), config=ChildConfig.from_env())
        remaining = context.get_remaining_time_in_millis if context is not None else None
        try:
            result = handler.handle(event, remaining)
        except Exception as exc:
            logger.exception("shard failed: %s", type(exc).__name__)
            raise
        logger.info(
            "shard done: %s points%s",
            result.get("points_processed"),
            " (already done, nothing recomputed)" if result.get("duplicate") else "",
        )
        return result


def _response_run_id(response: Mapping[str, Any]) -> str | None:
    """The run_id a response body names (submissions learn it only from the request)."""
    try:
        body = json.loads(response.get("body") or "{}")
    except (TypeError, ValueError):
        return None
    run_id = body.get("run_id") if isinstance(body, dict) else None
    return run_id if isinstance(run_id, str) else None


def _request_id(context: object) -> str | None:
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) else None


def _loggable(value: object) -> str | int | None:
    """Only plain ids go into the log context (a hostile payload cannot inject structures)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return value[:256]
    return None
