"""Schemathesis against the local API in process (ASGI): the app must keep every promise of the
OpenAPI document, for generated valid and invalid requests, and across linked calls.

* `test_api_conforms_to_openapi`: every operation (schemathesis skips GET /openapi.json, the
  document it was loaded from; test_api_routes covers it), phases examples, coverage and fuzzing,
  positive and negative data, all built-in checks.
* `test_api_stateful_links`: the OpenAPI links from POST /sweep-run (200/202) to GET status and
  POST redrive with the `run_id` the POST answered.

Every response is also checked against the document independently of schemathesis
(`check_against_document`: status documented, JSON, schema-valid; undeclared methods a JSON
405), and recorded at the ASGI level; the module prints the counts per route and status at the
end (`pytest -s`).

The runtime runs children inline (synchronously, inside the request) with the legacy_hash model,
so a POST that answered 202 has finished its run, and the linked calls see a complete run.

All built-in checks run, with two exceptions, explained where they are configured:
positive_data_acceptance is off for POST /sweep-run and GET /sweep-run/{run_id}/results.
Known contract gaps would be listed in schemathesis-baseline.json (shared with the CLI run); it
is empty.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from api_helpers import BASELINE, OpenApiResponses, runtime_env
from hypothesis import HealthCheck
from schemathesis.baseline import Baseline
from schemathesis.core.failures import Failure, FailureGroup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serverless_sweep.adapters.local.runtime import LocalRuntime, LocalSettings
from serverless_sweep.entrypoints.local_api import create_app

SEED = 20261127
MAX_EXAMPLES = 100
STATEFUL_EXAMPLES = 50
STATEFUL_STEPS = 8

CONFIG: dict[str, Any] = {
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "database": "none", "mode": "all"},
    "phases": {
        "stateful": {
            "max-steps": STATEFUL_STEPS,
            # Only the document's own links. Schemathesis' dependency analysis takes the
            # client-chosen run_id of the request body for a reference to a "Run" resource
            # that no operation creates, so it would demote POST /sweep-run from the start
            # of a scenario to a fallback, and no declared link would ever be followed.
            "inference": {"algorithms": []},
        }
    },
    "operations": [
        {
            # The SweepRequest schema cannot express every rule (its description says so): at
            # least one of shard_count/shard_size, at most 200000 points, the plan within
            # max_shards, the model's own parameter schema. A schema-valid body may therefore
            # get a 400 naming the rule, which is exactly what this check calls a failure.
            "include-operation-id": "submitSweepRun",
            "checks": {"positive_data_acceptance": {"enabled": False}},
        },
        {
            # order_by and fields name columns of the run's model, which the path's run_id
            # decides: no schema can say which strings a given run accepts, so an unknown
            # column is a 400 naming it (and the allowed ones) for a schema-valid string.
            "include-operation-id": "getRunResults",
            "checks": {"positive_data_acceptance": {"enabled": False}},
        },
    ],
}

RESPONSES = OpenApiResponses()
KNOWN = Baseline.load(BASELINE)


# -- the app under test ---------------------------------------------------------------------------


@dataclass
class Recorder:
    """ASGI wrapper keeping (method, raw path, status, content type, body) of every response."""

    app: ASGIApp
    calls: list[tuple[str, str, int, str | None, bytes]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        content_type: str | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        raw = scope.get("raw_path") or scope["path"].encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        self.calls.append((scope["method"], path, status, content_type, b"".join(chunks)))

    def summary(self) -> str:
        """Responses per method, route shape and status (shown with `pytest -s`)."""
        counts = Counter(
            (method, "/".join(s if i == 0 else "*" for i, s in enumerate(path.split("/")[1:])), st)
            for method, path, st, _, _ in self.calls
        )
        lines = [f"  {m} /{shape} -> {st}: {n}" for (m, shape, st), n in sorted(counts.items())]
        return f"\n{len(self.calls)} responses in this process:\n" + "\n".join(lines)


@dataclass
class DeferredApp:
    """The app schemathesis calls; it forwards to the app the `api` fixture creates.

    `schema.parametrize()` needs the schema when pytest collects this module, but the runtime
    under test (a store folder, environment variables) belongs to a fixture, not to collection.
    (`schemathesis.pytest.from_fixture` would defer the loading, but schemathesis 4.32.5 sets
    `request.node._nodeid`, which pytest 9 no longer has.)
    """

    inner: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.inner is None:
            raise RuntimeError("no app: the `api` fixture has not started")
        await self.inner(scope, receive, send)


def load_schema(target: DeferredApp) -> Any:
    """`from_asgi` against the real app over a throwaway runtime, removed right after."""
    root = Path(tempfile.mkdtemp(prefix="api-schemathesis-load-"))
    try:
        with runtime_env():
            runtime = LocalRuntime(LocalSettings(root=root, inline=True))
        target.inner = create_app(runtime)
        config = schemathesis.Config.from_dict(CONFIG)
        return schemathesis.openapi.from_asgi("/openapi.json", target, config=config)
    finally:
        target.inner = None
        shutil.rmtree(root, ignore_errors=True)


APP = DeferredApp()
schema = load_schema(APP)


@dataclass
class Harness:
    """The app under test: the recorder over the app of a LocalRuntime (children inline).

    `reset` swaps in a new runtime over a new, empty store: each stateful scenario starts from
    nothing, so that Hypothesis can replay a scenario and get the same answers (a run_id the
    previous scenario used would otherwise turn a 202 into a 200 or 409).
    """

    base: Path
    recorder: Recorder = field(init=False)
    runtimes: list[LocalRuntime] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.recorder = Recorder(self._new_app())

    def _new_app(self) -> ASGIApp:
        root = self.base / f"store-{len(self.runtimes)}"
        settings = LocalSettings(root=root, inline=True, default_model="legacy_hash")
        self.runtimes.append(LocalRuntime(settings))
        return create_app(self.runtimes[-1])

    def reset(self) -> None:
        self.recorder.app = self._new_app()

    def close(self) -> None:
        for runtime in self.runtimes:
            runtime.close()


@pytest.fixture(scope="module", autouse=True)
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with runtime_env():
        harness = Harness(tmp_path_factory.mktemp("api-schemathesis"))
        APP.inner = harness.recorder
        try:
            yield harness
        finally:
            APP.inner = None
            harness.close()
            print(harness.recorder.summary())


# -- validation ----------------------------------------------------------------------------------


def check_against_document(case: schemathesis.Case[Any], response: schemathesis.Response) -> None:
    """Our own check of one response, independent of schemathesis.

    A declared method: the status must be documented, the body JSON and valid against the
    schema of that status. An undeclared one (schemathesis probes them): a JSON 405 with an
    ErrorResponse body.
    """
    method = str(response.request.method).upper()
    route = case.operation.path
    content_types = response.headers.get("content-type") or []
    content_type = content_types[0] if content_types else None
    if method.lower() not in RESPONSES.document["paths"][route]:
        assert response.status_code == 405, (method, route, response.status_code)
        assert RESPONSES.component("ErrorResponse").is_valid(json.loads(response.content))
        return
    RESPONSES.check(route, method, response.status_code, content_type, response.content)


def validate(case: schemathesis.Case[Any], response: schemathesis.Response, **kwargs: Any) -> None:
    """Schemathesis' checks and ours; a failure is tolerated only if the baseline lists it."""
    check_against_document(case, response)
    try:
        case.validate_response(response, **kwargs)
    except FailureGroup as group:
        if not all(_in_baseline(f) for f in group.exceptions):
            raise


