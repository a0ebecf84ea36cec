"""The local API: an API Gateway (REST API, Lambda proxy integration) emulator over the handlers.

The cloud deployment puts a REST API in front of the parent Lambda; this module does locally what
that gateway does, so that a client (curl, a notebook, schemathesis) talks to exactly the handler
code the Lambdas run, and sees the same status codes and bodies:

1. **Routing** on the raw (still percent-encoded) request path, segment by segment, against the
   resources of our OpenAPI document. Path parameters are percent-decoded before they reach the
   integration, as API Gateway decodes `pathParameters`, so `GET /sweep-run/surge%2Fberlin%3Dv2`
   asks for run `surge/berlin=v2`. (Starlette's own router works on the already decoded path,
   where that `%2F` would have become a separator, so it is not used for matching.)
2. **Gateway-made answers**, which never reach a Lambda:

   * no resource matches the path: 404 `not_found`. The deployed REST API answers 403
     `{"message": "Missing Authentication Token"}` unless its MISSING_AUTHENTICATION_TOKEN gateway
     response is customized; the emulator answers with the ErrorResponse shape, as every other
     error, and never lets an unknown route look like an authorization problem;
   * the resource exists but not the method: 405 with an `Allow` header (RFC 9110) and a
     `not_found` ErrorResponse body (API Gateway treats a missing method like a missing resource;
     the ErrorResponse enum has no `method_not_allowed`). HEAD and OPTIONS are not implied: a REST
     API only answers the methods it declares;
   * a body over `max_body_bytes` (API Gateway's 10 MB payload quota): 413 `payload_too_large`;
   * request validation of `POST /sweep-run` against the generated draft-04 model
     (`load_apigateway_model("sweep_request")`) when the Content-Type is `application/json` or
     absent (API Gateway then assumes `application/json`): a body that is not JSON or breaks the
     model is refused with 400 `{"error": "validation_error", "message": "Invalid request body:
     <first error>"}` before the parent runs, which is what the deployed BAD_REQUEST_BODY gateway
     response template produces.

   Another Content-Type is passed through unvalidated, because that is what API Gateway does with
   a request model declared only for `application/json`; the parent parses the body as JSON and
   validates it against the full 2020-12 schema itself, so such a request still gets a documented
   400 and never a 415 (which the OpenAPI document does not list).
3. **The proxy event**: every request becomes a REST (v1) Lambda-proxy event (`resource`, `path`,
   `httpMethod`, `headers`, `multiValueHeaders`, query string maps, `pathParameters`,
   `requestContext` with `requestId`, `stage` and `identity.sourceIp`, `body` as a string,
   `isBase64Encoded` false) and the matching integration is called with it in a worker thread.
   The integration of every resource is the API's one route table (`entrypoints/http`): the
   event becomes a `Request` by the same translation the parent Lambda uses, and the same
   resolver, route functions and error mapping answer it. The resources themselves are that
   table's routes, local-only ones included.
4. **The proxy response** (`statusCode`, `headers`, `multiValueHeaders`, `body`,
   `isBase64Encoded`) becomes the HTTP response, with an `x-amzn-RequestId` header. An integration
   that raises or returns a malformed proxy response gives a 500 `internal_error` (the gateway
   would say 502 "Internal server error", a status the document lists only for dispatch errors).

`GET /openapi.json` serves the generated document (from the schemas, never derived from this
code) with `servers` set to the address the request came in on.
`GET /schemas/{version}/{name}` serves the published JSON Schemas under the dotted names the
document enumerates (`models.ride_hailing.parameters`); any other name,
including the `/`-separated form, is a 404 `not_found`.

Not emulated, on purpose: the deployed methods require SigV4 (AWS_IAM) and a resource policy, the
stage throttles (429), and Lambda's 6 MB synchronous payload limit applies behind the gateway's
10 MB one. The local API has no authentication, which is why `sweep serve` binds 127.0.0.1. The
two document routes are local only: infra/terraform deploys the three /sweep-run routes.

The app does not own the runtime: whoever created the `LocalRuntime` closes it.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, unquote

from jsonschema import Draft4Validator
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from serverless_sweep.contracts import load_apigateway_model
from serverless_sweep.core.errors import json_pointer
from serverless_sweep.entrypoints.http import ROUTER, Api, Router, errors, resolve
from serverless_sweep.entrypoints.http.proxy import request_from_event, to_proxy

if TYPE_CHECKING:
    from serverless_sweep.adapters.local.runtime import LocalRuntime
    from serverless_sweep.handlers.parent import ParentHandler
    from serverless_sweep.handlers.status import StatusHandler

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "STAGE",
    "ApiGateway",
    "GatewayRoute",
    "Integration",
    "Method",
    "Resource",
    "build_event",
    "create_app",
    "ingress_error",
    "to_response",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES: Final = 10 * 1024 * 1024
"""API Gateway's REST API payload quota (10 MB)."""

