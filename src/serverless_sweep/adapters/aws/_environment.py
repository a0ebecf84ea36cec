"""What the AWS HTTP clients read from the environment: credentials, region, endpoint overrides.

Why only the environment (no shared config files, SSO, instance metadata): these clients run in
Lambda, where the execution role's temporary credentials arrive as `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` and the region as `AWS_REGION`; every other
source of botocore's chain would cost start-up time and never apply. Tools that need the full
chain (deploy preflight, profiles) keep using botocore (`_clients.py`). Not covered, because
the deployment uses neither: SnapStart functions (their credentials come from a container
endpoint, not the environment) and HTTP(S) proxies (`HTTPS_PROXY`).

Credentials are read at every request, not once: reading three variables costs nothing next to
a request, and a process whose `AWS_*` variables change (tests, tools switching accounts) signs
with the values it has now, as a fresh botocore session would.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"
"""botocore's fallback for S3 when no region is configured anywhere; Lambda always sets one."""


class NoCredentialsError(Exception):
    """No access key / secret key in the environment: nothing can be signed.

    Named like botocore's exception so records and logs read the same after the switch."""

    def __init__(self) -> None:
        super().__init__(
            "Unable to locate credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(and AWS_SESSION_TOKEN for temporary credentials)"
        )


@dataclass(frozen=True, slots=True)
class Credentials:
    """One set of signing keys; `token` is the session token of temporary credentials."""

    access_key: str
    secret_key: str
    token: str | None = None

    def __repr__(self) -> str:  # never print the secret
        return f"Credentials(access_key={self.access_key!r}, token={'set' if self.token else None})"


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Credentials:
    """The environment's credentials, or NoCredentialsError when the keys are missing."""
    env = os.environ if environ is None else environ
    access_key = env.get("AWS_ACCESS_KEY_ID", "").strip()
    secret_key = env.get("AWS_SECRET_ACCESS_KEY", "").strip()
    if not access_key or not secret_key:
        raise NoCredentialsError()
    token = env.get("AWS_SESSION_TOKEN", "").strip() or None
    return Credentials(access_key, secret_key, token)


def region_from_env(environ: Mapping[str, str] | None = None) -> str:
    """`AWS_REGION` (what Lambda sets), else `AWS_DEFAULT_REGION`, else us-east-1."""
    env = os.environ if environ is None else environ
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = env.get(name, "").strip()
        if value:
            return value
    return DEFAULT_REGION


def endpoint_from_env(
    service_env_suffix: str, environ: Mapping[str, str] | None = None
) -> str | None:
    """`AWS_ENDPOINT_URL_<SUFFIX>`, else `AWS_ENDPOINT_URL`, else None (the real AWS endpoint).

    The same variables botocore honours, read here so that a moto server, LocalStack or MinIO
    is used the same way by both kinds of client."""
    env = os.environ if environ is None else environ
    for name in (f"AWS_ENDPOINT_URL_{service_env_suffix}", "AWS_ENDPOINT_URL"):
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def dns_suffix(region: str) -> str:
    """The partition's domain: amazonaws.com, or amazonaws.com.cn for the China regions."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
