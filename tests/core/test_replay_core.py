"""The old runtime's recorded validation and shard-plan behaviour, case by case.

Fixtures live outside the repository (SWEEP_REPLAY_DIR, default ../shared/replay) and are read
in place. Each case must match exactly (outcome; value as ordered, type-strict JSON; or error
type and message) unless it carries a declared-divergence tag (bool-as-int, bigint,
non-object-input, python-exception), in which case raising ValidationError is accepted too.
"""

from __future__ import annotations

from typing import Any

import pytest
from core_helpers import (
    CORE_KINDS,
    core_replay_counts,
    judge_core_case,
    load_core_cases,
    replay_dir,
)

REPLAY_DIR = replay_dir()
CASES = load_core_cases(REPLAY_DIR) if REPLAY_DIR.is_dir() else []
if not REPLAY_DIR.is_dir():
    SKIP_REASON = f"replay fixture directory {REPLAY_DIR} is absent (set SWEEP_REPLAY_DIR)"
else:
    SKIP_REASON = f"no validation or shard_plan cases in {REPLAY_DIR}"
needs_fixtures = pytest.mark.skipif(not CASES, reason=SKIP_REASON)


@needs_fixtures
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    verdict, explanation = judge_core_case(case)
    assert verdict in ("matched", "diverged"), (
        f"{case['id']} ({case['description']}): {explanation}"
    )


@needs_fixtures
def test_counts(capsys: pytest.CaptureFixture[str]) -> None:
    counts = core_replay_counts(REPLAY_DIR)
    with capsys.disabled():
        for kind in CORE_KINDS:
            c = counts[kind]
            print(
                f"\nreplay {kind}: {c['matched']} matched, {c['diverged']} diverged (declared), "
                f"{c['failed']} failed"
            )
    assert all(counts[kind]["failed"] == 0 for kind in CORE_KINDS)
    assert all(counts[kind]["matched"] > 0 for kind in CORE_KINDS)
