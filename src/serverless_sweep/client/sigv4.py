"""SigV4 signing of API requests (the deployed API uses IAM authorization), as an httpx.Auth.

The signature itself is botocore's (`botocore.auth.SigV4Auth`, service `execute-api`): this
module only hands it the request exactly as httpx will send it (method, URL with its
percent-encoded path and query, Host, Content-Type, body) and copies the headers it adds
(`Authorization`, `X-Amz-Date`, and `X-Amz-Security-Token` for temporary credentials) back.
Headers httpx adds on its own (User-Agent, Accept-Encoding, Connection, ...) stay unsigned,
which SigV4 allows; signing them would break as soon as a proxy rewrote one.

Credentials come from botocore's standard chain (environment, shared config and SSO profiles,
`credential_process`, container and instance metadata), read again for every request so that
refreshable (temporary) credentials are renewed by botocore when they near expiry.

botocore is imported only here, and only when SigV4 is asked for: the `client` extra does not
need it, the `sigv4` extra adds it.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import httpx

from serverless_sweep.client.errors import SweepError

SERVICE = "execute-api"
SIGNED_REQUEST_HEADERS = ("host", "content-type")
"""Headers of the outgoing request that are signed (botocore adds X-Amz-Date and the token)."""
ADDED_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")

_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


class SigV4Unavailable(SweepError):
    """SigV4 was asked for but botocore is missing, or no credentials or region were found."""


def region_from_url(url: str) -> str | None:
    """The region in an API Gateway URL (`https://ID.execute-api.REGION.amazonaws.com/...`)."""
    host = httpx.URL(url).host
    match = _EXECUTE_API_HOST.match(host)
    return match.group(1) if match else None


class SigV4Auth(httpx.Auth):
    """httpx authentication that signs each request with SigV4 for API Gateway.

    `credentials` may be any botocore credentials object (with `get_frozen_credentials`, or
    `access_key`/`secret_key`/`token` attributes); by default the standard chain of a botocore
    session for `profile` is used. `region` defaults to the profile's region, then to the one
    in the API's host name.
    """

    requires_request_body = True

    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Any = None,
        api_url: str | None = None,
        service: str = SERVICE,
    ) -> None:
        try:
            import botocore.auth  # type: ignore[import-untyped]
            import botocore.awsrequest  # type: ignore[import-untyped]
            import botocore.session  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - the sigv4 extra is installed in tests
            raise SigV4Unavailable(
                "SigV4 signing needs botocore: pip install 'serverless-sweep[client,sigv4]'"
            ) from exc
        self._auth_module = botocore.auth
        self._request_class = botocore.awsrequest.AWSRequest
        self.service = service
        if credentials is None:
            session = botocore.session.Session(profile=profile)
            credentials = session.get_credentials()
            if credentials is None:
                raise SigV4Unavailable(
                    "no AWS credentials found for SigV4 (standard chain"
                    + (f", profile {profile!r}" if profile else "")
                    + "): run `aws sso login` or `aws login`, or set AWS_PROFILE"
                )
            region = region or session.get_config_variable("region")
        self._credentials = credentials
        region = region or (region_from_url(api_url) if api_url else None)
        if not region:
            raise SigV4Unavailable(
                "no AWS region for SigV4: pass region=..., set AWS_REGION, or use the "
                "API's execute-api URL (which names its region)"
            )
        self.region: str = region

    def frozen_credentials(self) -> Any:
        """The credentials to sign one request with (refreshed by botocore when temporary)."""
        freeze = getattr(self._credentials, "get_frozen_credentials", None)
        return freeze() if callable(freeze) else self._credentials

    def sign(self, request: httpx.Request) -> None:
        """Add the SigV4 headers to `request` (its body must already be read)."""
        headers = {
            name: request.headers[name]
            for name in SIGNED_REQUEST_HEADERS
            if name in request.headers
        }
        aws_request = self._request_class(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers=headers,
        )
        signer = self._auth_module.SigV4Auth(self.frozen_credentials(), self.service, self.region)
        signer.add_auth(aws_request)
        for name in ADDED_HEADERS:
            if name in aws_request.headers:
                request.headers[name] = aws_request.headers[name]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request
