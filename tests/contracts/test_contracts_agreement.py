"""The hand-ordered validator and the published JSON Schema must agree.

The parent checks requests in the old runtime's order with the old messages; API clients and API
Gateway check them with `schemas/v1/sweep_request.json`. A request one accepts and the other
rejects would be a contract bug, so hypothesis looks for one.
"""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serverless_sweep.contracts import SweepRequest, load_schema
from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.validation import KNOWN_MODELS, normalize_request

SCHEMA = load_schema("sweep_request")
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
ints = st.one_of(st.integers(-5, 10), st.just(2**63), st.booleans(), st.floats(-2, 5), st.none())

names = st.text(min_size=1, max_size=4).filter(lambda n: n.strip() != "")
valid_requests = st.fixed_dictionaries(
    {
        "run_id": st.text(min_size=1, max_size=8).filter(lambda r: r.strip() != ""),
        "dimensions": st.dictionaries(
            names, st.lists(json_scalars, min_size=1, max_size=4), max_size=3
        ),
    },
    optional={
        "shard_count": st.integers(1, 10),
        "shard_size": st.integers(1, 10),
        "max_shards": st.integers(1, 2000),
        "seed": st.integers(-(2**63), 2**63 - 1),
        "failure_injection_shards": st.lists(st.integers(0, 5), max_size=3),
        "model": st.sampled_from(["ride_hailing", "legacy_hash"]),
        "tolerated_failure_percentage": st.floats(0, 100),
    },
).filter(lambda r: "shard_count" in r or "shard_size" in r)

field_names = st.sampled_from(
    [
        "run_id",
        "dimensions",
        "shard_count",
        "shard_size",
        "max_shards",
        "seed",
        "failure_injection_shards",
        "model",
        "tolerated_failure_percentage",
    ]
)
junk = st.one_of(
    ints,
    json_scalars,
    st.lists(ints, max_size=2),
    st.integers(-(2**64), 2**64),
    st.dictionaries(st.text(max_size=2), st.lists(json_scalars, max_size=2), max_size=2),
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A valid request, then (usually) one field replaced by junk or removed."""
    request = draw(valid_requests)
    mutation = draw(st.sampled_from(["none", "replace", "remove"]))
    name = draw(field_names)
    if mutation == "replace":
        request[name] = draw(junk)
    elif mutation == "remove":
        request.pop(name, None)
    return request


def accepted(payload: dict[str, Any]) -> bool:
    try:
        normalize_request(payload)
    except ValidationError:
        return False
    return True


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_every_request_the_parent_accepts_is_valid_against_the_published_schema(
    payload: dict[str, Any],
) -> None:
    if accepted(payload):
        errors = [e.message for e in VALIDATOR.iter_errors(payload)]
        assert errors == [], (payload, errors)
        SweepRequest.model_validate(normalize_request(payload))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_schema_valid_requests_are_rejected_only_for_rules_json_schema_cannot_express(
    payload: dict[str, Any],
) -> None:
    if VALIDATOR.is_valid(payload) and not accepted(payload):
        try:
            normalize_request(payload)
        except ValidationError as exc:
            rules = {d.rule for d in exc.details}
        # The documented extras: at least one of shard_count/shard_size, <= 200,000 points,
        # Python's notion of whitespace for run_id and dimension names, and integers written
        # as floats (JSON Schema counts 2.0 as an integer; the old runtime never did).
        integer_fields = ("shard_count", "shard_size", "max_shards", "seed")
        entries = payload.get("failure_injection_shards")
        floats_as_ints = any(isinstance(payload.get(f), float) for f in integer_fields) or (
            isinstance(entries, list) and any(isinstance(v, float) for v in entries)
        )
        allowed = {"required", "max_points", "not_empty"} | ({"type"} if floats_as_ints else set())
        if isinstance(payload.get("model"), str) and payload["model"] not in KNOWN_MODELS:
            allowed.add("enum")  # any string since issue 14 (plug-ins); the parent knows which
        assert rules <= allowed, (payload, rules)
