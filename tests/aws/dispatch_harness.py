"""A dispatcher in a process of its own, so a test can SIGKILL it in the middle of a job.

Run as a script by tests/aws/test_aws_dispatch_moto.py: the real `Dispatcher` with the real
`LambdaInvoker` (through the test's fault proxy) and the real `S3ObjectStore` (moto), on a run
the test recorded. It prints the dispatcher's report as one JSON line if it gets to the end.

Usage: python dispatch_harness.py --lambda-url URL --s3-url URL --bucket B --run-id R
       --child ARN [--prefix P] [--job J] [--concurrency C] [--chunk-size N]
"""

from __future__ import annotations

import argparse
import json

from serverless_sweep.adapters.aws.lambda_invoker import LambdaInvoker
from serverless_sweep.adapters.aws.s3_store import S3ObjectStore, make_s3_http_client
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.dispatcher import Dispatcher, DispatchSettings
from serverless_sweep.handlers.ports import ASYNC_PAYLOAD_LIMIT_BYTES

REGION = "eu-central-1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lambda-url", required=True)
    parser.add_argument("--s3-url", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--child", required=True)
    parser.add_argument("--prefix", default="serverless-sweeps")
    parser.add_argument("--job", default="submit")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--chunk-size", type=int, default=8)
    args = parser.parse_args()

    dispatcher = Dispatcher(
        invoker=LambdaInvoker(
            endpoint_url=args.lambda_url,
            region_name=REGION,
            max_pool_connections=args.concurrency,
        ),
        store=S3ObjectStore(
            args.bucket, client=make_s3_http_client(endpoint_url=args.s3_url, region_name=REGION)
        ),
        layout=StorageLayout(args.prefix),
        child_function=args.child,
        payload_limit_bytes=ASYNC_PAYLOAD_LIMIT_BYTES,
        settings=DispatchSettings(concurrency=args.concurrency, chunk_size=args.chunk_size),
    )
    report = dispatcher.run(args.run_id, args.job)
    print(json.dumps(report.as_dict()), flush=True)


if __name__ == "__main__":
    main()
