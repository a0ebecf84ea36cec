"""request_fingerprint: content of the sweep, not its name, not its key order."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from serverless_sweep.core.fingerprint import fingerprint_document, request_fingerprint
from serverless_sweep.core.validation import normalize_request

REQUEST = {
    "run_id": "pricing-2026-11",
    "dimensions": {"num_drivers": [50, 100, 200], "commission_rate": [0.1, 0.2]},
    "shard_count": 3,
    "seed": 7,
}
PINNED_TEXT = (
    '{"dimensions":{"commission_rate":[0.1,0.2],"num_drivers":[50,100,200]},'
    '"failure_injection_shards":[],"max_shards":1000,"model":"ride_hailing","seed":7,'
    '"shard_count":3,"tolerated_failure_percentage":0.0,"total_points":6}'
)


def fp(payload: dict[str, Any], model: str = "ride_hailing") -> str:
    return request_fingerprint(normalize_request(payload), model)


def test_pinned_value_never_changes() -> None:
    # Stored fingerprints in manifests depend on this exact value: changing the canonical form
    # would turn every resubmission of an existing run into a 409.
    assert fp(REQUEST) == request_fingerprint(
        {
            "run_id": "x",
            "dimensions": {"commission_rate": [0.1, 0.2], "num_drivers": [50, 100, 200]},
            "total_points": 6,
            "max_shards": 1000,
            "seed": 7,
            "failure_injection_shards": [],
            "shard_count": 3,
        },
        "ride_hailing",
    )
    assert fp(REQUEST) == hashlib.sha256(PINNED_TEXT.encode()).hexdigest()
    assert fp(REQUEST) == "fd08efdaad31f3001567edb872abb87b49609f0154e635c7005ad5a918f6702e"


def test_run_id_is_excluded_model_is_included() -> None:
    assert fp({**REQUEST, "run_id": "another"}) == fp(REQUEST)
    assert fp(REQUEST, "legacy_hash") != fp(REQUEST, "ride_hailing")
    assert fp({**REQUEST, "model": "legacy_hash"}, "legacy_hash") == fp(REQUEST, "legacy_hash")
    assert "run_id" not in fingerprint_document(normalize_request(REQUEST), "m")


def test_defaults_and_spellings_that_normalize_alike_fingerprint_alike() -> None:
    assert fp({**REQUEST, "max_shards": 1000, "seed": 7, "failure_injection_shards": []}) == fp(
        REQUEST
    )
    assert fp({**REQUEST, "run_id": "  pricing-2026-11 "}) == fp(REQUEST)
    assert fp({**REQUEST, "failure_injection_shards": [2, 1, 2]}) == fp(
        {**REQUEST, "failure_injection_shards": [1, 2]}
    )
    for tolerance in (0, 0.0):
        assert fp({**REQUEST, "tolerated_failure_percentage": tolerance}) == fp(REQUEST)
    assert fp({**REQUEST, "tolerated_failure_percentage": 5}) == fp(
        {**REQUEST, "tolerated_failure_percentage": 5.0}
    )


def test_content_changes_change_the_fingerprint() -> None:
    base = fp(REQUEST)
    changed = [
        {**REQUEST, "seed": 8},
        {**REQUEST, "shard_count": 2},
        {**REQUEST, "dimensions": {"num_drivers": [100, 50, 200], "commission_rate": [0.1, 0.2]}},
        {**REQUEST, "dimensions": {"num_drivers": [50, 100, 200], "commission_rate": [0.1, 0.25]}},
        {**REQUEST, "dimensions": {"num_drivers": [50, 100, 200.0], "commission_rate": [0.1, 0.2]}},
        {**REQUEST, "failure_injection_shards": [1]},
        {**REQUEST, "tolerated_failure_percentage": 5},
    ]
    fingerprints = {fp(payload) for payload in changed}
    assert base not in fingerprints and len(fingerprints) == len(changed)


def test_format() -> None:
    value = fp(REQUEST)
    assert len(value) == 64 and all(c in "0123456789abcdef" for c in value)


nested = st.recursive(
    st.integers() | st.text(max_size=4) | st.booleans() | st.none(),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
    max_leaves=8,
)


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON value with every object's keys in another order (lists untouched)."""
    if isinstance(value, dict):
        items = [(k, shuffled(v, rng)) for k, v in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=5).filter(str.strip),
        st.lists(nested, min_size=1, max_size=3),
        min_size=1,
        max_size=4,
    ),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.randoms(use_true_random=False),
)
def test_stable_under_any_key_reordering(
    dimensions: dict[str, list[Any]], seed: int, rng: random.Random
) -> None:
    payload = {"run_id": "r", "dimensions": dimensions, "shard_size": 2, "seed": seed}
    assert fp(shuffled(payload, rng)) == fp(payload)


def test_max_concurrency_paces_the_run_and_is_not_fingerprinted() -> None:
    """Issue 7: a per-run cap changes how fast a sweep runs, not what it computes, so the same
    sweep resubmitted with another cap must stay `already_submitted` (same fingerprint)."""
    capped = normalize_request({**REQUEST, "max_concurrency": 5})
    assert capped["max_concurrency"] == 5
    assert fp({**REQUEST, "max_concurrency": 5}) == fp(REQUEST)
    assert fp({**REQUEST, "max_concurrency": 0}) == fp(REQUEST)
    assert "max_concurrency" not in fingerprint_document(capped, "m")
