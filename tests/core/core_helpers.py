"""Helpers for the core tests: type-strict JSON equality, JSON strategies, replay fixtures."""

from __future__ import annotations

import functools
import json
import math
import os
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import strategies as st


def strict_equal(a: Any, b: Any) -> bool:
    """JSON equality that tells 1 from 1.0 and True from 1, and checks object key order.

    Python's `==` says ``1 == 1.0 == True``, and dict equality ignores order; neither is good
    enough for replay parity (the old runtime wrote ``1`` and ``1.0`` differently and iterated
    objects in order).
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


# --- replay fixtures (read-only, never copied into the repo) -----------------------------------

#: Tags of the declared divergences the core implements: such a case must match exactly OR raise
#: ValidationError (see src/serverless_sweep/core/validation.py and planning.py docstrings).
DIVERGENCE_TAGS = frozenset({"bool-as-int", "bigint", "non-object-input", "python-exception"})
CORE_KINDS = ("validation", "shard_plan")


PINS_FILE = Path(__file__).resolve().parents[1] / "replay" / "divergence_pins.json"


@functools.cache
def divergence_pins() -> dict[str, dict[str, Any]]:
    """Case id -> pinned outcome (tests/replay/divergence_pins.json, see make_pins.py there)."""
    from serverless_sweep.entrypoints.replay import load_pins

    return load_pins(PINS_FILE)


def replay_dir() -> Path:
    """SWEEP_REPLAY_DIR, else the `shared/replay` folder beside the repository."""
    configured = os.environ.get("SWEEP_REPLAY_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "replay"


def load_core_cases(directory: Path) -> list[dict[str, Any]]:
    """Every validation and shard_plan case of every `*.json` file, dispatched on `kind`."""
    cases: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            document = json.load(handle)  # stdlib: keeps key order, int/float apart, big ints
        if not isinstance(document, dict) or document.get("kind") not in CORE_KINDS:
            continue
        for case in document["cases"]:
            cases.append({**case, "kind": document["kind"]})
    return cases


def run_core_case(case: dict[str, Any]) -> tuple[str, Any]:
    """Run one case through the new core: ("return", value) or ("raise", (type, message))."""
    from serverless_sweep.core.planning import plan_shards
    from serverless_sweep.core.validation import normalize_request

    inp = case["input"]
    try:
        if case["kind"] == "validation":
            return "return", normalize_request(inp["payload"])
        request = inp["request"]
        plan = plan_shards(
            request["total_points"],
            shard_count=request.get("shard_count"),
            shard_size=request.get("shard_size"),
            max_shards=request["max_shards"],
        )
        return "return", [shard.as_dict() for shard in plan]
    except Exception as exc:
        details = [d.as_dict() for d in getattr(exc, "details", ())]
        return "raise", (type(exc).__name__, str(exc), details)


def judge_core_case(case: dict[str, Any]) -> tuple[str, str]:
    """("matched" | "diverged" | "failed", explanation) for one case."""
    outcome, got = run_core_case(case)
    expected = case["expected"]
    if outcome == expected["outcome"]:
        if outcome == "return" and strict_equal(got, expected["value"]):
            return "matched", ""
        error = expected.get("error") or {}
        if outcome == "raise" and got[:2] == (error.get("type"), error.get("message")):
            if case["id"] in divergence_pins():
                return "failed", "matches the recording again but is pinned as a divergence"
            return "matched", ""
    declared = DIVERGENCE_TAGS.intersection(case.get("tags", ()))
    if declared and outcome == "raise" and got[0] == "ValidationError":
        # Issue 9: the tag alone accepted any clean rejection; the pin says which one.
        pin = divergence_pins().get(case["id"])
        if pin is None:
            return "failed", f"declared {sorted(declared)} but no pin: ValidationError {got[1]!r}"
        pinned = (pin.get("error_type"), pin.get("message"), pin.get("details"))
        if pinned != got:
            return "failed", f"declared {sorted(declared)}, pinned {pinned!r}, got {got!r}"
        return "diverged", f"declared {sorted(declared)}: ValidationError {got[1]!r}"
    want = expected.get("value") if expected["outcome"] == "return" else expected.get("error")
    return "failed", f"expected {expected['outcome']} {want!r}, got {outcome} {got!r}"


def core_replay_counts(directory: Path) -> dict[str, Counter[str]]:
    """kind -> Counter of verdicts, for the summary line."""
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in CORE_KINDS}
    for case in load_core_cases(directory):
        counts[case["kind"]][judge_core_case(case)[0]] += 1
    return counts
