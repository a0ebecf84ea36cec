# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/models/legacy_hash/parameters.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LegacyHashParameters(BaseModel):
    """
    The legacy_hash model accepts any dimension names and any JSON values: it reproduces the old runtime's synthetic metrics (a SHA-256 of run_id, shard_id, the point and the seed), for parity checks and cheap load tests of the fan-out.
    """

    model_config = ConfigDict(
        extra="allow",
    )