STAGE: Final = "local"
"""The stage name put in `requestContext.stage`."""

DRAIN_FACTOR: Final = 8
"""An oversize body is read (and dropped) up to this many times the limit before answering 413,
so that an ordinary client, which sends its whole body before reading the answer, sees the 413
instead of a connection reset. Beyond that the connection is simply answered and closed."""

JSON_MEDIA_TYPE: Final = "application/json"
MESSAGE_LIMIT: Final = 1000
"""Validation messages quote the offending value; a 10 MB value must not make a 10 MB message."""

Integration = Callable[[dict[str, Any]], dict[str, Any]]
"""A Lambda behind the gateway: a REST proxy event in, a proxy response out."""


class MalformedProxyResponse(ValueError):
    """The integration's answer is not a Lambda proxy response."""


@dataclass(frozen=True, slots=True)
class Method:
    """One method of a resource: its integration and, when set, the gateway's request model."""

    integration: Integration
    request_model: Draft4Validator | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """A REST API resource such as `/sweep-run/{run_id}` and its methods."""

    template: str
    methods: Mapping[str, Method]
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.template.split("/")[1:]))

    def match(self, raw_segments: Sequence[str]) -> dict[str, str] | None:
        """The decoded path parameters when the raw path segments fit the template, else None."""
        if len(raw_segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for pattern, raw in zip(self.segments, raw_segments, strict=True):
            value = unquote(raw, errors="replace")
            if pattern.startswith("{") and pattern.endswith("}"):
                if value == "":
                    return None  # API Gateway never matches a parameter to an empty segment
                params[pattern[1:-1]] = value
            elif value != pattern:
                return None
        return params

    @property
    def allow(self) -> str:
        return ", ".join(sorted(self.methods))


def gateway_error(status_code: int, error: str, message: str) -> dict[str, Any]:
    """A gateway-made answer: the ErrorResponse fields a gateway response template can fill."""
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": JSON_MEDIA_TYPE},
        "body": json.dumps({"error": error, "message": message}),
    }


def _clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reject_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def ingress_error(validator: Draft4Validator, body: bytes) -> str | None:
    """Why API Gateway's request validation refuses `body`, or None when the model accepts it.

    The gateway parses the body as plain JSON (no NaN/Infinity; a repeated key is not its
    concern, the parent rejects those) and reports the first error of the draft-04 model.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 text ({exc.reason} at byte {exc.start})"
    if text.strip() == "":
        return "the body is empty; expected a JSON document"
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc}"
    except RecursionError:
        return "not JSON: nesting is too deep"
    except ValueError as exc:  # NaN/Infinity, or an integer literal beyond the digit limit
        return f"not JSON: {exc}"
    error = next(iter(validator.iter_errors(document)), None)
    if error is None:
        return None
    pointer = json_pointer(*error.absolute_path)
    where = f" (at {pointer})" if pointer else ""
    return _clip(error.message) + where


def media_type(content_type: str | None) -> str | None:
    """`application/json` from `Application/JSON; charset=utf-8`; None when the header is absent."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def _headers(raw: Sequence[tuple[bytes, bytes]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name_bytes, value_bytes in raw:
        name, value = name_bytes.decode("latin-1"), value_bytes.decode("latin-1")
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _query(query_string: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    pairs = parse_qsl(query_string, keep_blank_values=True, errors="replace")
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def build_event(
    request: Request,
    resource: Resource,
    raw_path: str,
    path_parameters: dict[str, str],
    body: str | None,
    request_id: str,
) -> dict[str, Any]:
    """The REST API (v1) Lambda-proxy event API Gateway would send for this request."""
    headers, multi_headers = _headers(request.headers.raw)
    query, multi_query = _query(request.url.query)
    source_ip = request.client.host if request.client else "127.0.0.1"
    now = time.time()
    return {
        "resource": resource.template,
        "path": raw_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": resource.template,
            "httpMethod": request.method,
            "path": f"/{STAGE}{raw_path}",
            "stage": STAGE,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": int(now * 1000),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "protocol": f"HTTP/{request.scope.get('http_version', '1.1')}",
            "domainName": headers.get("host", "localhost"),
            "identity": {
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent"),
            },
        },
        "body": body,
        "isBase64Encoded": False,
    }


