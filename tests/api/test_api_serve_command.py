"""`sweep serve`: address checks, the banner, start-up errors and a clean stop on Ctrl-C.

Only 127.0.0.1 is bound; the non-loopback warning is checked through `is_loopback`.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
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


# -- a plug-in model as the default (issue 14) ----------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_model"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/custom_model pip-installed into a directory the server gets on PYTHONPATH."""
    import sys

    target = tmp_path_factory.mktemp("plugin") / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
         str(EXAMPLE)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if proc.returncode != 0 and "No matching distribution found for setuptools" in proc.stderr:
        pytest.skip(f"pip cannot fetch setuptools to build the example here: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stderr
    return target


def test_an_installed_plugin_serves_as_the_default_model(plugin_site: Path, tmp_path: Path) -> None:
    """`sweep serve --model queue_sim` with the plug-in installed: a request naming no model
    is vetted against queue_sim's parameters and runs it, over real HTTP."""
    env = {"PYTHONPATH": str(plugin_site)}
    with ServeProcess(store=tmp_path / "store", model="queue_sim", extra_env=env) as server:
        assert "default model: queue_sim" in "".join(server.log)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            typo = client.post(
                "/sweep-run", json={"run_id": "q-bad", "dimensions": {"server": [2]},
                                    "shard_count": 1},
            )  # fmt: skip
            assert typo.status_code == 400, typo.text
            assert "'servers'" in typo.text  # queue_sim's own parameter, suggested
            request = {"run_id": "q-1", "dimensions": {"servers": [2, 3], "callers": [40]},
                       "shard_count": 2}  # fmt: skip
            accepted = client.post("/sweep-run", json=request)
            assert accepted.status_code == 202, accepted.text
            state = ""
            for _ in range(600):
                status = client.get("/sweep-run/q-1").json()
                state = status["state"]
                if state != "running":
                    break
                time.sleep(0.1)
            assert state == "succeeded", status
            # the last shard's child compacts the run just after its commit
            page = client.get("/sweep-run/q-1/results")
            for _ in range(300):
                if page.status_code != 409:
                    break
                time.sleep(0.1)
                page = client.get("/sweep-run/q-1/results")
            results = page.json()
        assert results.get("model") == "queue_sim", results
        items = results["items"]
        assert sorted(item["parameters"]["servers"] for item in items) == [2, 3]
        served = [item["metrics"]["callers_served"] + item["metrics"]["callers_abandoned"]
                  for item in items]  # fmt: skip
        assert served == [40, 40]
        assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in "".join(server.log)


@pytest.mark.parametrize("installed", [False, True])
def test_an_unknown_model_option_names_the_installed_models(
    installed: bool, plugin_site: Path, tmp_path: Path
) -> None:
    env = _env(PYTHONPATH=str(plugin_site)) if installed else _env()
    result = subprocess.run(
        [str(SWEEP), "serve", "--port", "0", "--store", str(tmp_path / "s"), "--model", "queue_sm"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 2
    assert "unknown model 'queue_sm'" in result.stderr
    assert "Traceback" not in result.stderr and "sweep API" not in result.stdout
    assert not (tmp_path / "s").exists()  # refused before the store is touched
    if installed:
        assert "legacy_hash, queue_sim, ride_hailing" in result.stderr
        assert "did you mean 'queue_sim'?" in result.stderr
    else:
        assert "installed models: legacy_hash, ride_hailing" in result.stderr
