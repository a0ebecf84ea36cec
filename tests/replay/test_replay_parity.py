"""Replay parity over the old runtime's recorded cases (../shared/replay, or SWEEP_REPLAY_DIR).

The fixtures are read where they live; they are never copied into this repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from serverless_sweep.entrypoints.replay import (
    DIVERGENCES,
    KINDS,
    discover,
    run_replay,
    semantic_diff,
)


def replay_dir() -> Path:
    configured = os.environ.get("SWEEP_REPLAY_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared" / "replay"


@pytest.fixture(scope="module")
def report():
    directory = replay_dir()
    if not directory.is_dir():
        pytest.skip(
            f"replay fixtures not found at {directory} (set SWEEP_REPLAY_DIR to run parity)"
        )
    return run_replay([directory])


def test_every_recorded_case_passes_or_diverges_as_declared(report):
    failures = "\n".join(report.lines()[:-1])
    assert not report.failed, failures


def test_all_four_kinds_are_replayed(report):
    assert set(report.kinds()) == set(KINDS)
    assert report.passed > 0


def test_divergences_are_only_the_tags_the_fixtures_allow(report):
    allowed = {
        "bool-as-int",
        "python-exception",
        "non-object-input",
        "python-json-error",
        "nonstandard-json",
        "duplicate-keys",
        "python-whitespace",
        "uncaught-validation-error",
        "bigint",
        "lenient-child",
        "internal-contract",
    }
    assert set(DIVERGENCES) <= allowed
    for result in report.diverged:
        assert any(tag in DIVERGENCES for tag in result.tags), result.case_id


def test_replay_reports_a_broken_case_as_failed(tmp_path):
    """The harness must be able to fail: a doctored expectation is reported, not passed."""
    (tmp_path / "bad.json").write_text(
        '{"format": "sweep-replay/v1", "kind": "validation", "cases": [{"id": "doctored",'
        ' "description": "", "tags": [], "input": {"payload": {"run_id": "x"}},'
        ' "expected": {"outcome": "raise", "error": {"type": "ValidationError",'
        ' "message": "Missing required field \'run_id\'"}}}]}'
    )
    report = run_replay(discover([tmp_path]))
    assert len(report.failed) == 1 and report.lines()[-1] == "0 passed, 1 failed"


def test_semantic_diff_keeps_json_types_apart():
    assert semantic_diff(1, 1.0) is not None
    assert semantic_diff(True, 1) is not None
    assert semantic_diff(0.0, -0.0) is not None
    assert semantic_diff({"a": 1}, {"a": 1, "new": 2}) is None
    assert semantic_diff({"a": 1, "b": 2}, {"b": 2, "a": 1}, ordered=True) is not None