def to_response(proxy: object, request_id: str) -> Response:
    """The HTTP response for a Lambda proxy response; MalformedProxyResponse if it is not one."""
    if not isinstance(proxy, dict):
        raise MalformedProxyResponse(f"expected an object, got {type(proxy).__name__}")
    status = proxy.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode {status!r} is not an HTTP status")
    body = proxy.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    content = base64.b64decode(body) if proxy.get("isBase64Encoded") else body.encode("utf-8")
    pairs: list[tuple[str, str]] = []
    headers = proxy.get("headers") or {}
    multi = proxy.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] must be a list")
        pairs += [(str(name), str(v)) for v in values]
    pairs += [(str(name), str(v)) for name, v in headers.items()]
    response = Response(content, status_code=status)
    names = {name.lower() for name, _ in pairs}
    dropped = {"content-length", "transfer-encoding", "connection"}
    response.raw_headers += [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in pairs
        if name.lower() not in dropped
    ]
    if "content-type" not in names:
        # API Gateway's default for a proxy response without a Content-Type.
        response.raw_headers.append((b"content-type", JSON_MEDIA_TYPE.encode()))
    response.raw_headers.append((b"x-amzn-requestid", request_id.encode("latin-1")))
    return response


class ApiGateway:
    """The routing table and the request pipeline (see the module docstring)."""

    def __init__(self, resources: Sequence[Resource], *, max_body_bytes: int) -> None:
        if max_body_bytes < 0:
            raise ValueError("max_body_bytes must be >= 0")
        self.resources = tuple(resources)
        self.max_body_bytes = max_body_bytes

    def route(self, raw_path: str) -> tuple[Resource, dict[str, str]] | None:
        if not raw_path.startswith("/"):
            return None
        segments = raw_path.split("/")[1:]
        for resource in self.resources:
            params = resource.match(segments)
            if params is not None:
                return resource, params
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry (the app's only route)."""
        request = Request(scope, receive)
        request_id = str(uuid.uuid4())
        try:
            response = await self.handle(request, request_id)
        except Exception as exc:  # a bug here must still answer in the documented JSON shape
            logger.exception("%s %s: the local API failed", request.method, request.url.path)
            problem = (
                f"Internal error in the local API (request id {request_id}): "
                f"{type(exc).__name__}: {_clip(str(exc), 300)}"
            )
            response = to_response(
                to_proxy(errors.error(500, "internal_error", problem)), request_id
            )
        await response(scope, receive, send)

    async def handle(self, request: Request, request_id: str) -> Response:
        """Route, answer what the gateway answers itself, else call the integration."""
        raw_path = _raw_path(request)
        found = self.route(raw_path)
        if found is None:
            message = f"No route for {request.method} {_clip(raw_path, 200)}"
            return to_response(gateway_error(404, "not_found", message), request_id)
        resource, params = found
        method = resource.methods.get(request.method)
        if method is None:
            message = (
                f"{request.method} is not a method of {resource.template}; "
                f"allowed: {resource.allow}"
            )
            response = to_response(gateway_error(405, "not_found", message), request_id)
            response.headers["Allow"] = resource.allow
            return response
        body = await self._read_body(request)
        if body is None:
            message = f"The request body is larger than the {self.max_body_bytes}-byte limit"
            return to_response(gateway_error(413, "payload_too_large", message), request_id)
        return await run_in_threadpool(
            self._invoke, request, resource, method, raw_path, params, body, request_id
        )

    async def _read_body(self, request: Request) -> bytes | None:
        """The body, or None when it is over the limit (then read and dropped, up to a bound)."""
        declared = request.headers.get("content-length", "")
        too_large = declared.isdigit() and int(declared) > self.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        drain_limit = DRAIN_FACTOR * max(self.max_body_bytes, 1)
        async for chunk in request.stream():
            size += len(chunk)
            if too_large or size > self.max_body_bytes:
                too_large = True
                chunks.clear()
                if size > drain_limit:
                    break
                continue
            chunks.append(chunk)
        return None if too_large else b"".join(chunks)

    def _invoke(
        self,
        request: Request,
        resource: Resource,
        method: Method,
        raw_path: str,
        params: dict[str, str],
        body: bytes,
        request_id: str,
    ) -> Response:
        """Ingress validation, the proxy event, the integration call (in a worker thread)."""
        content_type = media_type(request.headers.get("content-type"))
        if method.request_model is not None and content_type in (None, JSON_MEDIA_TYPE):
            problem = ingress_error(method.request_model, body)
            if problem is not None:
                message = f"Invalid request body: {problem}"
                return to_response(gateway_error(400, "validation_error", message), request_id)
        if method.request_model is not None:
            try:
                text: str | None = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                message = f"Invalid request body: the body is not UTF-8 text ({exc.reason})"
                return to_response(gateway_error(400, "validation_error", message), request_id)
        else:
            text = body.decode("utf-8", errors="replace")
        event = build_event(request, resource, raw_path, params, text or None, request_id)
        try:
            return to_response(method.integration(event), request_id)
        except MalformedProxyResponse as exc:
            logger.error(
                "%s %s: malformed Lambda proxy response: %s", request.method, raw_path, exc
            )
            problem = (
                f"Internal error (request id {request_id}): the integration returned a "
                f"malformed Lambda proxy response: {exc}"
            )
        except Exception as exc:
            logger.exception("%s %s: the integration raised", request.method, raw_path)
            problem = (
                f"Internal error (request id {request_id}): the integration raised "
                f"{type(exc).__name__}: {_clip(str(exc), 300)}"
            )
        return to_response(to_proxy(errors.error(500, "internal_error", problem)), request_id)


def _raw_path(request: Request) -> str:
    """The request path as sent (percent-encoded). Servers that do not provide `raw_path` get
    the decoded path instead, where a `%2F` inside a run_id can no longer be told from `/`."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        return raw.decode("latin-1").split("?", 1)[0]
    path: str = request.scope.get("path", "/")
    return path


# -- the integration: the shared route table ------------------------------------------------


class LocalApi:
    """What the shared routes run against locally: the runtime's handlers (files, worker
    processes), no SigV4."""

    openapi_sigv4 = False

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime

    @property
    def parent(self) -> ParentHandler:
        return self.runtime.parent

    @property
    def status(self) -> StatusHandler:
        return self.runtime.status


def route_integration(api: Api, router: Router = ROUTER) -> Integration:
    """The Lambda behind every resource: the proxy event becomes a `Request` for the shared
    resolver (`entrypoints/http`), exactly as the parent Lambda translates it, and its
    `Response` becomes the proxy response."""

    def handle(event: dict[str, Any]) -> dict[str, Any]:
        context = event.get("requestContext") or {}
        request = request_from_event(
            event,
            request_id=str(context.get("requestId", "")),
            base_url=request_base_url(event),
        )
        assert request is not None  # build_event makes REST proxy events
        return to_proxy(resolve(request, api, local=True, router=router))

    return handle


def request_base_url(event: Mapping[str, Any]) -> str | None:
    """`http://HOST:PORT` from the event's Host header, or None without a usable one (so that
    `GET /openapi.json` on `sweep serve --port 8012` does not advertise port 8000)."""
    headers = event.get("headers") or {}
    host = next((v for k, v in headers.items() if k.lower() == "host"), None)
    if not isinstance(host, str) or not host or any(c in host for c in "/\\ @?#"):
        return None
    return f"http://{host}"


def default_resources(runtime: LocalRuntime, router: Router = ROUTER) -> list[Resource]:
    """The resources of the shared route table (local-only routes included), each method wired
    to the shared resolver, with API Gateway's request model where the route declares one."""
    integration = route_integration(LocalApi(runtime), router)
    models: dict[str, Draft4Validator] = {}

    def model(name: str | None) -> Draft4Validator | None:
        if name is None:
            return None
        if name not in models:
            models[name] = Draft4Validator(load_apigateway_model(name))
        return models[name]

    return [
        Resource(
            template,
            {method: Method(integration, model(r.request_model)) for method, r in routes.items()},
        )
        for template, routes in router.templates(local=True).items()
    ]


