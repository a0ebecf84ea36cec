"""A fault-injecting HTTP forwarding proxy on loopback, in front of a moto server.

Why: the AWS adapters and the dispatcher must survive what the real services do under load
(added latency, 5xx answers, Lambda throttling, connection resets), and the standards ask for
real parts: a real botocore client talking real HTTP to a real (moto) server. This proxy sits
between the two and injects those faults, with AWS's own error shapes, so botocore parses them
exactly as it would parse AWS's answers:

* S3: ``503 ServiceUnavailable`` (error) and ``503 SlowDown`` (throttle), XML error body;
* Lambda: ``500 ServiceException`` (error) and ``429 TooManyRequestsException`` (throttle), the
  JSON error body with the ``x-amzn-ErrorType`` header;
* connection resets (TCP RST, SO_LINGER 0) for any service;
* added latency (``latency_ms`` plus up to ``jitter_ms``) before a request is forwarded.

Every request is logged (`ProxyRequest`: method, path, service, target function, invocation
type, body, what was injected, what upstream answered), so a test can count how many times each
shard reached Lambda: ``proxy.invoked_payloads()``.

Decisions are seeded and do not depend on thread scheduling: the fate of a request is a hash of
(seed, method, path, body, attempt number of that identical request), so "shard 17's first
invoke is throttled, its retry goes through" holds on every run whatever the concurrency.
``max_consecutive_faults`` bounds how often the same request can fail in a row, so a client
with a finite retry budget still makes progress.

A fault can be injected *before* forwarding (the service never saw the request) or *after*
(``phase="after"``: the service did the work, its answer is replaced by a 5xx or a reset): the
second is the in-doubt case a dispatcher must account for.

``pause_after`` holds matching requests once that many were forwarded (a kill test can then
SIGKILL its subprocess at a known point); ``release()`` lets them through.

Bounded and safe: it binds 127.0.0.1 on an ephemeral port, refuses a non-loopback upstream,
caps concurrent connections, request bodies and the log, and shuts itself down after
``max_lifetime_s`` even if a test forgets to stop it (use it as a context manager).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import ipaddress
import json
import socket
import struct
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

Fault = Literal["none", "error", "throttle", "reset"]
Phase = Literal["before", "after"]

MAX_BODY_BYTES = 64 * 1024 * 1024
"""Larger request bodies are refused with 413 (Lambda's own limit is far below this)."""

MAX_CONNECTIONS = 512
"""Concurrent client connections; more wait in the listen backlog."""

MAX_LOG_ENTRIES = 1_000_000
"""The log stops growing past this (and says so in `log_truncated`)."""

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
_LAMBDA_PATH_PREFIXES = ("/2015-03-31/functions/", "/2014-11-13/functions/")


@dataclass(frozen=True)
class FaultPlan:
    """What to inject, as fractions of the matching requests (they must add up to <= 1).

    `error_rate`: 5xx answers; `throttle_rate`: 429 (Lambda) / 503 SlowDown (S3);
    `reset_rate`: connection resets. `phase` says whether errors and resets happen before the
    request is forwarded or after upstream answered (throttling is always "before": a
    throttled Lambda invoke is never queued). `services` limits faults (and latency) to those
    services (from the SigV4 credential scope); `match`, when given, narrows further.
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    reset_rate: float = 0.0
    phase: Phase = "before"
    seed: int = 0
    max_consecutive_faults: int | None = None
    services: frozenset[str] = frozenset({"s3", "lambda"})
    match: Callable[[ProxyRequest], bool] | None = None

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.throttle_rate, self.reset_rate)
        if any(r < 0 for r in rates) or sum(rates) > 1.0:
            raise ValueError(f"fault rates must be >= 0 and add up to <= 1, got {rates}")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms must be >= 0")
        if self.phase not in ("before", "after"):
            raise ValueError(f"phase must be 'before' or 'after', got {self.phase!r}")


@dataclass
class ProxyRequest:
    """One request the proxy received, and what became of it."""

    index: int
    method: str
    path: str
    service: str
    body: bytes
    function: str | None = None
    """Lambda Invoke: the target function (name or ARN, URL-decoded); None otherwise."""
    invocation_type: str | None = None
    """Lambda Invoke: the X-Amz-Invocation-Type header ("Event", "RequestResponse")."""
    attempt: int = 0
    """How many identical requests (same method, path and body) came before this one."""
    fault: Fault = "none"
    phase: Phase = "before"
    latency_s: float = 0.0
    status: int | None = None
    """What the client got (None: the connection was reset)."""
    upstream_status: int | None = None
    """What moto answered (None: not forwarded)."""
    headers: dict[str, str] = field(default_factory=dict)
    connection: int = 0
    """Which client connection carried it (numbered from 1): how well a client's pool reuses."""
    received_at: float = 0.0
    """time.monotonic() when the proxy had read the request."""
    answered_at: float | None = None
    """time.monotonic() when upstream's answer arrived (None: not forwarded)."""

    @property
    def payload_bytes(self) -> int:
        return len(self.body)

    @property
    def is_invoke(self) -> bool:
        return self.function is not None

    @property
    def reached_upstream(self) -> bool:
        """The service saw it and accepted it (2xx), whatever the client was told."""
        return self.upstream_status is not None and 200 <= self.upstream_status < 300

    def json(self) -> Any:
        return json.loads(self.body)


class FaultProxy:
    """A threaded forwarding proxy on 127.0.0.1 (ephemeral port) in front of `upstream`."""

    def __init__(
        self,
        upstream: str,
        plan: FaultPlan | None = None,
        *,
        max_lifetime_s: float = 300.0,
        upstream_timeout_s: float = 30.0,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"upstream must be http://host:port, got {upstream!r}")
        if not _is_loopback(parts.hostname):
            raise ValueError(f"upstream must be on loopback, got {parts.hostname!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port
        self.upstream_timeout_s = upstream_timeout_s
        self.max_lifetime_s = max_lifetime_s
        self._plan = plan or FaultPlan()
        # Reentrant: a `wait_until` predicate may read properties that take the lock too.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._log: list[ProxyRequest] = []
        self._received = 0
        self.log_truncated = False
        self._attempts: Counter[str] = Counter()
        self._consecutive: Counter[str] = Counter()
        self._forwarded_matching = 0
        self._pause_after: int | None = None
        self._pause_match: Callable[[ProxyRequest], bool] | None = None
        self._drop_held = False
        self._holding = 0
        self._released = threading.Event()
        self._released.set()
        self._stopped = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.proxy = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._timer = threading.Timer(self.max_lifetime_s, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving (idempotent); held requests are released and reset."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._released.set()
        if self._timer is not None:
            self._timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    # -- configuration ----------------------------------------------------------------------------
    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def set_plan(self, plan: FaultPlan | None = None, **changes: Any) -> None:
        """Replace the plan (or change some of its fields); applies to requests from now on."""
        with self._lock:
            self._plan = replace(plan or self._plan, **changes)

    def pause_after(
        self, count: int | None, match: Callable[[ProxyRequest], bool] | None = None
    ) -> None:
        """Hold every matching request once `count` of them were forwarded (None: never).

        `match` says which requests count and are held; by default those the plan matches.
        """
        with self._lock:
            self._pause_after = count
            self._pause_match = match
            self._forwarded_matching = 0
            self._drop_held = False
            if count is None:
                self._released.set()
            else:
                self._released.clear()

    def release(self, *, drop: bool = False) -> None:
        """Stop holding; held requests go on to upstream, or (`drop`) get a connection reset.

        `drop` is what a client that died while its requests were held should see: none of
        them reaches the service.
        """
        with self._lock:
            self._pause_after = None
            self._drop_held = drop
        self._released.set()

    @property
    def held(self) -> int:
        """How many requests are being held right now."""
        with self._lock:
            return self._holding

    # -- the log ----------------------------------------------------------------------------------
    @property
    def log(self) -> list[ProxyRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()
            self.log_truncated = False

    def invokes(self, function: str | None = None) -> list[ProxyRequest]:
        """Lambda Invoke requests received (any outcome), optionally for one function."""
        return [
            r
            for r in self.log
            if r.is_invoke and (function is None or _same_function(r.function, function))
        ]

    def invoked_payloads(self, function: str | None = None) -> list[Any]:
        """The JSON payloads of the invokes Lambda accepted: one per event queued."""
        return [r.json() for r in self.invokes(function) if r.reached_upstream]

    def wait_until(self, predicate: Callable[[list[ProxyRequest]], bool], timeout: float) -> bool:
        """Block until `predicate(log)` holds (checked on every new entry) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self._log):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.2))
            return True

    # -- per-request machinery (called by the handler threads) ------------------------------------
    def _admit(self, entry: ProxyRequest) -> bool:
        """Log `entry` and decide its fault; answer whether the plan in force matched it."""
        with self._changed:
            plan = self._plan
            entry.index = self._received
            self._received += 1
            key = _request_key(entry)
            entry.attempt = self._attempts[key]
            self._attempts[key] += 1
            matched = _matches(plan, entry)
            if matched:
                entry.fault = _decide(plan, key, entry.attempt)
                limit = plan.max_consecutive_faults
                if entry.fault != "none" and limit is not None and self._consecutive[key] >= limit:
                    entry.fault = "none"
                self._consecutive[key] = self._consecutive[key] + 1 if entry.fault != "none" else 0
                entry.phase = "before" if entry.fault == "throttle" else plan.phase
                entry.latency_s = _latency(plan, key, entry.attempt)
            if len(self._log) < MAX_LOG_ENTRIES:
                self._log.append(entry)
            else:
                self.log_truncated = True
            self._changed.notify_all()
            return matched

    def _hold_if_paused(self, entry: ProxyRequest, matched: bool) -> bool:
        """Wait while paused; answer False when the request must be dropped instead."""
        with self._lock:
            pause_match = self._pause_match
        if pause_match is not None:
            matched = entry.service != "moto-api" and pause_match(entry)
        if not matched:
            return True
        waiting = False
        try:
            while True:
                with self._lock:
                    limit = self._pause_after
                    if limit is None or self._forwarded_matching < limit:
                        self._forwarded_matching += 1
                        return True
                    if not waiting:
                        waiting = True
                        self._holding += 1
                        self._changed.notify_all()
                self._released.wait(0.5)
                if self._stopped.is_set() or self._drop_held:
                    return False
        finally:
            if waiting:
                with self._lock:
                    self._holding -= 1

    def _updated(self) -> None:
        with self._changed:
            self._changed.notify_all()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    proxy: FaultProxy

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._connections = 0
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def next_connection_number(self) -> int:
        with self._connections_lock:
            self._connections += 1
            return self._connections

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (reset, closed early) is normal here: say nothing."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class _Reset(Exception):
    """The handler reset the connection: nothing more may be written to it."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like botocore's urllib3 pool expects
    server: _Server
    _upstream: http.client.HTTPConnection | None = None
    _connection_number = 0

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the proxy's log is `FaultProxy.log`, not stderr."""

    def do_GET(self) -> None:
        self._proxy()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def setup(self) -> None:
        super().setup()
        self._connection_number = self.server.next_connection_number()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except _Reset:
            self.close_connection = True

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        if self._upstream is not None:
            self._upstream.close()

    def _proxy(self) -> None:
        proxy = self.server.proxy
        body = self._read_body()
        if body is None:
            return
        entry = _describe(self.command, self.path, dict(self.headers.items()), body)
        entry.connection = self._connection_number
        entry.received_at = time.monotonic()
        matched = proxy._admit(entry)
        if entry.latency_s:
            time.sleep(entry.latency_s)
        if entry.fault != "none" and entry.phase == "before":
            self._inject(entry)
            proxy._updated()
            return
        if not proxy._hold_if_paused(entry, matched):
            self._reset(entry)
            return
        try:
            status, headers, payload = self._forward(body)
        except (OSError, http.client.HTTPException):
            entry.fault = "reset"
            self._reset(entry)
            return
        entry.upstream_status = status
        entry.answered_at = time.monotonic()
        if entry.fault != "none":  # phase "after": upstream did the work, the answer is lost
            self._inject(entry)
            proxy._updated()
            return
        self._answer(entry, status, headers, payload)
        proxy._updated()

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    self._too_large()
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._too_large()
            return None
        return self.rfile.read(length) if length else b""

    def _too_large(self) -> None:
        self.close_connection = True
        self._send(413, {"Content-Type": "text/plain"}, b"request body too large for the proxy\n")

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        proxy = self.server.proxy
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        while True:
            reused = self._upstream is not None
            connection = self._upstream or http.client.HTTPConnection(
                proxy.upstream_host, proxy.upstream_port, timeout=proxy.upstream_timeout_s
            )
            self._upstream = connection
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                out = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
                if response.will_close:
                    connection.close()
                    self._upstream = None
                return response.status, out, payload
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # Only a kept-alive connection that moto closed while idle is retried (once, on
                # a fresh one); anything else, or on a fresh connection, is the client's reset.
                connection.close()
                self._upstream = None
                if not reused:
                    raise
            except (OSError, http.client.HTTPException):
                connection.close()
                self._upstream = None
                raise

    def _answer(
        self, entry: ProxyRequest, status: int, headers: list[tuple[str, str]], payload: bytes
    ) -> None:
        entry.status = status
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _inject(self, entry: ProxyRequest) -> None:
        if entry.fault == "reset":
            self._reset(entry)
        status, headers, payload = _error_response(entry)
        entry.status = status
        self._send(status, headers, payload)

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _reset(self, entry: ProxyRequest) -> None:
        """Answer with a TCP RST (SO_LINGER 0, then close): what a dropped connection looks like."""
        entry.status = None
        self.server.proxy._updated()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        raise _Reset


def _describe(method: str, path: str, headers: dict[str, str], body: bytes) -> ProxyRequest:
    lower = {k.lower(): v for k, v in headers.items()}
    service = _service_of(lower.get("authorization", ""), path)
    entry = ProxyRequest(
        index=0, method=method, path=path, service=service, body=body, headers=headers
    )
    route = urlsplit(path).path
    if service == "lambda" and route.startswith(_LAMBDA_PATH_PREFIXES):
        rest = route.split("/functions/", 1)[1]
        name, _, tail = rest.partition("/")
        if method == "POST" and tail.rstrip("/") in ("invocations", "invoke-async"):
            entry.function = unquote(name)
            default = "Event" if tail.startswith("invoke-async") else "RequestResponse"
            entry.invocation_type = lower.get("x-amz-invocation-type") or default
    return entry


def _service_of(authorization: str, path: str) -> str:
    """The service from the SigV4 credential scope (.../<region>/<service>/aws4_request)."""
    if path.startswith("/moto-api"):
        return "moto-api"
    marker = "Credential="
    if marker in authorization:
        scope = authorization.split(marker, 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 5:
            return scope[3]
    return "unknown"


def _request_key(entry: ProxyRequest) -> str:
    digest = hashlib.sha256()
    for part in (entry.method.encode(), entry.path.encode(), entry.body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _uniform(seed: int, key: str, attempt: int, salt: str) -> float:
    raw = hashlib.sha256(f"{seed}:{salt}:{attempt}:{key}".encode()).digest()
    return int.from_bytes(raw[:8], "big") / 2**64


def _decide(plan: FaultPlan, key: str, attempt: int) -> Fault:
    u = _uniform(plan.seed, key, attempt, "fault")
    if u < plan.error_rate:
        return "error"
    if u < plan.error_rate + plan.throttle_rate:
        return "throttle"
    if u < plan.error_rate + plan.throttle_rate + plan.reset_rate:
        return "reset"
    return "none"


def _latency(plan: FaultPlan, key: str, attempt: int) -> float:
    jitter = plan.jitter_ms * _uniform(plan.seed, key, attempt, "latency")
    return (plan.latency_ms + jitter) / 1000.0


def _matches(plan: FaultPlan, entry: ProxyRequest) -> bool:
    if entry.service not in plan.services:
        return False
    return plan.match is None or plan.match(entry)


def _error_response(entry: ProxyRequest) -> tuple[int, dict[str, str], bytes]:
    """AWS's own error answer for the injected fault, in the service's protocol."""
    request_id = str(uuid.uuid4())
    if entry.service == "s3":
        code, message = (
            ("SlowDown", "Please reduce your request rate.")
            if entry.fault == "throttle"
            else ("ServiceUnavailable", "Service is unable to handle request.")
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>fault-proxy</HostId></Error>"
        ).encode()
        return 503, {"Content-Type": "application/xml", "x-amz-request-id": request_id}, body
    if entry.fault == "throttle":
        status, code = 429, "TooManyRequestsException"
        document: dict[str, Any] = {
            "Type": "User",
            "message": "Rate Exceeded.",
            "Reason": "CallerRateLimitExceeded",
        }
    else:
        status, code = 500, "ServiceException"
        document = {"Type": "Service", "message": "An internal error occurred (fault proxy)."}
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": code,
        "x-amzn-RequestId": request_id,
    }
    if status == 429:
        headers["Retry-After"] = "1"
    return status, headers, json.dumps(document).encode()


def _same_function(seen: str | None, wanted: str) -> bool:
    return seen is not None and _function_name(seen) == _function_name(wanted)


def _function_name(name_or_arn: str) -> str:
    """`arn:aws:lambda:region:account:function:NAME[:qualifier]`, or `NAME[:qualifier]` -> NAME."""
    parts = name_or_arn.split(":")
    return parts[6] if name_or_arn.startswith("arn:") and len(parts) > 6 else parts[0]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def fault_proxy(
    upstream: str, plan: FaultPlan | None = None, **kwargs: Any
) -> Iterator[FaultProxy]:
    """`with fault_proxy(moto_url, FaultPlan(...)) as proxy:` -- started, always stopped."""
    proxy = FaultProxy(upstream, plan, **kwargs)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
