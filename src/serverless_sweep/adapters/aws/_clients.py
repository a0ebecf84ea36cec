"""How the AWS adapters build their boto3 clients: one place for retries, timeouts, endpoints.

Why a shared factory instead of a bare `boto3.client(...)`:

* retries use botocore's *standard* mode (exponential backoff with jitter, throttling and
  transient 5xx retried, a retry quota), not the legacy default;
* connect and read timeouts are explicit and short enough that a stuck connection fails inside
  a Lambda invocation (and is recorded) instead of eating the whole time budget;
* the endpoint can be redirected for local testing (moto server, LocalStack, MinIO) with the
  standard `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` variables. Recent botocore honours
  them too; reading them here makes the behaviour explicit and independent of the botocore
  version the Lambda runtime happens to ship.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]

DEFAULT_MAX_ATTEMPTS = 5
"""Total attempts (first try + retries) per API call, standard retry mode."""


def endpoint_from_env(
    service_env_suffix: str, environ: Mapping[str, str] | None = None
) -> str | None:
    """`AWS_ENDPOINT_URL_<SUFFIX>`, else `AWS_ENDPOINT_URL`, else None (the real AWS endpoint)."""
    env = os.environ if environ is None else environ
    for name in (f"AWS_ENDPOINT_URL_{service_env_suffix}", "AWS_ENDPOINT_URL"):
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def client_config(
    *,
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Config:
    """A botocore Config with standard retries and explicit timeouts."""
    return Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )


def make_client(
    service: str,
    *,
    endpoint_env_suffix: str,
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    endpoint_url: str | None = None,
    region_name: str | None = None,
) -> Any:
    """A boto3 client for `service` (typed Any: boto3 clients are generated at runtime)."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url or endpoint_from_env(endpoint_env_suffix),
        region_name=region_name,
        config=client_config(
            connect_timeout=connect_timeout, read_timeout=read_timeout, max_attempts=max_attempts
        ),
    )
