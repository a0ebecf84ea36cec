"""The client factory's shared botocore session (adapters/aws/_clients.py).

Clients share one session while the `AWS_*` environment is unchanged (the Lambda case: the
parent's S3 and Lambda clients register botocore's event handlers once); any change of it gets
a fresh session, so a client built afterwards signs with the credentials of the environment as
it is then. Checked against the moto server: the Authorization header moto receives names the
access key the client resolved.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from serverless_sweep.adapters.aws import _clients
from serverless_sweep.adapters.aws.s3_store import make_s3_client


def _signed_access_key(client: Any, bucket: str) -> str:
    """The access key of the SigV4 signature the client sent for one real request."""
    seen: list[str] = []

    def capture(request: Any, **_: Any) -> None:
        value = request.headers["Authorization"]
        seen.append(value.decode() if isinstance(value, bytes) else value)

    client.meta.events.register("before-send.s3.*", capture)
    client.list_objects_v2(Bucket=bucket)
    credential = seen[-1].split("Credential=", 1)[1]
    return credential.split("/", 1)[0]


def test_clients_share_one_session_until_the_aws_environment_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _clients.shared_session()
    assert _clients.shared_session() is first
    monkeypatch.setenv("SWEEP_UNRELATED", "x")  # not an AWS_ variable: same session
    assert _clients.shared_session() is first
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", f"AKIA{uuid.uuid4().hex[:12].upper()}")
    second = _clients.shared_session()
    assert second is not first
    assert _clients.shared_session() is second


def test_a_client_built_after_a_credentials_change_signs_with_the_new_keys(
    monkeypatch: pytest.MonkeyPatch, bucket: str
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFIRSTFIRSTFIRST0")
    before = make_s3_client()
    assert _signed_access_key(before, bucket) == "AKIAFIRSTFIRSTFIRST0"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASECONDSECONDSEC0")
    after = make_s3_client()
    assert _signed_access_key(after, bucket) == "AKIASECONDSECONDSEC0"
    # the earlier client keeps its own credentials
    assert _signed_access_key(before, bucket) == "AKIAFIRSTFIRSTFIRST0"


def test_clients_built_from_many_threads_at_once_all_work(bucket: str) -> None:
    """botocore sessions are not thread-safe: the factory builds one client at a time."""
    clients: list[Any] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            clients.append(make_s3_client())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(clients) == 8
    for client in clients:
        assert client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
