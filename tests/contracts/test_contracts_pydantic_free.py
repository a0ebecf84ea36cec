"""The Lambda hot paths run without importing pydantic (issue 8: cold-start budgets).

A fresh interpreter imports the Lambda entry points, answers `POST /sweep-run` through
`lambda_parent.handler` (a 202, a 400 and a 409), runs the shards it dispatched through
`lambda_child.handler` (legacy_hash and ride_hailing, an injected failure included) and a shard
whose payload names the manifest instead of carrying the dimensions, a redrive and an on-failure
record (`lambda_child.failure_handler`); and checks
that pydantic was never imported, nor by a status request. Listing the runs afterwards does
import it (that route still builds its model), which shows the check sees pydantic when it is
there.

The AWS clients are replaced by in-memory ones (`lambda_services.services`): this test is about
imports, the real clients are exercised against moto in tests/aws.
"""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, sys

from serverless_sweep.adapters.memory import MemoryObjectStore, RecordingInvoker
from serverless_sweep.entrypoints import lambda_child, lambda_parent, lambda_services

class MemoryServices:
    '''Stand-in for the per-container AWS clients: one memory store, one recording invoker.'''

    def __init__(self):
        self.memory, self.recorder = MemoryObjectStore(), RecordingInvoker()

    def store(self, environ=None):
        return self.memory

    def invoker(self):
        return self.recorder

class Context:
    aws_request_id = "req-1"
    function_name = "sweep"

    def get_remaining_time_in_millis(self):
        return 900_000

def post(body):
    event = {
        "resource": "/sweep-run", "path": "/sweep-run", "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"}, "pathParameters": None,
        "requestContext": {"requestId": "api-req", "stage": "prod"},
        "body": json.dumps(body), "isBase64Encoded": False,
    }
    return lambda_parent.handler(event, Context())

services = lambda_services.services = MemoryServices()
answers = [
    post({"run_id": "hash", "model": "legacy_hash", "dimensions": {"a": [1, 2, 3]},
          "shard_count": 3, "failure_injection_shards": [2]})["statusCode"],
    post({"run_id": "ride", "dimensions": {"num_riders": [40], "num_drivers": [4]},
          "shard_count": 1, "tolerated_failure_percentage": 5})["statusCode"],
    post({"run_id": "bad", "dimensions": {"a": []}, "shard_count": 1})["statusCode"],
    post({"run_id": "hash", "model": "legacy_hash", "dimensions": {"a": [9]},
          "shard_count": 1})["statusCode"],
]
outcomes = []
for call in services.recorder.calls:
    payload = json.loads(call.payload)
    try:
        outcomes.append(lambda_child.handler(payload, Context())["status"])
    except RuntimeError as exc:
        outcomes.append(type(exc).__name__)
# The failed shard again (a redrive), its point space by reference to the run manifest.
by_reference = {k: v for k, v in json.loads(services.recorder.calls[2].payload).items()
                if k not in ("dimensions", "sampling", "ranges", "exclude")}
assert by_reference["shard_id"] == 2
by_reference["failure_injection_shards"] = []
manifest_keys = [k for k in services.memory.objects if k.endswith("/manifest.json")
                 and "run_id=hash/" in k]
by_reference["manifest_key"] = manifest_keys[0]
by_reference["attempt"] = 2
redriven = lambda_child.handler(by_reference, Context())
outcomes.append(redriven["status"] if not redriven["duplicate"] else "duplicate")
redrive = lambda_parent.handler(
    {"resource": "/sweep-run/{run_id}/redrive", "path": "/sweep-run/hash/redrive",
     "httpMethod": "POST", "headers": {}, "pathParameters": {"run_id": "hash"},
     "requestContext": {"requestId": "api-req", "stage": "prod"}, "body": None,
     "isBase64Encoded": False}, Context())
answers.append(redrive["statusCode"])
# The on-failure recorder: Lambda's destination record of a child that died (a crash).
answers.append(post({"run_id": "dead", "model": "legacy_hash", "dimensions": {"a": [1]},
                     "shard_count": 1})["statusCode"])
record = {
    "version": "1.0", "timestamp": "2026-12-01T10:00:00.000Z",
    "requestContext": {"requestId": "dead-1", "functionArn": "child:$LATEST",
                       "condition": "RetriesExhausted", "approximateInvokeCount": 3},
    "requestPayload": json.loads(services.recorder.calls[-1].payload),
    "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                        "functionError": "Unhandled"},
    "responsePayload": {"errorMessage": "Process exited before completing request"},
}
answers.append(lambda_child.failure_handler(record, Context())["recorded"])
hot = "pydantic" in sys.modules
status = lambda_parent.handler(
    {"resource": "/sweep-run/{run_id}", "path": "/sweep-run/hash", "httpMethod": "GET",
     "headers": {}, "pathParameters": {"run_id": "hash"},
     "requestContext": {"requestId": "api-req", "stage": "prod"}, "body": None,
     "isBase64Encoded": False}, Context())
after_status = "pydantic" in sys.modules
listing = lambda_parent.handler(
    {"resource": "/sweep-run", "path": "/sweep-run", "httpMethod": "GET",
     "headers": {}, "pathParameters": None,
     "requestContext": {"requestId": "api-req", "stage": "prod"}, "body": None,
     "isBase64Encoded": False}, Context())
print(json.dumps({"answers": answers, "outcomes": outcomes, "hot_path_pydantic": hot,
                  "status": status["statusCode"],
                  "state": json.loads(status["body"])["state"],
                  "after_status_pydantic": after_status,
                  "listing": listing["statusCode"],
                  "after_listing_pydantic": "pydantic" in sys.modules}))
"""


def test_submit_and_shards_import_no_pydantic_and_status_still_can() -> None:
    env_script = (
        "import os\n"
        "os.environ.update({'CHILD_LAMBDA_ARN': 'child', 'SWEEP_RESULTS_BUCKET': 'b',"
        " 'SWEEP_DEFAULT_MODEL': 'ride_hailing', 'SWEEP_RESULTS_PREFIX': 'p'})\n"
        "os.environ.pop('SWEEP_DISPATCHER_FUNCTION', None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", env_script + SCRIPT],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    # 200: nothing to redrive; True: the dead attempt was recorded
    assert report["answers"] == [202, 202, 400, 409, 200, 202, True], report
    assert report["outcomes"] == ["ok", "ok", "RuntimeError", "ok", "ok"], report
    assert report["hot_path_pydantic"] is False, report
    assert (report["status"], report["state"]) == (200, "succeeded")
    assert report["after_status_pydantic"] is False, report
    assert report["listing"] == 200
    assert report["after_listing_pydantic"] is True, report  # the check does see pydantic
