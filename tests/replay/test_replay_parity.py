"""Replay parity over the old runtime's recorded cases (../shared/replay, or SWEEP_REPLAY_DIR).

The fixtures are read where they live; they are never copied into this repository. Every case
that diverges as declared must give exactly its pinned outcome (divergence_pins.json, written
by make_pins.py; issue 9: a divergence tag alone let any clean rejection pass).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from serverless_sweep.entrypoints.replay import (
    DIVERGENCES,
    KINDS,
    discover,
    load_pins,
    run_replay,
    semantic_diff,
)

PINS_FILE = Path(__file__).resolve().parent / "divergence_pins.json"
if str(PINS_FILE.parent) not in sys.path:  # make_pins.py, the generator, lives beside the pins
    sys.path.insert(0, str(PINS_FILE.parent))


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
    return run_replay([directory], pins=load_pins(PINS_FILE))


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


def test_every_pin_is_used(report):
    """No stale pin: each pinned case exists in the fixtures and diverged exactly as pinned."""
    assert report.pinned
    assert {r.case_id for r in report.diverged} == set(load_pins(PINS_FILE))


def test_pins_are_the_generators_output(tmp_path):
    """The committed file is what make_pins.py writes from this code today (nobody edited it
    by hand, and no reviewed change was left unpinned)."""
    import make_pins

    directory = replay_dir()
    if not directory.is_dir():
        pytest.skip(f"replay fixtures not found at {directory} (set SWEEP_REPLAY_DIR)")
    out = tmp_path / "pins.json"
    assert make_pins.main([str(directory), "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == PINS_FILE.read_text(encoding="utf-8")


def test_a_planted_bug_in_tagged_cases_is_caught(monkeypatch):
    """The mutant of issue 9: every request now rejected cleanly with some message. Unpinned,
    tagged cases that matched counted as "diverged" and replay said 0 failed; pinned, they fail."""
    from serverless_sweep.core.errors import ValidationError
    from serverless_sweep.entrypoints import replay

    directory = replay_dir()
    if not directory.is_dir():
        pytest.skip(f"replay fixtures not found at {directory} (set SWEEP_REPLAY_DIR)")

    def planted(payload):
        raise ValidationError("planted bug")

    monkeypatch.setattr(replay, "normalize_request", planted)
    unpinned = run_replay([directory])
    pinned = run_replay([directory], pins=load_pins(PINS_FILE))
    tagged = [r for r in pinned.failed if r.kind == "validation" and set(r.tags) & set(DIVERGENCES)]
    assert not [r for r in unpinned.failed if r.kind == "validation" and r.case_id in
                {t.case_id for t in tagged}]  # fmt: skip
    assert len(tagged) >= 48  # every pinned validation divergence, and the tagged matches
    assert all("pin" in r.detail for r in tagged)


def _fixture(tmp_path, expected_message, tags=("bool-as-int",)):
    case = {
        "id": "tagged",
        "description": "",
        "tags": list(tags),
        "input": {"payload": {"run_id": "x", "dimensions": {"a": [1]}, "shard_count": True}},
        "expected": {"outcome": "return", "value": {"old": "accepted it"}},
    }
    (tmp_path / "f.json").write_text(
        json.dumps({"format": "sweep-replay/v1", "kind": "validation", "cases": [case]})
    )
    return {
        "tagged": {
            "outcome": "raise",
            "error_type": "ValidationError",
            "message": expected_message,
            "details": [{"pointer": "/shard_count", "rule": "type", "message": expected_message}],
        }
    }


def test_a_divergence_counts_only_with_its_exact_pin(tmp_path):
    good = _fixture(tmp_path, "shard_count must be a positive integer")
    assert [r.verdict for r in run_replay([tmp_path], pins=good).results] == ["diverged"]

    other_message = _fixture(tmp_path, "shard_count must be a positive integer!")
    (result,) = run_replay([tmp_path], pins=other_message).results
    assert result.verdict == "failed" and "not as pinned" in result.detail

    (result,) = run_replay([tmp_path], pins={}).results
    assert result.verdict == "failed" and "no pin" in result.detail


def test_a_pin_of_a_case_that_matches_again_is_stale(tmp_path):
    pins = _fixture(tmp_path, "shard_count must be a positive integer")
    document = json.loads((tmp_path / "f.json").read_text())
    document["cases"][0]["expected"] = {
        "outcome": "raise",
        "error": {"type": "ValidationError", "message": "shard_count must be a positive integer"},
    }
    (tmp_path / "f.json").write_text(json.dumps(document))
    (result,) = run_replay([tmp_path], pins=pins).results
    assert result.verdict == "failed"
    assert "matches the recording again" in result.detail
