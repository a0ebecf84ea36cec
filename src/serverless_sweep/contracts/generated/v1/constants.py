# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

"""Constants of the v1 contracts, from the schemas: the one home of each (the handlers,
the core and the Arrow schemas import them from here, through `serverless_sweep.contracts`)."""

from __future__ import annotations

from typing import Final

CONTRACT_VERSION: Final = "1.0"
"""The `contract_version` every record, payload and response of v1 carries."""

MODELS: Final[tuple[str, ...]] = ("legacy_hash", "ride_hailing")
"""The simulation models a request may name (sorted); each has a parameter schema and columns."""
