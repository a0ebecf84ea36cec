"""`SweepClient`: the HTTP API of serverless-sweep (deployed or `sweep serve`) from Python.

Every answer is parsed into the generated contract models (`AcceptedResponse`, `RunStatus`,
`RunList`, `ErrorResponse`), so a client sees exactly the documents the OpenAPI document
describes; an error status becomes an `ApiError` subclass (errors.py). Requests are checked
against the published SweepRequest schema before they are sent, so a malformed request fails
at once with every violation named, without a round trip (the API still checks what a schema
cannot express: the point limit, the model's parameter rules, size limits).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, Literal, TextIO, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from serverless_sweep.client.errors import (
    ApiError,
    RequestInvalid,
    TransportError,
    UnexpectedResponse,
    Violation,
    WaitTimeout,
    error_class_for,
)
from serverless_sweep.contracts import (
    AcceptedResponse,
    ErrorResponse,
    ResultsPage,
    RunList,
    RunStatus,
    RunSummary,
    SweepRequest,
    load_schema,
)

__all__ = ["ApiWarning", "SweepClient", "validate_request"]

Model = TypeVar("Model", bound=BaseModel)

DEFAULT_TIMEOUT_S = 30.0
"""Per HTTP request; API Gateway itself gives up after 29 s."""
DEFAULT_POLL_S = 1.0
FINISHED_STATES = frozenset({"succeeded", "failed"})


class ApiWarning(UserWarning):
    """A warning the API returned with an accepted request (an unknown field, ...)."""


_validator_cache: list[Any] = []


def _request_validator() -> Any:
    if not _validator_cache:
        from jsonschema import Draft202012Validator

        schema = load_schema("sweep_request")
        _validator_cache.append(
            Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        )
    return _validator_cache[0]


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def validate_request(request: object) -> None:
    """Raise RequestInvalid naming every violation of the published SweepRequest schema."""
    errors = sorted(
        _request_validator().iter_errors(request), key=lambda e: [str(p) for p in e.absolute_path]
    )
    if not errors:
        return
    details = []
    for error in errors:
        pointer = _pointer(error.absolute_path)
        message = error.message if len(error.message) <= 300 else error.message[:299] + "…"
        details.append(Violation(pointer, str(error.validator), f"{pointer or '/'}: {message}"))
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    raise RequestInvalid(
        f"the request breaks the SweepRequest schema: {details[0].message}{more}", details
    )


def _request_document(request: Mapping[str, Any] | SweepRequest) -> Any:
    if isinstance(request, SweepRequest):
        return request.model_dump(mode="json", exclude_none=True)
    return request


class SweepClient:
    """A client of one API (`api_url`: `http://127.0.0.1:8000` or the deployed stage URL).

    auth: None (the local API), "sigv4" (IAM authorization of the deployed API: credentials
    from the standard AWS chain via botocore, `region`/`profile` to choose), or any httpx.Auth.
    validate: check requests against the published schema before sending them.
    """

    def __init__(
        self,
        api_url: str,
        auth: Literal["sigv4"] | httpx.Auth | None = None,
        *,
        region: str | None = None,
        profile: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        validate: bool = True,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = api_url.strip()
        parsed = httpx.URL(url) if url else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(
                f"api_url must be an http(s) URL such as http://127.0.0.1:8000, got {api_url!r}"
            )
        self.api_url = url.rstrip("/")
        if auth == "sigv4":
            from serverless_sweep.client.sigv4 import SigV4Auth

            auth = SigV4Auth(region=region, profile=profile, api_url=self.api_url)
        elif isinstance(auth, str):
            raise ValueError(f"auth must be None, 'sigv4' or an httpx.Auth, got {auth!r}")
        self.validate = validate
        self._http = httpx.Client(
            auth=auth,
            timeout=timeout,
            headers={"Accept": "application/json", **dict(headers or {})},
            transport=transport,
        )

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SweepClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SweepClient({self.api_url!r})"

    # -- operations -------------------------------------------------------------------------

    def submit(self, request: Mapping[str, Any] | SweepRequest) -> AcceptedResponse:
        """POST /sweep-run: 202 accepted, or 200 already_submitted (same run_id and request).

        Warnings of the answer (unknown fields, "did you mean") are issued as ApiWarning and
        stay in `.warnings`. Raises RequestInvalid before sending a request the schema rejects.
        """
        document = _request_document(request)
        if self.validate:
            validate_request(document)
        body = json.dumps(document, allow_nan=False).encode("utf-8")
        response = self._send(
            "POST", "/sweep-run", content=body, headers={"Content-Type": "application/json"}
        )
        accepted = self._parse(response, AcceptedResponse)
        for message in accepted.warnings or []:
            warnings.warn(message, ApiWarning, stacklevel=2)
        return accepted

    def status(self, run_id: str) -> RunStatus:
        """GET /sweep-run/{run_id}: the run's state (RunNotFound for an unknown run)."""
        return self._parse(self._send("GET", f"/sweep-run/{_segment(run_id)}"), RunStatus)

    def redrive(self, run_id: str) -> AcceptedResponse:
        """POST /sweep-run/{run_id}/redrive: dispatch the shards without a success again."""
        response = self._send("POST", f"/sweep-run/{_segment(run_id)}/redrive")
        return self._parse(response, AcceptedResponse)

    def results(self, run_id: str, **params: str | int) -> ResultsPage:
        """GET /sweep-run/{run_id}/results: one page of a finished run's points (parameters and
        metrics), with `order_by`, `fields`, `limit` and `page_token` as the API takes them."""
        response = self._send(
            "GET",
            f"/sweep-run/{_segment(run_id)}/results",
            params={k: str(v) for k, v in params.items()},
        )
        return self._parse(response, ResultsPage)

    def list_runs(self, *, limit: int | None = None, next_token: str | None = None) -> RunList:
        """GET /sweep-run: one page of runs, newest first; pass `next_token` for the next."""
        params: dict[str, str] = {}
        if limit is not None:
            params["limit"] = str(limit)
        if next_token is not None:
            params["next_token"] = next_token
        return self._parse(self._send("GET", "/sweep-run", params=params), RunList)

    def iter_runs(self, *, page_size: int | None = None) -> Iterator[RunSummary]:
        """Every run, newest first, page after page."""
        token: str | None = None
        while True:
            page = self.list_runs(limit=page_size, next_token=token)
            yield from page.runs
            if not page.next_token:
                return
            token = page.next_token

    def openapi(self) -> dict[str, Any]:
        """The served OpenAPI document (`sweep serve` only; the deployed API has no such route)."""
        document = self._json(self._send("GET", "/openapi.json"))
        if not isinstance(document, dict):
            raise UnexpectedResponse(
                "the OpenAPI document is not an object", status_code=200, body=""
            )
        return document

    def wait(
        self,
        run_id: str,
        *,
        timeout: float | None = None,
        poll_interval: float = DEFAULT_POLL_S,
        progress: bool | None = None,
        stream: TextIO | None = None,
        on_status: Callable[[RunStatus], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> RunStatus:
        """Poll the run's status until it is succeeded or failed; that RunStatus.

        progress: a progress bar on `stream` (default stderr); None shows it only on a terminal.
        timeout: seconds to wait in all (None: no limit); then WaitTimeout carries the last
        status. The run itself goes on either way.
        """
        if poll_interval <= 0:
            raise ValueError("poll_interval must be > 0")
        out = stream if stream is not None else sys.stderr
        bar = ProgressBar(run_id, out, enabled=_isatty(out) if progress is None else progress)
        deadline = None if timeout is None else monotonic() + timeout
        try:
            while True:
                status = self.status(run_id)
                bar.update(status)
                if on_status is not None:
                    on_status(status)
                if status.state in FINISHED_STATES:
                    return status
                if deadline is not None and monotonic() >= deadline:
                    raise WaitTimeout(
                        f"run {run_id!r} is still {status.state} after {timeout:g} s "
                        f"({status.succeeded_shards} of {status.shard_count} shards succeeded); "
                        "it goes on: wait again or look at its status later",
                        status,
                    )
                pause = poll_interval
                if deadline is not None:
                    pause = max(0.0, min(pause, deadline - monotonic()))
                sleep(pause)
        finally:
            bar.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        url = self.api_url + path
        try:
            response = self._http.request(
                method, url, content=content, headers=headers, params=params or None
            )
        except httpx.TimeoutException as exc:
            raise TransportError(f"{method} {url}: no answer in time ({exc})") from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise self._api_error(response)
        return response

    def _json(self, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except (UnicodeDecodeError, ValueError):
            raise self._unexpected(response, "the body is not JSON") from None

    def _parse(self, response: httpx.Response, model: type[Model]) -> Model:
        document = self._json(response)
        try:
            return model.model_validate(document)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            where = _pointer(first.get("loc", ())) or "/"
            raise self._unexpected(
                response, f"the body is not a {model.__name__}: {where}: {first.get('msg')}"
            ) from None

    def _unexpected(self, response: httpx.Response, problem: str) -> UnexpectedResponse:
        request = response.request
        text = response.content[:2000].decode("utf-8", errors="replace")
        return UnexpectedResponse(
            f"{request.method} {request.url} answered {response.status_code}: {problem}",
            status_code=response.status_code,
            body=text,
        )

    def _api_error(self, response: httpx.Response) -> ApiError:
        request = response.request
        error: ErrorResponse | None = None
        message = response.reason_phrase or "error"
        try:
            document = json.loads(response.content)
        except (UnicodeDecodeError, ValueError):
            document = None
        if isinstance(document, dict):
            try:
                error = ErrorResponse.model_validate(document)
                message = error.message
            except PydanticValidationError:
                if isinstance(document.get("message"), str):  # API Gateway's own denials
                    message = document["message"]
        elif response.content:
            message = response.content[:300].decode("utf-8", errors="replace")
        cls = error_class_for(response.status_code)
        return cls(
            response.status_code,
            message,
            error=error,
            request_id=response.headers.get("x-amzn-requestid"),
            method=request.method,
            url=str(request.url),
        )


def _segment(run_id: str) -> str:
    """A run_id as one percent-encoded path segment ('/' is %2F), as the API expects."""
    if not isinstance(run_id, str) or run_id == "":
        raise ValueError("run_id must be a non-empty string")
    return quote(run_id, safe="")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """A one-line progress bar of a run's shards, redrawn in place (terminals only by default).

    The client has no dependency for this (no tqdm in the `client` extra): the line is short
    enough to draw by hand.
    """

    WIDTH = 30

    def __init__(self, run_id: str, stream: TextIO, *, enabled: bool) -> None:
        self.run_id = run_id
        self.stream = stream
        self.enabled = enabled
        self._drawn = False
        self._started = time.monotonic()

    def line(self, status: RunStatus) -> str:
        total = max(status.shard_count, 1)
        done = status.succeeded_shards + status.failed_shards
        filled = round(self.WIDTH * done / total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return (
            f"{self.run_id}: [{bar}] {done}/{status.shard_count} shards "
            f"({status.succeeded_shards} ok, {status.failed_shards} failed, "
            f"{status.pending_shards} pending) {100.0 * status.coverage:.0f}% "
            f"{time.monotonic() - self._started:.0f}s {status.state}"
        )

    def update(self, status: RunStatus) -> None:
        if not self.enabled:
            return
        try:
            self.stream.write("\r\x1b[2K" + self.line(status))
            self.stream.flush()
            self._drawn = True
        except (OSError, ValueError):
            self.enabled = False

    def close(self) -> None:
        if self._drawn:
            try:
                self.stream.write("\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._drawn = False
