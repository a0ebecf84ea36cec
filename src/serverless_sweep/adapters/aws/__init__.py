"""The AWS adapters: S3 as the object store, Lambda as the async invoker.

This package is the only place in `serverless_sweep` that imports boto3/botocore (a test checks
it), so the core, the handlers and the local deployment run without the AWS SDK installed.
"""

from serverless_sweep.adapters.aws.lambda_invoker import LambdaInvoker
from serverless_sweep.adapters.aws.s3_store import S3ObjectStore

__all__ = ["LambdaInvoker", "S3ObjectStore"]
