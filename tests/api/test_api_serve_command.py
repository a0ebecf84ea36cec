"""`sweep serve`: address checks, the banner, start-up errors and a clean stop on Ctrl-C.

Only 127.0.0.1 is bound; the non-loopback warning is checked through `is_loopback`.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from api_helpers import LOOPBACK, RUNTIME_ENV, SWEEP, ServeProcess, legacy_request

from serverless_sweep.entrypoints.commands.serve import banner, base_url, bind, is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_bind_port_zero_gives_the_real_url() -> None:
    sock = bind(LOOPBACK, 0)
    try:
        url = base_url(sock)
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    finally:
        sock.close()


def test_banner_names_the_api_the_document_and_a_curl() -> None:
    out = io.StringIO()
    banner("http://127.0.0.1:8123", Path("/data/store"), "legacy_hash", out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/openapi.json" in text
    assert "curl -sS -X POST http://127.0.0.1:8123/sweep-run" in text
    assert "/data/store" in text and "legacy_hash" in text


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in RUNTIME_ENV}
    env.update(extra)
    return env


def test_an_unknown_default_model_is_refused_before_listening(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(SWEEP), "serve", "--port", "0", "--store", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(SWEEP_DEFAULT_MODEL="no_such_model"),
    )
    assert result.returncode == 2
    assert "unknown model 'no_such_model'" in result.stderr
    assert "sweep API" not in result.stdout


def test_ctrl_c_stops_the_server_and_the_runtime_cleanly(tmp_path: Path) -> None:
    with ServeProcess(store=tmp_path / "store", workers=1) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            response = client.post("/sweep-run", json=legacy_request("serve-ctrl-c"))
            assert response.status_code == 202, response.text
        assert server.stop(signal.SIGINT) == 0
    log = "".join(server.log)
    assert "Traceback" not in log, log
    assert "Shutting down" in log
    # Ctrl-C waits for the shard invocations still pending: the run is complete on disk.
    outcomes = (tmp_path / "store").glob(
        "dataset=shard_outcomes/*/run_id=serve-ctrl-c/status=success/part-*.json"
    )
    assert len(list(outcomes)) == 3, log