class GatewayRoute(BaseRoute):
    """Hands every HTTP request to the gateway.

    A Starlette `Route("/{path:path}")` would not do: its pattern is matched against the decoded
    path with `.`, which does not match a newline, so `/schemas/%0A/x` would get Starlette's
    plain-text 404 instead of the gateway's JSON one.
    """

    def __init__(self, gateway: ApiGateway) -> None:
        self.gateway = gateway

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return (Match.FULL if scope["type"] == "http" else Match.NONE), {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.gateway(scope, receive, send)


def create_app(runtime: LocalRuntime, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Starlette:
    """The local API as an ASGI app: the shared route table (`entrypoints/http`) over
    `runtime`'s parent and status handlers, as routed when the app is created.

    `max_body_bytes` is API Gateway's payload quota (10 MB); tests lower it. The app neither
    starts nor closes the runtime. `app.state.gateway` is the `ApiGateway` (its resources).
    """
    gateway = ApiGateway(default_resources(runtime), max_body_bytes=max_body_bytes)
    # One catch-all route: routing and 404/405 are the gateway's, so that they answer in JSON
    # and route on the raw path (see the module docstring).
    app = Starlette(routes=[GatewayRoute(gateway)])
    app.state.gateway = gateway
    app.state.runtime = runtime
    return app
