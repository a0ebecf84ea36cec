"""The API's one route table and its resolver, shared by the Lambda and `sweep serve`.

Both edges translate their wire format into a framework-neutral `Request`, call `resolve`, and
translate the `Response` back: the parent Lambda from an API Gateway proxy event
(`entrypoints/lambda_parent.py`), `sweep serve` from real HTTP through its API Gateway emulator
(`entrypoints/local_api.py`, which builds the same proxy event). So both run exactly this
routing code, the same route functions and the same error mapping (`http/errors.py`).

A route function takes `(request, api)` and returns a `Response`, or a typed handler result
that a renderer registered with `render_as` turns into one; it raises for errors, and
`http/errors.py` maps the exception to the documented answer. Adding a route: see
docs/ARCHITECTURE.md ("Adding a route").

This module imports no boto3 and no numpy: the slim parent artifact and the local API load it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar
from urllib.parse import unquote

from serverless_sweep.contracts import (
    SchemaNotFoundError,
    api_schema_name,
    load_schema,
    openapi_document,
    schema_names,
    schema_versions,
)
from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.core.jsonio import dumps_response_body, parse_json_text

if TYPE_CHECKING:
    from serverless_sweep.handlers.parent import ParentHandler
    from serverless_sweep.handlers.status import StatusHandler

__all__ = [
    "JSON_HEADERS",
    "ROUTER",
    "Api",
    "Request",
    "Response",
    "Route",
    "Router",
    "render",
    "render_as",
    "resolve",
    "respond",
]

JSON_HEADERS: Final[Mapping[str, str]] = {"Content-Type": "application/json"}


# -- the framework-neutral request and response -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """One API request, whatever carried it.

    `path` is the path as received (still percent-encoded; it may carry a stage or base-path
    prefix). `template` and `path_params` are what a gateway in front already matched (API
    Gateway's `resource` / `routeKey` and its decoded `pathParameters`); the resolver fills them
    in when nothing did. `body` None means no body at all (an API Gateway `body: null`), which
    is not the same as an empty one. `body_error` is a body the edge could not even decode (bad
    base64, a body that is not a string): the route that reads the body raises it.
    """

    method: str
    path: str
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    request_id: str = ""
    template: str | None = None
    path_params: Mapping[str, str] = field(default_factory=dict)
    base_url: str | None = None
    body_error: ValidationError | None = None

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def param(self, name: str) -> str:
        """A path parameter of the matched route (the template guarantees it is there)."""
        return self.path_params[name]

    def json(self) -> object:
        """The body as a strict JSON document (no body means `{}`, as the old runtime read a
        proxy event's `body: null`); a ValidationError names what is wrong with it."""
        if self.body_error is not None:
            raise self.body_error
        if self.body is None:
            return {}
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = "Request body must be a JSON object"
            raise ValidationError(
                message, [Violation("", "encoding", f"{message} (not UTF-8 text: {exc.reason})")]
            ) from None
        return parse_json_text(text)


@dataclass(frozen=True, slots=True)
class Response:
    """One API answer: status, headers, body bytes."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=lambda: dict(JSON_HEADERS))

    @classmethod
    def json(cls, status: int, document: Any) -> Response:
        """A JSON answer in the old runtime's text style (`json.dumps` defaults, which replay
        compares byte for byte)."""
        return cls(status, dumps_response_body(document).encode("utf-8"), dict(JSON_HEADERS))


# -- what route functions run against ------------------------------------------------------------


class Api(Protocol):
    """The deployment a route function runs against: the Lambda's (S3, Lambda invokes) or the
    local runtime's (files, worker processes). Attributes are read only by the routes that
    need them, so an edge may build them lazily."""

    @property
    def parent(self) -> ParentHandler: ...

    @property
    def status(self) -> StatusHandler: ...

    @property
    def openapi_sigv4(self) -> bool:
        """Whether the OpenAPI document declares the deployed SigV4 security scheme."""
        ...


RouteFunction = Callable[[Request, Api], object]
F = TypeVar("F", bound=RouteFunction)


# -- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    """One operation: method + path template -> route function.

    `request_model` names the API Gateway request model (`contracts.load_apigateway_model`) the
    deployed gateway validates the body against before the Lambda runs; `sweep serve`'s emulator
    applies it too. `local_only` routes are served by `sweep serve` and never by the Lambda
    (Terraform deploys only the others).
    """

    method: str
    template: str
    name: str
    function: RouteFunction
    request_model: str | None = None
    local_only: bool = False
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not self.template.startswith("/"):
            raise ValueError(f"route template {self.template!r} must start with '/'")
        object.__setattr__(self, "segments", tuple(self.template.split("/")[1:]))

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(s[1:-1] for s in self.segments if _is_parameter(s))

    def match(self, raw_segments: Sequence[str], *, decode: bool) -> dict[str, str] | None:
        """The path parameters when the segments fit the template, else None. `decode`:
        percent-decode them (API Gateway decodes `pathParameters`)."""
        if len(raw_segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for pattern, raw in zip(self.segments, raw_segments, strict=True):
            value = unquote(raw, errors="replace") if decode else raw
            if _is_parameter(pattern):
                if value == "":
                    return None  # API Gateway never matches a parameter to an empty segment
                params[pattern[1:-1]] = value
            elif value != pattern:
                return None
        return params


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


class Router:
    """The route table. `ROUTER` is the API's; tests build their own or add to it with
    `registered`."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(self._routes)

    def add(self, route: Route) -> Route:
        for known in self._routes:
            if (known.method, known.template) == (route.method, route.template):
                raise ValueError(f"{route.method} {route.template} is already routed")
            if known.name == route.name:
                raise ValueError(f"a route is already named {route.name!r}")
        self._routes.append(route)
        return route

    def remove(self, name: str) -> None:
        self._routes = [r for r in self._routes if r.name != name]

    @contextmanager
    def registered(self, route: Route) -> Iterator[Route]:
        """`route` on the table for the duration of the block (tests)."""
        self.add(route)
        try:
            yield route
        finally:
            self.remove(route.name)

    def route(
        self,
        method: str,
        template: str,
        *,
        name: str | None = None,
        request_model: str | None = None,
        local_only: bool = False,
    ) -> Callable[[F], F]:
        """Decorator: register the function as `method template`."""

        def register(function: F) -> F:
            self.add(
                Route(
                    method.upper(),
                    template,
                    name or function.__name__,
                    function,
                    request_model=request_model,
                    local_only=local_only,
                )
            )
            return function

        return register

    def get(self, template: str, **options: Any) -> Callable[[F], F]:
        return self.route("GET", template, **options)

    def post(self, template: str, **options: Any) -> Callable[[F], F]:
        return self.route("POST", template, **options)

    def templates(self, *, local: bool) -> dict[str, dict[str, Route]]:
        """template -> method -> route, in registration order (the gateway's resources)."""
        table: dict[str, dict[str, Route]] = {}
        for route in self._routes:
            if local or not route.local_only:
                table.setdefault(route.template, {})[route.method] = route
        return table

    def match(self, request: Request, *, local: bool) -> tuple[Route, dict[str, str]] | None:
        """The route for a request and its path parameters, or None.

        A template the gateway already matched wins (with its decoded parameters). Otherwise
        the raw path is matched, trailing slash ignored, against every route on its tail: a
        catch-all API Gateway route (`{proxy+}`, `$default`) hands over paths with stage or
        custom-domain base-path prefixes, which must not matter. The raw segments are not
        percent-decoded there, as the Lambda never did.
        """
        candidates = [
            r for r in self._routes if r.method == request.method and (local or not r.local_only)
        ]
        if request.template is not None:
            for route in candidates:
                if route.template == request.template:
                    params = {
                        p: request.path_params[p]
                        for p in route.parameters
                        if isinstance(request.path_params.get(p), str) and request.path_params[p]
                    }
                    if len(params) == len(route.parameters):
                        return route, params
        path = request.path
        if path.endswith("/") and len(path) > 1:
            path = path[:-1]
        segments = path.split("/")
        if segments and segments[0] == "":
            segments = segments[1:]
        for start in range(len(segments)):
            for route in candidates:
                found = route.match(segments[start:], decode=False)
                if found is not None:
                    return route, found
        return None


ROUTER: Final = Router()
"""The API's route table: every edge serves these routes."""


# -- rendering typed results -------------------------------------------------------------------

T = TypeVar("T")
Renderer = Callable[[Any, Request], Response]
_RENDERERS: dict[type | str, Renderer] = {}


def render_as(result_type: type[T] | str) -> Callable[[Callable[[T, Request], Response]], Any]:
    """Decorator: the function that turns a typed handler result into its `Response`.

    `result_type` is a class, or the qualified name of one ("package.module.Class"): a
    generated pydantic model is named, not imported, so that registering its renderer does not
    import pydantic on the Lambda parent's cold start (issue 8).
    """

    def register(function: Callable[[T, Request], Response]) -> Callable[[T, Request], Response]:
        _RENDERERS[result_type] = function
        return function

    return register


def render(result: object, request: Request) -> Response:
    """The Response for what a route function returned."""
    if isinstance(result, Response):
        return result
    for kind in type(result).__mro__:
        renderer = _RENDERERS.get(kind) or _RENDERERS.get(f"{kind.__module__}.{kind.__qualname__}")
        if renderer is not None:
            return renderer(result, request)
    raise TypeError(f"no renderer for a {type(result).__name__} route result")


# -- the resolver ------------------------------------------------------------------------------


def resolve(request: Request, api: Api, *, local: bool, router: Router = ROUTER) -> Response:
    """Route the request, run its route function, render its result, map its exception.

    No route: 404 `not_found` ("No route for METHOD PATH"). An exception the error map
    (`http/errors.py`) knows becomes its documented answer; any other escapes, and each edge
    answers it with its own 500 (the Lambda logs it and names the request id).
    """
    from serverless_sweep.entrypoints.http import errors

    found = router.match(request, local=local)
    if found is None:
        shown = request.path or request.template or ""
        return errors.error(404, "not_found", f"No route for {request.method} {shown}".strip())
    route, params = found
    request = replace(request, template=route.template, path_params=params)
    return respond(request, lambda: route.function(request, api))


def respond(request: Request, produce: Callable[[], object]) -> Response:
    """Run `produce` (a route function, or a handler call for a direct invoke) and answer:
    its result rendered, or its exception through the error map (unmapped ones escape)."""
    from serverless_sweep.entrypoints.http import errors

    try:
        return render(produce(), request)
    except Exception as exc:
        answer = errors.response_for(exc, request)
        if answer is None:
            raise
        return answer


# -- the API's routes ----------------------------------------------------------------------------


@ROUTER.post("/sweep-run", name="submit", request_model="sweep_request")
def submit(request: Request, api: Api) -> object:
    """POST /sweep-run: validate, record and dispatch a sweep (Accepted / AlreadySubmitted)."""
    return api.parent.submit(request.json())


@ROUTER.get("/sweep-run", name="list_runs")
def list_runs(request: Request, api: Api) -> Response:
    """GET /sweep-run: one page of runs, newest first, with their state (RunList);
    query parameters `limit` (1-100) and `next_token` (handlers/run_listing.py)."""
    from serverless_sweep.handlers.run_listing import list_runs as runs_page
    from serverless_sweep.handlers.run_listing import parse_limit

    def last(name: str) -> str | None:
        values = request.query.get(name) or ()
        return values[-1] if values else None

    document = runs_page(
        api.status.store,
        api.status.layout,
        limit=parse_limit(last("limit")),
        next_token=last("next_token"),
        now=api.status.clock.now(),
        lost_after_s=api.status.lost_after_s,
    )
    return Response.json(200, document)


@ROUTER.get("/sweep-run/{run_id}", name="status")
def status(request: Request, api: Api) -> object:
    """GET /sweep-run/{run_id}: the run's status (RunStatus), derived from the store; the body
    comes from the generated checker where it can (no pydantic on a cold start, issue 8)."""
    return Response.json(200, api.status.body(request.param("run_id")))


@ROUTER.post("/sweep-run/{run_id}/redrive", name="redrive")
def redrive(request: Request, api: Api) -> object:
    """POST /sweep-run/{run_id}/redrive: dispatch again the shards without an intact success
    (Accepted / NothingToRedrive)."""
    return api.parent.redrive(request.param("run_id"))


@ROUTER.get("/sweep-run/{run_id}/results", name="results")
def results(request: Request, api: Api) -> object:
    """GET /sweep-run/{run_id}/results: a page of a compacted run's points (handlers/results.py;
    a repeated query parameter counts with its last value)."""
    from serverless_sweep.handlers.results import ResultsHandler

    params = {name: values[-1] for name, values in request.query.items() if values}
    handler = ResultsHandler(api.parent.store, api.parent.layout)
    return Response.json(200, handler.handle(request.param("run_id"), params))


@ROUTER.get("/openapi.json", name="openapi")
def openapi(request: Request, api: Api) -> Response:
    """GET /openapi.json: the generated document with `servers` naming the address the client
    used (the edge puts it in `request.base_url`)."""
    return Response.json(200, openapi_document(request.base_url, sigv4=api.openapi_sigv4))


@ROUTER.get("/schemas/{version}/{name}", name="schema", local_only=True)
def schema(request: Request, api: Api) -> Response:
    """GET /schemas/{version}/{name}: a published JSON Schema by its dotted API name."""
    from serverless_sweep.entrypoints.http.errors import error

    version, name = request.param("version"), request.param("name")
    try:
        if version not in schema_versions():
            raise SchemaNotFoundError(f"unknown schema version {version!r}")
        published = {api_schema_name(n) for n in schema_names(version)}
        if name not in published:
            raise SchemaNotFoundError(
                f"no schema {name!r} in version {version!r}; names are dotted "
                f"(models.ride_hailing.parameters), one of: {', '.join(sorted(published))}"
            )
        document = load_schema(name, version)
    except SchemaNotFoundError as exc:
        return error(404, "not_found", str(exc))
    return Response.json(200, document)


@ROUTER.get("/docs", name="docs", local_only=True)
def docs(request: Request, api: Api) -> Response:
    """GET /docs: Swagger UI over /openapi.json, offline (entrypoints/docs_ui.py)."""
    from serverless_sweep.entrypoints.docs_ui import docs_response

    return docs_response()


@ROUTER.get("/docs/{asset}", name="docs_asset", local_only=True)
def docs_asset(request: Request, api: Api) -> Response:
    """GET /docs/{asset}: a file of the Swagger UI page (its assets, from a pip package)."""
    from serverless_sweep.entrypoints.docs_ui import docs_response

    return docs_response(request.param("asset"))
