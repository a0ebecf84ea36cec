"""The request field `outputs` (issue 11): names, their datasets, normalization.

Pure: the parent validates and normalizes the field here; the model check (which models can
produce which output) is `serverless_sweep.models.outputs`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from serverless_sweep.core.keys import DATASET_SNAPSHOT_COUNTS, DATASET_TRIP_DATA

__all__ = ["DATASET_OF_OUTPUT", "OUTPUTS", "normalized_outputs", "request_outputs"]

#: Output name -> the dataset= partition it writes.
DATASET_OF_OUTPUT: Final[dict[str, str]] = {
    "snapshots": DATASET_SNAPSHOT_COUNTS,
    "trips": DATASET_TRIP_DATA,
}
#: Every output a request may name, sorted (the normalized order).
OUTPUTS: Final[tuple[str, ...]] = tuple(sorted(DATASET_OF_OUTPUT))


def normalized_outputs(value: object) -> tuple[list[str], str | None]:
    """(the sorted, deduplicated outputs, None), or ([], what is wrong with the value).

    Sorted and deduplicated so that ["trips", "snapshots", "trips"] and ["snapshots", "trips"]
    are the same request (and fingerprint alike)."""
    names = ", ".join(repr(name) for name in OUTPUTS)
    if not isinstance(value, list):
        return [], f"outputs must be a list of {names}"
    for item in value:
        if not isinstance(item, str) or item not in DATASET_OF_OUTPUT:
            return [], f"outputs may only name {names}; got {json_text(item)}"
    return sorted(set(value)), None


def json_text(value: object) -> str:
    """A value as the request wrote it (JSON), cut to 100 characters, for an error message."""
    try:
        return json.dumps(value)[:100]
    except (TypeError, ValueError):
        return repr(value)[:100]


def request_outputs(request: Mapping[str, Any]) -> list[str]:
    """The normalized outputs of a request, manifest request or payload (empty when none)."""
    value = request.get("outputs")
    return [str(name) for name in value] if isinstance(value, list) else []
