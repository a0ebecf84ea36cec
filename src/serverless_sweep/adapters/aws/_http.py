"""HTTP transport of the AWS clients: pooled keep-alive connections over `http.client`.

Why not urllib3 (what botocore uses): it is one of the imports the cold start pays for, and
the adapters need little of it. What they do need, and what this module provides:

* explicit connect and read timeouts, so a stuck connection fails inside a Lambda invocation
  (and is recorded) instead of eating its whole time budget;
* keep-alive connections shared by threads (the dispatcher invokes from up to 64 threads): a
  pool per endpoint of at most `maxsize` idle connections. A thread takes one for the length of
  a request and gives it back; more concurrent requests than `maxsize` open extra connections
  that are closed afterwards (`discarded`, urllib3's "pool is full"), so the pool should be as
  large as the number of threads. A pool, not a connection per thread, because the dispatcher's
  worker threads come and go with each dispatch job, and connections outlive them;
* an idle connection the server has closed is noticed before it is reused (a zero-timeout
  `select`, as urllib3 does) instead of failing the next request;
* failures as exceptions that say whether the request may have reached the service
  (`in_doubt`), named like botocore's (EndpointConnectionError, ConnectTimeoutError,
  ReadTimeoutError, ConnectionClosedError) so dispatch records and logs read as before.
"""

from __future__ import annotations

import http.client
import select
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

USER_AGENT = "serverless-sweep (stdlib http.client)"


class TransportError(Exception):
    """No valid HTTP answer. `in_doubt`: the request was sent, so it may have taken effect."""

    in_doubt = False

    def __init__(self, url: str, detail: str = "") -> None:
        text = self.describe(url)
        super().__init__(f"{text}: {detail}" if detail else text)
        self.url = url
        self.attempts = 1

    @classmethod
    def describe(cls, url: str) -> str:
        return f'Request to endpoint URL "{url}" failed'


class EndpointConnectionError(TransportError):
    """The connection could not be opened (refused, DNS, TLS): nothing was sent."""

    @classmethod
    def describe(cls, url: str) -> str:
        return f'Could not connect to the endpoint URL: "{url}"'


class ConnectTimeoutError(EndpointConnectionError):
    """The connection was not established within the connect timeout: nothing was sent."""

    @classmethod
    def describe(cls, url: str) -> str:
        return f'Connect timeout on endpoint URL: "{url}"'


class ReadTimeoutError(TransportError):
    """The request was sent and no answer came within the read timeout."""

    in_doubt = True

    @classmethod
    def describe(cls, url: str) -> str:
        return f'Read timeout on endpoint URL: "{url}"'


class ConnectionClosedError(TransportError):
    """The connection was reset or closed after the request was (perhaps partly) sent."""

    in_doubt = True

    @classmethod
    def describe(cls, url: str) -> str:
        return (
            f'Connection was closed before we received a valid response from endpoint URL: "{url}"'
        )


@dataclass(frozen=True, slots=True)
class Response:
    """A complete HTTP answer; header names are lower-case."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go: scheme, host and port, the Host header, an optional base path."""

    scheme: str
    host: str
    port: int
    base_path: str = ""

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"endpoint URL must be http(s)://host[:port], got {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))

    @property
    def host_header(self) -> str:
        """The Host header (and what is signed): the port only when it is not the default."""
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    def url(self, target: str) -> str:
        return f"{self.scheme}://{self.host_header}{target}"


class ConnectionPool:
    """Keep-alive connections to one endpoint (see the module docstring); thread-safe."""

    def __init__(
        self, endpoint: Endpoint, *, maxsize: int, connect_timeout: float, read_timeout: float
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"max_pool_connections must be >= 1, got {maxsize}")
        self.endpoint = endpoint
        self.maxsize = maxsize
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.created = 0
        self.reused = 0
        self.discarded = 0
        """Connections closed because the pool already held `maxsize` idle ones."""

    def send(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        """One request on a pooled connection; raises a TransportError on failure."""
        url = self.endpoint.url(target)
        connection = self._acquire(url)
        try:
            assert connection.sock is not None
            connection.sock.settimeout(self.read_timeout)
            connection.request(method, target, body=body or None, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        except TimeoutError as exc:
            connection.close()
            raise ReadTimeoutError(url, str(exc) or "timed out") from exc
        except (http.client.HTTPException, OSError) as exc:
            connection.close()
            raise ConnectionClosedError(url, f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            connection.close()
            raise
        response = Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)
        if answer.will_close:
            connection.close()
        else:
            self._release(connection)
        return response

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _acquire(self, url: str) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                break
            if _is_dropped(connection):
                connection.close()
                continue
            with self._lock:
                self.reused += 1
            return connection
        connection = self._new_connection()
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise ConnectTimeoutError(url, str(exc) or "timed out") from exc
        except OSError as exc:
            connection.close()
            raise EndpointConnectionError(url, f"{type(exc).__name__}: {exc}") from exc
        with self._lock:
            self.created += 1
        return connection

    def _release(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self.maxsize:
                self._idle.append(connection)
                return
            self.discarded += 1
        connection.close()

    def _new_connection(self) -> http.client.HTTPConnection:
        endpoint = self.endpoint
        if endpoint.scheme == "https":
            return http.client.HTTPSConnection(
                endpoint.host, endpoint.port, timeout=self.connect_timeout, context=_tls_context()
            )
        return http.client.HTTPConnection(
            endpoint.host, endpoint.port, timeout=self.connect_timeout
        )


def _is_dropped(connection: http.client.HTTPConnection) -> bool:
    """An idle connection that is readable has been closed by the server (or is out of sync)."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


_tls_lock = threading.Lock()
_tls: Any = None


def _tls_context() -> Any:
    """One default TLS context per process (certificate checks on): building one loads the
    system's CA bundle, which costs milliseconds."""
    global _tls
    with _tls_lock:
        if _tls is None:
            import ssl  # already imported by http.client; here for its name

            _tls = ssl.create_default_context()
        return _tls


__all__ = [
    "USER_AGENT",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "ConnectionPool",
    "Endpoint",
    "EndpointConnectionError",
    "ReadTimeoutError",
    "Response",
    "TransportError",
]
