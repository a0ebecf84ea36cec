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


# -- dispatch (issue 7) -------------------------------------------------------------------------

DISPATCHER_FUNCTION_ENV = "SWEEP_DISPATCHER_FUNCTION"
"""The function the parent invokes asynchronously to run a dispatch job (in the cloud, itself).
Unset: the parent dispatches inside the request, one shard after another (the old runtime)."""
DISPATCH_CONCURRENCY_ENV = "SWEEP_DISPATCH_CONCURRENCY"
CHILD_MAX_EVENT_AGE_ENV = "SWEEP_CHILD_MAX_EVENT_AGE_S"
CHILD_TIMEOUT_ENV = "SWEEP_CHILD_TIMEOUT_S"
DEFAULT_CHILD_MAX_EVENT_AGE_S = 21_600  # Lambda's default and maximum: 6 hours
DEFAULT_CHILD_TIMEOUT_S = 900
LOST_GRACE_S = 60
"""Added to max event age + timeout: the on-failure recorder's own delivery and clock skew."""
DEFAULT_LOST_AFTER_S = float(DEFAULT_CHILD_MAX_EVENT_AGE_S + DEFAULT_CHILD_TIMEOUT_S + LOST_GRACE_S)
"""When a shard with no record counts as lost, with the default child settings (6 h 16 min)."""


def positive_int_setting(env: Mapping[str, str], name: str, default: int) -> int:
    """An integer setting; a missing, malformed or non-positive value gives the default.

    A typo in a function's configuration must not take every request down; the value in force
    is logged by the entry points.
    """
    raw = env.get(name, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


def lost_after_seconds(env: Mapping[str, str]) -> float:
    """How long after its dispatch a shard with no record counts as lost."""
    age = positive_int_setting(env, CHILD_MAX_EVENT_AGE_ENV, DEFAULT_CHILD_MAX_EVENT_AGE_S)
    timeout = positive_int_setting(env, CHILD_TIMEOUT_ENV, DEFAULT_CHILD_TIMEOUT_S)
    return float(age + timeout + LOST_GRACE_S)
