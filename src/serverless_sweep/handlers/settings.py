"""Deployment settings the parent and child share, and how they are read from the environment.

Both functions must agree on where results live (the prefix) and which model a request without
one gets; keeping the names and defaults in one place keeps them from drifting apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from serverless_sweep.models.registry import UnknownModel, default_model_name

RESULTS_PREFIX_ENV = "SWEEP_RESULTS_PREFIX"
DEFAULT_RESULTS_PREFIX = "serverless-sweeps"
JSON_CONTENT = "application/json"
PARQUET_CONTENT = "application/vnd.apache.parquet"


def results_prefix(env: Mapping[str, str]) -> str:
    return env.get(RESULTS_PREFIX_ENV, DEFAULT_RESULTS_PREFIX)


def deployment_default_model(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(model, problem): the default model, or None and why when SWEEP_DEFAULT_MODEL is bad.

    A bad setting must not stop a function from starting: requests that name their model still
    work, and the others get a clear misconfiguration error.
    """
    try:
        return default_model_name(env), None
    except UnknownModel as exc:
        return None, str(exc)
