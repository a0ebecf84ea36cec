"""The schemathesis CLI (`st run`) against a live `sweep serve` subprocess on 127.0.0.1.

This is the end-to-end form of test_api_schemathesis: the real command line, uvicorn, a worker
process for the children (so runs finish asynchronously, as in the cloud), every phase (examples,
coverage, fuzzing, stateful) and every built-in check (schemathesis 4 enables them all unless
told otherwise; tests/api/schemathesis.toml turns off exactly one, for POST /sweep-run, and says
why). Known contract gaps come from tests/api/schemathesis-baseline.json. The server is stopped
whatever happens, and must then exit cleanly.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from api_helpers import BASELINE, HERE, ServeProcess

import serverless_sweep.contracts

ST = Path(sys.executable).with_name("st")
CONFIG = HERE / "schemathesis.toml"
MAX_EXAMPLES = 25
CLI_TIMEOUT_S = 240


def test_schemathesis_cli_against_sweep_serve(tmp_path: Path) -> None:
    baseline_before = BASELINE.read_bytes()
    with ServeProcess(store=tmp_path / "store", workers=1) as server:
        argv = [
            str(ST),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server.url}/openapi.json",
            "--url",
            server.url,
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "20261127",
            "--workers",
            "1",
            "--request-timeout",
            "60",
            "--baseline",
            str(BASELINE),
            "--no-color",
        ]
        # cwd: schemathesis keeps its cache and hypothesis files in the working directory.
        result = subprocess.run(
            argv, cwd=tmp_path, capture_output=True, text=True, timeout=CLI_TIMEOUT_S
        )
        output = result.stdout + result.stderr
        status = server.stop()
    report = f"{output}\n--- sweep serve ---\n{''.join(server.log)}"
    assert result.returncode == 0, report
    generated = re.search(r"(\d+) generated", output)
    assert generated is not None and int(generated.group(1)) > 100, report
    # every operation of the document but /openapi.json (its own document) is tested
    document = Path(serverless_sweep.contracts.__file__).parent / "generated" / "openapi.json"
    paths = json.loads(document.read_text())["paths"]
    verbs = {"get", "post", "put", "patch", "delete"}
    operations = sum(
        len(verbs & set(ops)) for path, ops in paths.items() if path != "/openapi.json"
    )
    assert operations >= 6, paths  # submit, list, status, redrive, results, schemas
    assert re.search(rf"Tested:\s+{operations}\b", output), report
    assert status == 0, report
    assert BASELINE.read_bytes() == baseline_before, "the baseline must only be read"
    print(output)
