"""An injected botocore/boto3 S3 client behind the same four operations as `S3HttpClient`.

Why keep it: the Lambda handlers use `S3HttpClient` (no botocore, issue 8), but tools running
in the dev environment may hand the store a boto3 client they already have, and tests use
botocore's Stubber for answers moto cannot give (409 ConditionalRequestConflict). Both kinds
then reach `S3ObjectStore` as the same answers: `AwsErrorAnswer` for an S3 error (with
`attempts` from botocore's RetryAttempts), `ParamValidationError` for a refused parameter,
`SdkError` for everything else botocore raises (timeouts, connection errors, no credentials).

botocore is imported when an operation fails, never with this module: the store imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from serverless_sweep.adapters.aws._service import (
    ParamValidationError,
    SdkError,
    answer_from_client_error,
)
from serverless_sweep.adapters.aws.s3_http import ListPage
from serverless_sweep.handlers.ports import StoreError

T = TypeVar("T")


def is_botocore_client(client: object) -> bool:
    """botocore clients (and stand-ins for them) carry botocore's `meta` object."""
    return hasattr(client, "meta")


class BotocoreS3:
    """The four S3 operations over a botocore client (see the module docstring)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._conditional_writes_checked = False

    def get_object(self, bucket: str, key: str) -> bytes:
        def call() -> bytes:
            response = self.client.get_object(Bucket=bucket, Key=key)
            body: bytes = response["Body"].read()
            return body

        return _translated(call)

    def head_object(self, bucket: str, key: str) -> dict[str, str]:
        def call() -> dict[str, str]:
            response = self.client.head_object(Bucket=bucket, Key=key)
            headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            return {str(k).lower(): str(v) for k, v in headers.items()}

        return _translated(call)

    def put_object(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_none_match: str | None = None,
        server_side_encryption: str | None = None,
    ) -> dict[str, str]:
        params: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "Body": bytes(body),
            "ContentType": content_type,
        }
        if server_side_encryption:
            params["ServerSideEncryption"] = server_side_encryption
        if if_none_match is not None:
            self._check_conditional_writes_supported(bucket, key)
            params["IfNoneMatch"] = if_none_match
        _translated(lambda: self.client.put_object(**params))
        return {}

    def list_objects_v2(
        self,
        bucket: str,
        *,
        prefix: str = "",
        max_keys: int = 1000,
        continuation_token: str | None = None,
    ) -> ListPage:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": max_keys}
        if continuation_token:
            params["ContinuationToken"] = continuation_token
        page = _translated(lambda: self.client.list_objects_v2(**params))
        keys = tuple(item["Key"] for item in page.get("Contents", ()))
        token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
        return ListPage(keys, token or None)

    def _check_conditional_writes_supported(self, bucket: str, key: str) -> None:
        """Fail clearly if this botocore predates S3 conditional writes (no IfNoneMatch member).

        Older botocore would reject the parameter with a confusing validation error; a Lambda
        runtime's bundled SDK can lag behind.
        """
        if self._conditional_writes_checked:
            return
        try:
            operation = self.client.meta.service_model.operation_model("PutObject")
            members = operation.input_shape.members
        except AttributeError:  # a hand-made fake client: nothing to check
            members = {"IfNoneMatch": None}
        if "IfNoneMatch" not in members:
            raise StoreError(
                f"cannot create s3://{bucket}/{key} if absent: this botocore has no "
                f"PutObject IfNoneMatch (S3 conditional writes); deploy a newer boto3"
            )
        self._conditional_writes_checked = True


def _translated(call: Callable[[], T]) -> T:
    with _botocore_errors():
        return call()


@contextmanager
def _botocore_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        try:
            from botocore.exceptions import (  # type: ignore[import-untyped]
                BotoCoreError,
                ClientError,
            )
            from botocore.exceptions import (
                ParamValidationError as BotoParamValidationError,
            )
        except ImportError:  # a stand-in client without botocore installed
            raise exc from None
        if isinstance(exc, ClientError):
            raise answer_from_client_error(exc) from exc
        if isinstance(exc, BotoParamValidationError):
            raise ParamValidationError(str(exc)) from exc
        if isinstance(exc, BotoCoreError):
            raise SdkError(f"{type(exc).__name__}: {exc}") from exc
        raise
