"""GET /sweep-run through the parent Lambda (issue 12): an API Gateway proxy event, the shared
route table, the runs listed from S3 on moto, newest first, page by page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from serverless_sweep.adapters.memory import RecordingInvoker
from serverless_sweep.contracts import RunList
from serverless_sweep.entrypoints import lambda_services
from serverless_sweep.entrypoints.aws_lambda import Services, parent_handler

CHILD_ARN = "arn:aws:lambda:eu-central-1:123456789012:function:sweep-child"


class FakeContext:
    aws_request_id = "req-list"
    function_name = "sweep"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@pytest.fixture
def deployment(bucket: str, monkeypatch: pytest.MonkeyPatch) -> RecordingInvoker:
    monkeypatch.setenv("SWEEP_RESULTS_BUCKET", bucket)
    monkeypatch.setenv("CHILD_LAMBDA_ARN", CHILD_ARN)
    monkeypatch.setenv("SWEEP_DEFAULT_MODEL", "legacy_hash")
    invoker = RecordingInvoker()
    monkeypatch.setattr(lambda_services, "services", Services(invoker=invoker))
    return invoker


def event(method: str, query: dict[str, str] | None = None, body: Any = None) -> dict[str, Any]:
    return {
        "resource": "/sweep-run",
        "path": "/sweep-run",
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "requestContext": {"requestId": "api-req", "stage": "prod"},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def test_the_lambda_lists_runs_newest_first_page_by_page(deployment: RecordingInvoker) -> None:
    for run_id in ("aws-list-1", "aws-list-2"):
        request = {"run_id": run_id, "dimensions": {"a": [1, 2]}, "shard_count": 2}
        assert parent_handler(event("POST", body=request), FakeContext())["statusCode"] == 202
    first = parent_handler(event("GET", {"limit": "1"}), FakeContext())
    assert first["statusCode"] == 200, first["body"]
    page = RunList.model_validate_json(first["body"])
    assert [r.run_id for r in page.runs] == ["aws-list-2"] and page.next_token
    assert page.runs[0].state == "running" and page.runs[0].pending_shards == 2
    second = parent_handler(event("GET", {"limit": "1", "next_token": page.next_token}), None)
    rest = RunList.model_validate_json(second["body"])
    assert [r.run_id for r in rest.runs] == ["aws-list-1"] and rest.next_token is None
    refused = parent_handler(event("GET", {"limit": "0"}), FakeContext())
    assert refused["statusCode"] == 400
    assert json.loads(refused["body"])["error"] == "validation_error"
