"""The AWS adapters: S3 as the object store, Lambda as the async invoker.

This package is the only place in `serverless_sweep` that may import boto3/botocore (a test checks
it), so the core, the handlers and the local deployment run without the AWS SDK installed. The
Lambda path does not import it either (issue 8): the store and the invoker use the package's own
standard-library client (`s3_http.py`, `lambda_http.py`); botocore is imported only for an
injected botocore client (`s3_botocore.py`) and by the tools' client factory (`_clients.py`).

The two classes are exported lazily (PEP 562): importing one adapter module (the child imports
only the S3 store) does not import the other with this package (issue 8, cold start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serverless_sweep.adapters.aws.lambda_invoker import LambdaInvoker
    from serverless_sweep.adapters.aws.s3_store import S3ObjectStore

__all__ = ["LambdaInvoker", "S3ObjectStore"]


def __getattr__(name: str) -> Any:
    if name == "LambdaInvoker":
        from serverless_sweep.adapters.aws.lambda_invoker import LambdaInvoker

        return LambdaInvoker
    if name == "S3ObjectStore":
        from serverless_sweep.adapters.aws.s3_store import S3ObjectStore

        return S3ObjectStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