def _in_baseline(failure: Failure) -> bool:
    checks: tuple[str, ...] = getattr(failure, "checks", ())
    return any(KNOWN.match(failure, check) is not None for check in checks)


# -- the tests ------------------------------------------------------------------------------------


@schema.parametrize()  # type: ignore[untyped-decorator]  # schemathesis types it as Callable
@hypothesis.settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_openapi(case: schemathesis.Case[Any]) -> None:
    response = case.call()
    validate(case, response)


def test_api_stateful_links(api: Harness) -> None:
    """POST /sweep-run, then the linked GET status and redrive with the run_id it answered."""

    class Links(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            api.reset()

        def validate_response(
            self,
            response: schemathesis.Response,
            case: schemathesis.Case[Any],
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            validate(
                case,
                response,
                additional_checks=additional_checks,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    before = len(api.recorder.calls)
    Links.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    calls = api.recorder.calls[before:]
    accepted = [c for c in calls if c[:3] == ("POST", "/sweep-run", 202)]
    assert accepted, "no POST /sweep-run was accepted, so no link was followed"
    found = [c for c in calls if c[0] == "GET" and c[1].startswith("/sweep-run/") and c[2] == 200]
    redriven = [c for c in calls if c[1].endswith("/redrive") and c[2] in (200, 202)]
    assert found and redriven, "the links to GET status and to redrive were not followed"
