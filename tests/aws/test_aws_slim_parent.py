"""The parent artifact ships without numpy, pyarrow or scipy (issue 8): its handler module,
and everything a submit, a status, a redrive and a dispatch job import, must not need them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "pyarrow", "scipy", "duckdb", "h3")


def test_lambda_parent_imports_no_numeric_stack() -> None:
    script = (
        "import json, sys\n"
        "import serverless_sweep.entrypoints.lambda_parent as p\n"
        "from serverless_sweep.adapters.memory import MemoryObjectStore, RecordingInvoker\n"
        "from serverless_sweep.handlers.parent import ParentConfig, ParentHandler\n"
        "parent = ParentHandler(invoker=RecordingInvoker(), store=MemoryObjectStore(),\n"
        "    config=ParentConfig(child_function='c', default_model='ride_hailing'))\n"
        "from serverless_sweep.entrypoints.http.proxy import submit_event\n"
        "r = submit_event(parent, {'run_id': 'r', 'dimensions': {'num_drivers': [50, 100]},\n"
        "    'shard_count': 2})\n"
        "assert r['statusCode'] == 202, r\n"
        "assert parent.redrive('r', repair=True).dispatch_state == 'complete'\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []
