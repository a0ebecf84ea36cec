"""The README's client example must work as printed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_client_validation_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks((ROOT / "README.md").read_text())
    assert blocks, "README has no python example"
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_readme_example_schema_rejects_a_bad_request() -> None:
    import json

    schema = json.loads((ROOT / "schemas/v1/sweep_request.json").read_text())
    with pytest.raises(jsonschema.ValidationError, match="run_id"):
        jsonschema.Draft202012Validator(schema).validate({"dimensions": {}, "shard_count": 1})


def test_readme_gives_the_two_setup_commands_first() -> None:
    head = (ROOT / "README.md").read_text().splitlines()[:6]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
    assert os.access(ROOT / ".ci" / "run", os.R_OK)
