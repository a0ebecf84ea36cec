"""The fingerprint of a sweep: what makes two submissions "the same sweep".

Why: clients and API Gateway retry, and a run_id is claimed once (create-if-absent run index).
When the same run_id arrives again the parent must tell a harmless resubmission (200
``already_submitted``) from a different sweep reusing the name (409). Comparing fingerprints
does that without reading and diffing whole manifests.

What goes in, and why:

* the normalized request (after `normalize_request`: run_id stripped, dimension names sorted,
  defaults filled in, failure_injection_shards deduplicated and sorted), so spellings of the
  same request that normalize alike fingerprint alike;
* WITHOUT run_id: the fingerprint describes the sweep's content, so the same sweep submitted
  under another run_id has the same fingerprint (useful to spot duplicate work across runs);
* WITHOUT max_concurrency: it paces the fan-out, the results are the same, so resubmitting a
  sweep with another cap is still the same sweep (200 already_submitted), not a conflict;
* WITHOUT preset: a preset is expanded into the request's dimensions, ranges, sampling and
  exclude before normalization, and those are fingerprinted; its name is only a label;
* WITH sampling, ranges and exclude (issue 14): they change which points the sweep computes;
* WITH outputs when non-empty (issue 11): they change what the run writes; absent and empty
  normalize alike (no key), so every request without outputs fingerprints as before;
* WITH the resolved model (the request's `model`, else the deployment default): the same
  dimensions under another model are another sweep, and a request that omits `model` must not
  silently match a run made while the default was different;
* tolerated_failure_percentage resolved to its default 0 and written as a float, so omitting it,
  ``0`` and ``0.0`` mean the same request.

The text hashed is `dumps_canonical` (keys sorted at every level, compact, exact integers,
CPython float repr), so key order anywhere in the payload never matters while list order, which
defines the point enumeration, does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from serverless_sweep.core.jsonio import dumps_canonical

__all__ = ["NOT_FINGERPRINTED", "fingerprint_document", "request_fingerprint"]

#: Request fields that name or pace a run without changing what it computes.
NOT_FINGERPRINTED = frozenset({"run_id", "max_concurrency", "preset"})


def fingerprint_document(normalized: Mapping[str, Any], model: str) -> dict[str, Any]:
    """The exact object whose canonical text is hashed (exposed for debugging and tests)."""
    document = {key: value for key, value in normalized.items() if key not in NOT_FINGERPRINTED}
    document["model"] = model
    document["tolerated_failure_percentage"] = float(
        normalized.get("tolerated_failure_percentage", 0)
    )
    return document


def request_fingerprint(normalized: Mapping[str, Any], model: str) -> str:
    """SHA-256 (lowercase hex) of the canonical text of `fingerprint_document`."""
    text = dumps_canonical(fingerprint_document(normalized, model))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
