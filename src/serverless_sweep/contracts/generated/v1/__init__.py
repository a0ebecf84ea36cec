# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.
"""Models and Arrow schemas generated from schemas/v1: a lazy index.

`from serverless_sweep.contracts.generated.v1 import SweepRequest` imports only the module
that defines SweepRequest (PEP 562 `__getattr__`), so a process builds only the pydantic models
it uses. The modules can be imported directly as well; `arrow_schemas` (pyarrow) is never
imported from here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serverless_sweep.contracts.generated.v1.accepted_response import (
        AcceptedResponse,
        DispatchRecord,
    )
    from serverless_sweep.contracts.generated.v1.error_response import ErrorDetail, ErrorResponse
    from serverless_sweep.contracts.generated.v1.legacy_hash_parameters import LegacyHashParameters
    from serverless_sweep.contracts.generated.v1.results_page import ResultPoint, ResultsPage
    from serverless_sweep.contracts.generated.v1.ride_hailing_parameters import (
        RideHailingParameters,
    )
    from serverless_sweep.contracts.generated.v1.run_list import RunList, RunSummary
    from serverless_sweep.contracts.generated.v1.run_manifest import RunManifest, ShardRange
    from serverless_sweep.contracts.generated.v1.run_status import (
        PriceTable,
        RunLedger,
        RunStatus,
        ShardFailure,
    )
    from serverless_sweep.contracts.generated.v1.shard_outcome import (
        DetailFile,
        FailureOutcome,
        Metrics,
        OutputMetadata,
        ShardOutcome,
        ShardSummary,
        SuccessOutcome,
    )
    from serverless_sweep.contracts.generated.v1.shard_payload import ShardPayload
    from serverless_sweep.contracts.generated.v1.sweep_request import (
        ParameterRange,
        Sampling,
        SweepRequest,
    )

MODEL_MODULES: dict[str, str] = {
    "AcceptedResponse": "accepted_response",
    "DetailFile": "shard_outcome",
    "DispatchRecord": "accepted_response",
    "ErrorDetail": "error_response",
    "ErrorResponse": "error_response",
    "FailureOutcome": "shard_outcome",
    "LegacyHashParameters": "legacy_hash_parameters",
    "Metrics": "shard_outcome",
    "OutputMetadata": "shard_outcome",
    "ParameterRange": "sweep_request",
    "PriceTable": "run_status",
    "ResultPoint": "results_page",
    "ResultsPage": "results_page",
    "RideHailingParameters": "ride_hailing_parameters",
    "RunLedger": "run_status",
    "RunList": "run_list",
    "RunManifest": "run_manifest",
    "RunStatus": "run_status",
    "RunSummary": "run_list",
    "Sampling": "sweep_request",
    "ShardFailure": "run_status",
    "ShardOutcome": "shard_outcome",
    "ShardPayload": "shard_payload",
    "ShardRange": "run_manifest",
    "ShardSummary": "shard_outcome",
    "SuccessOutcome": "shard_outcome",
    "SweepRequest": "sweep_request",
}
"""Every generated model class -> the module of this package that defines it."""

__all__ = [
    "AcceptedResponse",
    "DetailFile",
    "DispatchRecord",
    "ErrorDetail",
    "ErrorResponse",
    "FailureOutcome",
    "LegacyHashParameters",
    "Metrics",
    "OutputMetadata",
    "ParameterRange",
    "PriceTable",
    "ResultPoint",
    "ResultsPage",
    "RideHailingParameters",
    "RunLedger",
    "RunList",
    "RunManifest",
    "RunStatus",
    "RunSummary",
    "Sampling",
    "ShardFailure",
    "ShardOutcome",
    "ShardPayload",
    "ShardRange",
    "ShardSummary",
    "SuccessOutcome",
    "SweepRequest",
]


def __getattr__(name: str) -> Any:
    """Import the module defining `name` on first access; later lookups are plain."""
    module = MODEL_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *MODEL_MODULES})
