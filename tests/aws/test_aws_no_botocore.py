"""Neither Lambda handler imports botocore (issue 8: it was about half of a cold start).

Each handler runs in a fresh interpreter (this venv, where botocore IS installed, so only the
code's own imports can keep it out) against the moto server: the parent takes a submit through
API Gateway's event and dispatches inline to a function on moto (through the fault proxy, which
records the invokes); the child then runs one of those recorded payloads and writes its
Parquet and envelope to moto's S3. Afterwards each process reports which of the AWS SDK's
modules it loaded: none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from aws_helpers import create_function
from fault_proxy import fault_proxy

SDK = ("boto3", "botocore", "urllib3", "s3transfer", "jmespath", "dateutil")
PREFIX = "serverless-sweeps"

PARENT = """
import json, sys
from serverless_sweep.entrypoints import lambda_parent

class Context:
    aws_request_id = "req-1"
    function_name = "sweep-parent"
    def get_remaining_time_in_millis(self):
        return 900_000

body = {"run_id": "no-sdk", "dimensions": {"a": [1, 2, 3, 4]}, "shard_count": 2, "seed": 7}
event = {"resource": "/sweep-run", "path": "/sweep-run", "httpMethod": "POST",
         "headers": {"Content-Type": "application/json"}, "pathParameters": None,
         "requestContext": {"requestId": "api-req", "stage": "prod"},
         "body": json.dumps(body), "isBase64Encoded": False}
response = lambda_parent.handler(event, Context())
print(json.dumps({"status": response["statusCode"], "body": json.loads(response["body"]),
                  "sdk": sorted({m.split(".")[0] for m in sys.modules} & set(SDK))}))
"""

CHILD = """
import json, sys
from serverless_sweep.entrypoints import lambda_child

class Context:
    aws_request_id = "req-2"
    function_name = "sweep-child"
    def get_remaining_time_in_millis(self):
        return 900_000

result = lambda_child.handler(json.loads(sys.argv[1]), Context())
print(json.dumps({"result": result,
                  "sdk": sorted({m.split(".")[0] for m in sys.modules} & set(SDK))}))
"""


def _run(script: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    code = f"SDK = {SDK!r}\n{script}"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.usefixtures("lambda_without_docker")
def test_parent_and_child_run_against_moto_without_botocore(
    bucket: str, moto_url: str, s3: Any
) -> None:
    child_arn = create_function(moto_url, "sweep-no-sdk-child")
    with fault_proxy(moto_url) as proxy:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "SWEEP_", "CHILD_"))
        }
        env.update(
            {
                name: os.environ[name]
                for name in (
                    "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY",
                    "AWS_SESSION_TOKEN",
                    "AWS_REGION",
                    "AWS_DEFAULT_REGION",
                )
            }
        )
        env.update(
            {
                "AWS_ENDPOINT_URL": moto_url,
                "AWS_ENDPOINT_URL_LAMBDA": proxy.url,
                "SWEEP_RESULTS_BUCKET": bucket,
                "CHILD_LAMBDA_ARN": child_arn,
                "SWEEP_DEFAULT_MODEL": "legacy_hash",
            }
        )
        parent = _run(PARENT, env)
        payloads = proxy.invoked_payloads()

    assert parent["status"] == 202, parent["body"]
    assert parent["sdk"] == []
    assert len(payloads) == 2  # inline dispatch: both shards reached Lambda

    child = _run(CHILD, env, json.dumps(payloads[0]))
    assert child["sdk"] == []
    assert child["result"]["status"] == "ok", child["result"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX}/dataset=")
    written = {o["Key"] for o in listed.get("Contents", [])}
    assert child["result"]["outcome_key"] in written  # the envelope, on moto's S3
    assert child["result"]["metrics_key"] in written  # and the Parquet it commits
