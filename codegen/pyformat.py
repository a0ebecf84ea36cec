"""Python source helpers: literals and a pinned, configuration-free `ruff format`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def py_literal(value: Any) -> str:
    """A Python literal for JSON-like data (dicts keep their order)."""
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no literal for {type(value).__name__}")


def ruff_path() -> str:
    candidate = Path(sys.executable).parent / "ruff"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("ruff")
    if found is None:
        raise RuntimeError("ruff not found; run `make setup`")
    return found


def ruff_format(code: str) -> str:
    """Format with ruff, ignoring every configuration file (line length 100, py311)."""
    result = subprocess.run(
        [
            ruff_path(),
            "format",
            "--isolated",
            "--line-length",
            "100",
            "--target-version",
            "py311",
            "-",
        ],
        input=code,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ruff format failed:\n{result.stderr.strip()}\n--- input ---\n{code}")
    return result.stdout
