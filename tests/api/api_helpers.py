"""Shared pieces of the local API tests: OpenAPI response validation, servers on 127.0.0.1.

Only 127.0.0.1 is ever bound here: the API has no authentication.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.types import ASGIApp

from serverless_sweep.adapters.local.runtime import RUNTIME_ENV, preserved_runtime_env
from serverless_sweep.contracts import load_openapi

LOOPBACK = "127.0.0.1"
HERE = Path(__file__).resolve().parent
BASELINE = HERE / "schemathesis-baseline.json"
"""Known failures schemathesis may report, each with its reason (used by the CLI run and the
in-process runs alike): contract gaps reported for fixing, never emulator bugs."""
REDRIVE_ROUTE = "/sweep-run/{run_id}/redrive"
DOC_URI = "urn:serverless-sweep:openapi"
SWEEP = Path(sys.executable).with_name("sweep")


runtime_env = preserved_runtime_env


def legacy_request(run_id: str = "api-run", **overrides: Any) -> dict[str, Any]:
    """A small, valid legacy_hash SweepRequest."""
    body: dict[str, Any] = {
        "run_id": run_id,
        "model": "legacy_hash",
        "dimensions": {"a": [1, 2, 3], "b": ["x", "y"]},
        "shard_count": 3,
        "seed": 7,
    }
    body.update(overrides)
    return body


class OpenApiResponses:
    """Validates response bodies against the OpenAPI document's schema for (route, method, status).

    The schema of a response is resolved inside the whole document (a registry holding it under
    DOC_URI), so component `$ref`s work exactly as an OpenAPI tool resolves them.
    """

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        self.document = load_openapi() if document is None else document
        self._registry: Registry[Any] = Registry().with_resource(
            DOC_URI, Resource.from_contents(self.document, default_specification=DRAFT202012)
        )

    def component(self, name: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{DOC_URI}#/components/schemas/{name}"},
            registry=self._registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def documented(self, route: str, method: str) -> set[int]:
        return {int(code) for code in self.document["paths"][route][method.lower()]["responses"]}

    def validator(self, route: str, method: str, status: int) -> Draft202012Validator:
        operation = self.document["paths"][route][method.lower()]
        responses = operation["responses"]
        if str(status) not in responses:
            raise AssertionError(
                f"{method.upper()} {route} answered {status}, not documented ({sorted(responses)})"
            )
        pointer = f"/paths/{_escape(route)}/{method.lower()}/responses/{status}"
        pointer += "/content/application~1json/schema"
        return Draft202012Validator(
            {"$ref": f"{DOC_URI}#{pointer}"},
            registry=self._registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def check(
        self, route: str, method: str, status: int, content_type: str | None, body: bytes
    ) -> Any:
        """Assert the response is documented, JSON and valid; return the parsed body."""
        assert content_type is not None and content_type.split(";")[0].strip() == (
            "application/json"
        ), f"{method} {route} {status}: Content-Type {content_type!r}"
        document = json.loads(body)
        errors = [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in self.validator(route, method, status).iter_errors(document)
        ]
        assert not errors, f"{method} {route} {status}: {errors}\n{document}"
        return document


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread:
    """uvicorn serving an ASGI app on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, app: ASGIApp) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        host, port = self.sock.getsockname()
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


URL_LINE = re.compile(r"on (http://127\.0\.0\.1:\d+)")


@dataclass
class ServeProcess:
    """`sweep serve` in a subprocess on 127.0.0.1 with a free port; always stopped on exit."""

    store: Path
    workers: int = 1
    model: str = "legacy_hash"
    extra_env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    log: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None
    reader: threading.Thread | None = None

    def __enter__(self) -> ServeProcess:
        argv = [
            str(SWEEP),
            "serve",
            "--host",
            LOOPBACK,
            "--port",
            "0",
            "--store",
            str(self.store),
            "--workers",
            str(self.workers),
            "--model",
            self.model,
        ]
        env = {k: v for k, v in os.environ.items() if k not in RUNTIME_ENV}
        env.update(self.extra_env)
        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        try:
            self.url = self._read_url(timeout=30)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_url(self, timeout: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        found: list[str] = []

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                self.log.append(line)
                match = URL_LINE.search(line)
                if match and not found:
                    found.append(match.group(1))

        self.reader = reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.monotonic() + timeout
        while not found:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("sweep serve did not start:\n" + "".join(self.log))
            time.sleep(0.05)
        url = found[0]
        _wait_listening(url, deadline)
        return url

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Send `sig`, then SIGKILL if it does not exit within 30 s; the exit status.

        Once it returns, `log` holds the whole output.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.reader is not None:
            self.reader.join(timeout=10)
        return self.process.returncode

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_listening(url: str, deadline: float) -> None:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
