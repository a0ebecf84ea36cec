"""boto3/botocore stay inside the AWS adapter and the Lambda entry point.

Why it matters: the core, the handlers and the local deployment must run (and be tested)
without the AWS SDK, and nothing outside the adapter may grow a hidden dependency on it. The
static check parses every module (imports inside functions count too); the runtime check
imports the AWS-free layers in a fresh interpreter and looks at what got loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import serverless_sweep

PACKAGE = Path(serverless_sweep.__file__).resolve().parent
AWS_SDK = ("boto3", "botocore")
# The client's SigV4 signer uses botocore's signer, imported only when SigV4 is asked for.
ALLOWED = (
    PACKAGE / "adapters" / "aws",
    PACKAGE / "entrypoints" / "aws_lambda.py",
    PACKAGE / "client" / "sigv4.py",
)


def _is_sdk(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in AWS_SDK


def _sdk_imports(source: str) -> list[str]:
    """Every SDK import in the source text, as 'line: what', in line order."""
    found: list[tuple[int, str]] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names if _is_sdk(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_sdk(node.module):
            found.append((node.lineno, f"from {node.module} import ..."))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and _is_sdk(node.args[0].value)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            found.append((node.lineno, f"dynamic import of {node.args[0].value}"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def _hits(path: Path) -> list[str]:
    name = path.relative_to(PACKAGE.parent)
    return [f"{name}:{hit}" for hit in _sdk_imports(path.read_text(encoding="utf-8"))]


def _allowed(path: Path) -> bool:
    return any(path == allowed or allowed in path.parents for allowed in ALLOWED)


def test_checker_sees_every_import_form() -> None:
    sample = (
        "import os, boto3\n"
        "from botocore.config import Config\n"
        "def f():\n"
        "    import botocore.session\n"
        "    return __import__('boto3')\n"
        "import importlib\n"
        "importlib.import_module('botocore.exceptions')\n"
        "from . import boto3_helpers\n"
        "import boto3x\n"
    )
    assert _sdk_imports(sample) == [
        "1: import boto3",
        "2: from botocore.config import ...",
        "4: import botocore.session",
        "5: dynamic import of boto3",
        "7: dynamic import of botocore.exceptions",
    ]


def test_only_the_aws_adapter_and_lambda_entry_point_import_the_sdk() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 20
    offenders = [hit for path in modules if not _allowed(path) for hit in _hits(path)]
    assert offenders == []
    # The allowed places really are where the SDK is used (the check is not vacuous).
    assert any(_hits(path) for path in modules if _allowed(path))


def test_aws_free_layers_load_without_the_sdk() -> None:
    layers = [
        "serverless_sweep.core",
        "serverless_sweep.models.registry",
        "serverless_sweep.handlers.parent",
        "serverless_sweep.handlers.child",
        "serverless_sweep.handlers.status",
        "serverless_sweep.adapters.memory",
        "serverless_sweep.adapters.local.runtime",
        # the one HTTP edge, which `sweep serve` and the parent Lambda share (issue 10)
        "serverless_sweep.entrypoints.http",
        "serverless_sweep.entrypoints.local_api",
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {layers!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore'})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
