"""How botocore clients are built, for tools and tests that want botocore: one place for
retries, timeouts, endpoints.

The Lambda handlers do not use this module any more (issue 8): their S3 and Lambda clients are
`s3_http.S3HttpClient` and `lambda_http.LambdaHttpClient`, signed HTTP over the standard library
with the same retry and timeout rules. What follows is why the botocore factory looks as it does.

Why a shared factory instead of a bare `boto3.client(...)`:

* retries use botocore's *standard* mode (exponential backoff with jitter, throttling and
  transient 5xx retried, a retry quota), not the legacy default -- or are off (one attempt)
  for a caller that backs off itself, like the dispatcher's Lambda invokes;
* the connection pool can be sized to the number of threads sharing a client;
* connect and read timeouts are explicit and short enough that a stuck connection fails inside
  a Lambda invocation (and is recorded) instead of eating the whole time budget;
* the endpoint can be redirected for local testing (moto server, LocalStack, MinIO) with the
  standard `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` variables. Recent botocore honours
  them too; reading them here makes the behaviour explicit and independent of the botocore
  version the Lambda runtime happens to ship;
* cold start (issue 8): clients come from botocore itself, not `boto3.client`. Importing boto3
  imports s3transfer (and with it multiprocessing, concurrent.futures, ...) for managed
  transfers these adapters never use: about 40 ms of a Lambda cold start. Clients share one
  botocore session while the process's `AWS_*` environment stays the same (in Lambda: always),
  so the service models and endpoint files are parsed once per process and the session's ~300
  event handlers are registered once (a second session cost the parent ~15 ms). A change of any
  `AWS_*` variable (credentials, profile, config file, region) gets a fresh session, so a client
  built afterwards resolves its credentials from the environment as it is then (like a fresh
  `boto3.client` after `boto3.DEFAULT_SESSION = None`); tests and tools that switch credentials
  between clients see the switch. Every session shares one data loader. botocore is imported on
  the first client, not with this module: the exception mappers import only
  `botocore.exceptions`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serverless_sweep.adapters.aws._environment import endpoint_from_env

__all__ = ["client_config", "endpoint_from_env", "make_client", "new_session", "shared_session"]

if TYPE_CHECKING:
    from botocore.config import Config  # type: ignore[import-untyped]

DEFAULT_MAX_ATTEMPTS = 5
"""Total attempts (first try + retries) per API call, standard retry mode."""

DEFAULT_MAX_POOL_CONNECTIONS = 10
"""botocore's own default: enough for the store's few concurrent calls per invocation."""


def client_config(
    *,
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
) -> Config:
    """A botocore Config with standard retries, explicit timeouts and a sized connection pool.

    `max_attempts` counts the first try too (botocore's `total_max_attempts`; its own
    `max_attempts` key counts retries only, one off from what the name suggests): 1 turns
    botocore's retries off, for callers that back off themselves. `max_pool_connections` should
    match the number of threads sharing the client, else they queue for a connection (and
    urllib3 warns "Connection pool is full, discarding connection").
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts counts the first try and must be >= 1, got {max_attempts}")
    if max_pool_connections < 1:
        raise ValueError(f"max_pool_connections must be >= 1, got {max_pool_connections}")
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=max_pool_connections,
    )


def make_client(
    service: str,
    *,
    endpoint_env_suffix: str,
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
    endpoint_url: str | None = None,
    region_name: str | None = None,
) -> Any:
    """A botocore client for `service` (typed Any: the clients are generated at runtime).

    The same client `boto3.client(service, ...)` returns, from a fresh botocore session that
    shares this process's data loader (see the module docstring).
    """
    config = client_config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_attempts=max_attempts,
        max_pool_connections=max_pool_connections,
    )
    with _session_lock:  # botocore sessions are not thread-safe: one client at a time
        return shared_session().create_client(
            service,
            endpoint_url=endpoint_url or endpoint_from_env(endpoint_env_suffix),
            region_name=region_name,
            config=config,
        )


_loader_lock = threading.Lock()
_loader: Any = None
_session_lock = threading.RLock()
_session: tuple[tuple[tuple[str, str], ...], Any] | None = None


def aws_environment(environ: Mapping[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """The `AWS_*` variables of the environment, sorted: what a botocore session reads."""
    env = os.environ if environ is None else environ
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith("AWS_")))


def shared_session() -> Any:
    """The process's botocore session for the current `AWS_*` environment (see the module
    docstring): the same one while that environment is unchanged, a fresh one after any
    change (thread-safe)."""
    global _session
    key = aws_environment()
    with _session_lock:
        if _session is None or _session[0] != key:
            _session = (key, new_session())
        return _session[1]


def new_session() -> Any:
    """A botocore session reading the process-wide shared data loader (thread-safe).

    botocore's Loader caches what it has loaded (service models, endpoint rule sets, the
    endpoints and partitions files) per instance, so sharing it makes the second and later
    clients of a service cheap; a session's credentials, config files and event handlers stay
    its own.
    """
    global _loader
    import botocore.session  # type: ignore[import-untyped]

    session = botocore.session.Session()
    with _loader_lock:
        if _loader is None:
            _loader = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _loader)
    return session
