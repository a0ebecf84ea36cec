"""The API examples work exactly as shown (issue 12): the curls of the README's "The local API"
block and of `sweep serve`'s banner are run with bash and the real curl against a real
`sweep serve`, and the README's SweepClient example runs against one too.

Only the address changes: the examples say 127.0.0.1:8000 and tests run in parallel, so the
server gets a free port and the commands get its address; everything else is run as printed
(a test checks that the README block still has the shape these substitutions assume). The
README's server runs in a scratch folder that already holds `make run`'s run, as after
`make run`, so its "202" must not turn into "200 already_submitted" (issue 12).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from serverless_sweep.adapters.local.runtime import RUNTIME_ENV
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import RecordingInvoker
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from tests.api.api_helpers import SWEEP, URL_LINE, ServeProcess

ROOT = Path(__file__).resolve().parents[2]
README_ADDRESS = "127.0.0.1:8000"
POLL_LIMIT_S = 180

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def shell_commands(block: str) -> list[str]:
    """The commands of a shell block: continuation lines joined, comment-only lines dropped."""
    commands: list[str] = []
    current = ""
    for line in block.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1]
            continue
        commands.append(current + line)
        current = ""
    return commands


def section_block(text: str, heading: str, fence: str) -> str:
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"```{fence}\n(.*?)```", section, flags=re.S)
    assert match, f"no {fence} block under {heading!r}"
    return match.group(1)


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def run_shell(command: str, cwd: Path) -> Any:
    result = subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    return json.loads(result.stdout)


@contextmanager
def serving(argv: list[str], cwd: Path) -> Iterator[str]:
    """A `sweep serve` started from `argv` in `cwd`; yields its URL; stopped with SIGTERM."""
    env = {k: v for k, v in os.environ.items() if k not in RUNTIME_ENV}
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    found: list[str] = []
    log: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)
            match = URL_LINE.search(line)
            if match and not found:
                found.append(match.group(1))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not found:
            assert process.poll() is None and time.monotonic() < deadline, "".join(log)
            time.sleep(0.05)
        host, port = found[0].removeprefix("http://").rsplit(":", 1)
        while True:  # the banner comes before uvicorn listens
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "".join(log)
                time.sleep(0.05)
        yield found[0]
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=10)


def accept_like_make_run(store: Path) -> None:
    """`make run`'s run recorded in `store` (its shards are not needed here)."""
    request = json.loads((ROOT / "examples/ride_hailing_sweep.json").read_text(encoding="utf-8"))
    config = ParentConfig(child_function="sweep-child", default_model="ride_hailing")
    parent = ParentHandler(invoker=RecordingInvoker(), store=LocalObjectStore(store), config=config)
    parent.submit(request)  # raises for a refused request


def poll_until_finished(command: str, cwd: Path) -> dict[str, Any]:
    deadline = time.monotonic() + POLL_LIMIT_S
    while True:
        status: dict[str, Any] = run_shell(command, cwd)
        if status.get("state") != "running" or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_the_readme_block_has_the_shape_the_test_runs() -> None:
    commands = shell_commands(section_block(readme(), "The local API", "sh"))
    assert commands[0] == ".venv/bin/sweep serve --store ./sweep-data &"
    assert all(c.startswith("curl -sS ") and README_ADDRESS in c for c in commands[1:])
    assert len(commands) == 5


def test_the_readme_local_api_examples_work_as_shown(tmp_path: Path) -> None:
    commands = shell_commands(section_block(readme(), "The local API", "sh"))
    serve, post, status, redrive, schema = commands
    argv = shlex.split(serve.removesuffix("&"))
    assert argv[0] == ".venv/bin/sweep"
    accept_like_make_run(tmp_path / "sweep-data")
    with serving([str(SWEEP), *argv[1:], "--port", "0"], tmp_path) as url:
        address = url.removeprefix("http://")

        def here(command: str) -> str:
            return command.replace(README_ADDRESS, address)

        accepted = run_shell(here(post), tmp_path)  # "# 202: dispatch_state under_way"
        assert accepted["status"] == "dispatch_submitted", accepted
        assert accepted["dispatch_state"] == "under_way"
        again = run_shell(here(post), tmp_path)  # "the same request again: 200 already_submitted"
        assert again["status"] == "already_submitted" and again["run_id"] == accepted["run_id"]

        finished = poll_until_finished(here(status), tmp_path)  # "poll until succeeded"
        assert finished["run_id"] == accepted["run_id"] and finished["state"] == "succeeded"

        redriven = run_shell(here(redrive), tmp_path)  # "once succeeded: 200, nothing to redrive"
        assert redriven["status"] == "redrive_submitted" and redriven["shards_dispatched"] == 0
        published = run_shell(here(schema), tmp_path)
        assert published["$id"].endswith("/v1/sweep_request.json")


def banner_commands(log: list[str]) -> list[str]:
    text = "".join(log)
    block = text.split("  try:\n", 1)[1].split("  Ctrl-C", 1)[0]
    return [command.strip() for command in shell_commands(block)]


@pytest.mark.parametrize("model", ["ride_hailing", "legacy_hash"])
def test_the_banner_curls_work_as_printed(tmp_path: Path, model: str) -> None:
    with ServeProcess(store=tmp_path / "store", workers=1, model=model) as server:
        post, status = banner_commands(server.log)
        assert post.startswith(f"curl -sS -X POST {server.url}/sweep-run ")
        accepted = run_shell(post, tmp_path)  # "# 202"
        assert accepted["status"] == "dispatch_submitted", accepted
        assert accepted["run_id"] == "demo-1"
        again = run_shell(post, tmp_path)  # "200 already_submitted when sent again"
        assert again["status"] == "already_submitted"
        finished = poll_until_finished(status, tmp_path)  # "poll until succeeded"
        assert finished["run_id"] == "demo-1" and finished["state"] == "succeeded"


def test_the_readme_client_example_runs_against_sweep_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A ```py block (not ```python: tests/docs/test_readme_examples.py runs those offline).
    code = section_block(readme(), "Clients of the API", "py")
    assert 'SweepClient("http://127.0.0.1:8000")' in code
    with ServeProcess(store=tmp_path / "store", workers=1) as server:
        exec(compile(code.replace("http://127.0.0.1:8000", server.url), "README.md", "exec"), {})
    assert capsys.readouterr().out == "succeeded 1.0\n"  # as its comment says
