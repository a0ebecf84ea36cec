"""API Gateway's Lambda-proxy wire format <-> the framework-neutral Request and Response.

The parent Lambda receives these events from API Gateway; `sweep serve` builds the same REST
(v1) event from real HTTP in its gateway emulator. Both turn it into a `Request` here, so the
translation, like the routing after it, is one piece of code.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.core.jsonio import parse_json_text
from serverless_sweep.entrypoints.http.routes import Request, Response, respond

if TYPE_CHECKING:
    from serverless_sweep.handlers.parent import ParentHandler

__all__ = [
    "api_method_and_route",
    "decode_body",
    "event_payload",
    "request_from_event",
    "submit_event",
    "to_proxy",
]

BODY_MESSAGE = "Request body must be a JSON object"


def api_method_and_route(event: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(method, route template, request path) of an API Gateway event; method None otherwise."""
    if isinstance(event.get("httpMethod"), str):  # REST API, payload format 1.0
        path = event.get("path")
        resource = event.get("resource")
        return (
            str(event["httpMethod"]).upper(),
            resource if isinstance(resource, str) else None,
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


def request_from_event(
    event: object, *, request_id: str = "", base_url: str | None = None
) -> Request | None:
    """The Request an API Gateway proxy event (REST v1 or HTTP API v2) carries; None when the
    event is not one (a direct invoke, a dispatch job)."""
    if not isinstance(event, Mapping):
        return None
    method, template, path = api_method_and_route(event)
    if method is None:
        return None
    params = event.get("pathParameters")
    path_params = (
        {k: v for k, v in params.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(params, Mapping)
        else {}
    )
    body, body_error = _body(event)
    return Request(
        method=method,
        path=path or "",
        query=_query(event),
        headers=_headers(event),
        body=body,
        request_id=request_id,
        template=template,
        path_params=path_params,
        base_url=base_url,
        body_error=body_error,
    )


def _body(event: Mapping[str, Any]) -> tuple[bytes | None, ValidationError | None]:
    body = event.get("body")
    if body is None:
        return None, None
    if isinstance(body, Mapping):  # a test or console event with an object body
        return json.dumps(body).encode("utf-8"), None
    if not isinstance(body, str):
        return None, ValidationError(BODY_MESSAGE, [Violation("", "type", BODY_MESSAGE)])
    if event.get("isBase64Encoded") is not True:
        return body.encode("utf-8"), None
    # API Gateway base64-encodes bodies whose content type it treats as binary (an HTTP API
    # does so for anything not text-like, e.g. a client that sends no Content-Type).
    try:
        raw = base64.b64decode(body, validate=True)
        raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        detail = f"{BODY_MESSAGE} (undecodable base64 body: {exc})"
        return None, ValidationError(BODY_MESSAGE, [Violation("", "encoding", detail)])
    return raw, None


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return {}
    return {str(k).lower(): str(v) for k, v in headers.items() if v is not None}


def _query(event: Mapping[str, Any]) -> dict[str, list[str]]:
    multi = event.get("multiValueQueryStringParameters")
    if isinstance(multi, Mapping):
        return {str(k): [str(v) for v in vs] for k, vs in multi.items() if isinstance(vs, list)}
    single = event.get("queryStringParameters")
    if isinstance(single, Mapping):  # HTTP API v2 joins repeated values with commas
        return {str(k): str(v).split(",") for k, v in single.items() if v is not None}
    return {}


def to_proxy(response: Response) -> dict[str, Any]:
    """The Lambda-proxy response (REST v1 and HTTP API v2 accept the same shape)."""
    proxy: dict[str, Any] = {"statusCode": response.status, "headers": dict(response.headers)}
    try:
        proxy["body"] = response.body.decode("utf-8")
    except UnicodeDecodeError:
        proxy["body"] = base64.b64encode(response.body).decode("ascii")
        proxy["isBase64Encoded"] = True
    return proxy


def decode_body(event: object) -> object:
    """The event with a base64 body (`isBase64Encoded`) decoded to text, else unchanged (for
    direct invokes, which carry their request in `body` like a proxy event)."""
    if not (isinstance(event, Mapping) and event.get("isBase64Encoded") is True):
        return event
    body = event.get("body")
    if not isinstance(body, str):
        return event
    try:
        text = base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        detail = f"{BODY_MESSAGE} (undecodable base64 body: {exc})"
        raise ValidationError(BODY_MESSAGE, [Violation("", "encoding", detail)]) from None
    return {**event, "body": text, "isBase64Encoded": False}


def event_payload(event: object) -> object:
    """The request object inside a direct-invoke event.

    An event with a `body` key is a proxy event: only the body counts (null means {}; a string
    is parsed as strict JSON; an object is used as is). Any other object is the request itself.
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
    raise ValidationError(BODY_MESSAGE, [Violation("", "type", BODY_MESSAGE)])


def submit_event(parent: ParentHandler, event: object) -> dict[str, Any]:
    """A direct invoke of the parent (`aws lambda invoke`, replay): the event's request through
    `parent.submit`, answered with the proxy response `POST /sweep-run` would give."""
    request = Request("POST", "/sweep-run", template="/sweep-run")
    return to_proxy(respond(request, lambda: parent.submit(event_payload(decode_body(event)))))
