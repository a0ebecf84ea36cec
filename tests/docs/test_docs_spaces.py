"""The README's sweep-space examples (issue 14) work exactly as printed: the request fragment is
the example file's, the commands give the printed tables, the 202 gives the printed counts."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import edge
import pytest

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.core.validation import normalize_request
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.models.constraints import apply_model_rules
from serverless_sweep.models.registry import get_model
from serverless_sweep.models.ride_hailing.model import load_presets
from tests.docs.readme_sections import ROOT, fenced_blocks, readme_section
from tests.docs.readme_sections import run_sweep as sweep

SECTION_TITLE = "## Sweep spaces: sampling, exclusions, presets, your own model"


def section() -> str:
    return readme_section(SECTION_TITLE)


def blocks(kind: str) -> list[str]:
    return fenced_blocks(section(), kind)


def test_the_sampling_fragment_is_the_example_file() -> None:
    [fragment] = blocks("json")
    shown = json.loads("{" + fragment.strip().rstrip(",") + "}")
    example = json.loads((ROOT / "examples" / "sobol_sweep.json").read_text())
    assert shown == {k: example[k] for k in shown}


def test_the_sobol_example_prints_the_table_shown(tmp_path: Path) -> None:
    commands = [line for b in blocks("sh") for line in b.splitlines() if "sobol-demo" in line
                or "sobol_sweep" in line]  # fmt: skip
    run, query = (shlex.split(c.split("#")[0])[1:] for c in commands)
    code, _ = sweep(*run, "--store", str(tmp_path), "--workers", "2", "--no-progress")
    assert code == 0
    code, out = sweep(query[0], "--store", str(tmp_path), *query[1:])
    assert code == 0
    expected = next(b for b in blocks("") if b.startswith("point_index"))
    assert out == expected


def test_the_exclude_example_answers_the_counts_shown() -> None:
    [comment] = [line for b in blocks("sh") for line in b.splitlines() if "excluded_points" in line]
    shown = {k: int(v) for k, v in re.findall(r'"(total_points|excluded_points)": (\d+)', comment)}
    parent = ParentHandler(
        invoker=RecordingInvoker(),
        store=MemoryObjectStore(),
        config=ParentConfig(child_function="c", default_model="ride_hailing", results_prefix=""),
        clock=FixedClock(),
    )
    response = edge.submit(
        parent, json.loads((ROOT / "examples" / "exclude_sweep.json").read_text())
    )
    body = json.loads(response["body"])
    assert response["statusCode"] == 202
    assert shown == {"total_points": 8, "excluded_points": 4}
    assert {k: body[k] for k in shown} == shown


def test_the_preset_table_gives_every_preset_and_its_count() -> None:
    text = (ROOT / "schemas" / "v1" / "models" / "ride_hailing" / "PRESETS.md").read_text()
    table = dict(re.findall(r"^\| `(\w+)` \| (\d+) \|", text, flags=re.M))
    presets = load_presets()
    assert set(table) == set(presets)
    for name in presets:
        assert f"`{name}`" in section()
    model = get_model("ride_hailing")
    for name, preset in presets.items():
        request: dict[str, Any] = {"run_id": name, "shard_count": 1}
        request.update({k: v for k, v in preset.items() if k != "description"})
        counted = apply_model_rules(normalize_request(request), model)["total_points"]
        assert counted == int(table[name]), name


@pytest.mark.parametrize("needle", ["sweep run --preset minimal", "sweep models ride_hailing"])
def test_the_preset_commands_are_shown(needle: str) -> None:
    assert needle in section()
